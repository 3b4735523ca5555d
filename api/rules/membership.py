"""Joining, leaving, inviting and asking to join a course, and the lists of the people in it.

Every change of a membership goes through `TRANSITIONS`, one table of what each action does to the
role a user holds; the spec's `members` section shows the same table. A role missing from an
action's row is left as it is (joining twice, inviting a member: nothing happens).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, case, delete, false, func, literal, null, or_, select, union_all
from sqlalchemy.dialects import postgresql, sqlite

from api import database
from api.errors import BadRequest, NotFound
from api.rules.access import (
    CREATOR,
    EDITORS,
    INVITED,
    JOINED,
    MANAGER,
    REQUESTED,
    holds_any_role,
    visible_to,
)
from api.rules.editing import revise
from models import Course, CourseMembership, Lesson, LessonCompletion, User
from models.base import utcnow
from models.lesson import PUBLISHED

# The roles that give access to the course (its creator aside): they are "the members".
MEMBERS = (MANAGER, JOINED)

JOIN, LEAVE, REMOVE, INVITE, UNINVITE = "join", "leave", "remove", "invite", "uninvite"

# action -> {role now: role after}; None is "no role". The creator's role never changes (leaving and
# being removed are refused for them, the other actions leave them as they are).
TRANSITIONS: dict[str, dict[str | None, str | None]] = {
    # The caller joins; what they get depends on the course's privacy (a draft: only its editors see it,
    # and they hold their role already).
    f"{JOIN}:open": {None: JOINED, INVITED: JOINED, REQUESTED: JOINED},
    f"{JOIN}:private": {None: REQUESTED, INVITED: JOINED},
    # Without an invitation a secret course does not exist for the caller (404 before this table).
    f"{JOIN}:secret": {INVITED: JOINED},
    # The caller leaves, withdraws their request or declines an invitation.
    LEAVE: {MANAGER: None, JOINED: None, REQUESTED: None, INVITED: None},
    # An editor removes a member or a manager, rejects a request or withdraws an invitation.
    REMOVE: {MANAGER: None, JOINED: None, REQUESTED: None, INVITED: None},
    # An editor invites users with no role, and accepts the requests of those who asked.
    INVITE: {None: INVITED, REQUESTED: JOINED},
    # An editor withdraws invitations.
    UNINVITE: {INVITED: None},
}

# The lists of a course's people show its managers and members unless asked for other statuses.
DEFAULT_STATUSES = [MANAGER, JOINED]


def _roles(course: Course, user_ids) -> dict[int, str | None]:
    """The role of each user in the course (None: none), in one query."""
    rows = database.session().execute(
        select(CourseMembership.user_id, CourseMembership.role).where(
            CourseMembership.course_id == course.id, CourseMembership.user_id.in_(user_ids)
        )
    )
    held = dict(rows.all())
    return {user_id: CREATOR if user_id == course.created_by_id else held.get(user_id) for user_id in user_ids}


def apply(course: Course, action: str, user_ids, known: dict[int, str | None] | None = None) -> dict[int, str | None]:
    """Apply `action` to each user's role in the course; returns each user's role after it. `known`:
    the roles already read in this transaction (the caller's own), which are not read again.

    A membership that becomes `joined` or `manager` from anything else starts now (`joined_at`); one
    that stays a membership keeps its start. The course gets a new revision when anything changed, as
    each caller's `join_status` is part of the course they read.
    """
    table = TRANSITIONS[action]
    before = known or _roles(course, user_ids)
    after = {user_id: table.get(role, role) if role != CREATOR else CREATOR for user_id, role in before.items()}
    changed = {user_id for user_id in before if before[user_id] != after[user_id]}
    if not changed:
        return after
    db = database.session()
    now = utcnow()
    gone = [user_id for user_id in changed if after[user_id] is None]
    if gone:
        db.execute(
            delete(CourseMembership).where(CourseMembership.course_id == course.id, CourseMembership.user_id.in_(gone))
        )
    for user_id in changed - set(gone):
        if before[user_id] is None:
            _insert(course, user_id, after[user_id], now)
        else:
            values = {"role": after[user_id]}
            if after[user_id] in MEMBERS and before[user_id] not in MEMBERS:
                values["joined_at"] = now
            db.execute(
                CourseMembership.__table__.update()
                .where(CourseMembership.course_id == course.id, CourseMembership.user_id == user_id)
                .values(**values)
            )
    revise(course)
    db.flush()
    # The course's `member_count` was read with the course; read it again when it is next shown.
    db.expire(course, ["member_count"])
    return after


def _insert(course: Course, user_id: int, role: str, now: datetime) -> None:
    """One statement that skips an existing (course, user) row, so two requests can never both insert.

    The course row lock orders the requests of one course already; this keeps the unique constraint
    from ever turning a race into a 500, whatever locks a request holds.
    """
    db = database.session()
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    db.execute(
        insert(CourseMembership)
        .values(course_id=course.id, user_id=user_id, role=role, created_at=now, joined_at=now)
        .on_conflict_do_nothing(index_elements=[CourseMembership.course_id, CourseMembership.user_id])
    )


def join(course: Course, role: str | None, user_id: int) -> str | None:
    """The caller joins, asks to join, or accepts their invitation; their role afterwards."""
    if not course.privacy:
        return role
    return apply(course, f"{JOIN}:{course.privacy}", [user_id], {user_id: role})[user_id]


def leave(course: Course, role: str | None, user_id: int) -> None:
    """The caller leaves, withdraws their request or declines their invitation; the creator cannot."""
    if role == CREATOR:
        raise BadRequest("The creator of a course cannot leave it.", code=CREATOR)
    apply(course, LEAVE, [user_id], {user_id: role})


def remove(course: Course, user_id: int) -> None:
    """An editor removes someone's role in the course: anyone's but the creator's."""
    if database.session().get(User, user_id) is None:
        raise BadRequest(f"No such user: {user_id}.", field="user", code="does_not_exist")
    if user_id == course.created_by_id:
        raise BadRequest("The creator of a course cannot be removed from it.", field="user", code=CREATOR)
    apply(course, REMOVE, [user_id])


def invite(course: Course, user_ids: list[int]) -> None:
    """Invite users, or accept their requests; every id must name an active user, or nothing changes."""
    active = set(database.session().scalars(select(User.id).where(User.id.in_(user_ids), User.active)))
    _refuse_unknown([user_id for user_id in user_ids if user_id not in active])
    apply(course, INVITE, user_ids)


def uninvite(course: Course, user_ids: list[int]) -> None:
    """Withdraw invitations. Deactivated users may be named too: revoking is always possible."""
    known = set(database.session().scalars(select(User.id).where(User.id.in_(user_ids))))
    _refuse_unknown([user_id for user_id in user_ids if user_id not in known])
    apply(course, UNINVITE, user_ids)


def _refuse_unknown(unknown: list[int]) -> None:
    if unknown:
        raise BadRequest(f"No such users: {unknown}; nothing was changed.", field="users", code="does_not_exist")


# --- Lists ----------------------------------------------------------------------------------------


@dataclass
class Person:
    """A user as a course's dashboard shows them."""

    user: User
    join_status: str
    joined_at: datetime | None
    last_active_at: datetime | None
    user_completion_rate: int


def _people(course: Course, statuses):
    """(user_id, role, joined_at) of everyone holding one of `statuses` (at least one) in the course,
    the creator included when asked for (who joined when they created it); `joined_at` is null while
    an answer is awaited."""
    parts = []
    if CREATOR in statuses:
        parts.append(
            select(
                Course.created_by_id.label("user_id"),
                literal(CREATOR, String).label("role"),
                Course.created_at.label("joined_at"),
            ).where(Course.id == course.id)
        )
    roles = [status for status in statuses if status != CREATOR]
    if roles:
        parts.append(
            select(
                CourseMembership.user_id,
                CourseMembership.role,
                case((CourseMembership.role.in_(MEMBERS), CourseMembership.joined_at), else_=null()).label("joined_at"),
            ).where(CourseMembership.course_id == course.id, CourseMembership.role.in_(roles))
        )
    return parts[0] if len(parts) == 1 else union_all(*parts)


def _matching(search: str | None):
    """Users whose username or real name contains `search`, ignoring case (none given: everyone)."""
    if not search:
        return []
    term = search.lower()
    return [
        or_(
            func.lower(User.username).contains(term, autoescape=True),
            func.lower(User.real_name).contains(term, autoescape=True),
        )
    ]


def _page(query, criteria, order, limit: int, offset: int):
    db = database.session()
    count = db.scalar(select(func.count()).select_from(query.where(*criteria).subquery()))
    rows = db.execute(query.where(*criteria).order_by(*order).limit(limit).offset(offset)).all()
    return count, rows


def users_holding(course: Course, statuses, limit: int, offset: int, search: str | None = None):
    """(count, users) of the page of users holding one of `statuses`, oldest memberships first."""
    people = _people(course, statuses).subquery()
    query = select(User).join(people, people.c.user_id == User.id)
    count, rows = _page(query, _matching(search), (people.c.joined_at.asc().nulls_last(), User.id), limit, offset)
    return count, [row[0] for row in rows]


ORDERINGS = {"joined_at", "last_active_at"}


def _activity(course: Course, user_ids=None):
    """Per user: their latest completion in the course and how many published lessons they completed."""
    query = (
        select(
            LessonCompletion.user_id,
            func.max(LessonCompletion.created_at).label("last_active_at"),
            func.sum(case((Lesson.status == PUBLISHED, 1), else_=0)).label("done"),
        )
        .join(Lesson, Lesson.id == LessonCompletion.lesson_id)
        .where(LessonCompletion.course_id == course.id)
        .group_by(LessonCompletion.user_id)
    )
    return query if user_ids is None else query.where(LessonCompletion.user_id.in_(user_ids))


def dashboard(course: Course, statuses, ordering: str, limit: int, offset: int, search: str | None = None):
    """(count, people) of a page of the course's dashboard: each user's status, progress and last activity.

    Four queries whatever the number of people: the count and the page of people, their activity
    (completions counted by the database), and the number of published lessons. Only an ordering by
    activity needs everyone's activity to choose the page; by `joined_at` only the page's is read.
    """
    people = _people(course, statuses).subquery()
    descending = ordering.startswith("-")
    tiebreak = User.id.desc() if descending else User.id.asc()
    criteria = _matching(search)
    query = select(User, people.c.role, people.c.joined_at).join(people, people.c.user_id == User.id)
    if ordering.lstrip("-") == "last_active_at":
        activity = _activity(course).subquery()
        column = activity.c.last_active_at
        query = query.outerjoin(activity, activity.c.user_id == User.id)
    else:
        column = people.c.joined_at
    direction = column.desc() if descending else column.asc()
    db = database.session()
    count = db.scalar(select(func.count()).select_from(people).join(User, User.id == people.c.user_id).where(*criteria))
    rows = db.execute(query.where(*criteria).order_by(direction.nulls_last(), tiebreak).limit(limit).offset(offset))
    rows = rows.all()
    activity = {row.user_id: row for row in db.execute(_activity(course, [row[0].id for row in rows]))}
    total = db.scalar(select(func.count()).where(Lesson.course_id == course.id, Lesson.status == PUBLISHED))
    people_on_page = []
    for user, role, joined_at in rows:
        done = activity.get(user.id)
        rate = 100 * (done.done or 0) // total if done and total else 0
        people_on_page.append(Person(user, role, joined_at, done.last_active_at if done else None, rate))
    return count, people_on_page


def suggested(course: Course, limit: int, offset: int, search: str | None = None):
    """(count, users) of active users who hold no role in the course, nor an invitation or a request."""
    held = select(CourseMembership.id).where(
        CourseMembership.course_id == course.id, CourseMembership.user_id == User.id
    )
    criteria = [User.active, User.id != course.created_by_id, ~held.exists(), *_matching(search)]
    count, rows = _page(select(User), criteria, (User.id,), limit, offset)
    return count, [row[0] for row in rows]


def member_list_allowed(course: Course, role: str | None) -> bool:
    """Who may list the members of a course they can see: everyone, unless it hides its member count."""
    return not course.hide_member_count or role in EDITORS


def user_courses_criteria(me: User, user_id: int, statuses):
    """The courses in which the user `user_id` holds one of `statuses` that the caller may learn of.

    `visible_to` keeps out what the caller cannot see; a course that hides its member count is
    listed only to its editors, and to the user themself.
    """
    target = database.session().get(User, user_id)
    if target is None or target.deleted:
        raise NotFound("No such user.")
    criteria = [visible_to(me), holds_any_role(target, statuses)]
    if target.id != me.id:
        criteria.append(or_(Course.hide_member_count == false(), holds_any_role(me, [CREATOR, MANAGER])))
    return criteria
