"""Who may see and change a course: the visibility and role rules in one place."""

from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlalchemy.orm import lazyload

from api import database
from api.config import Settings, current_settings
from api.errors import Forbidden, NotFound, Unauthorized
from models import Course, CourseMembership, Lesson, Section, User

CREATOR, MANAGER, JOINED = "creator", "manager", "joined"
# Waiting for an answer: an editor's invitation, or a user's request to join a private course.
INVITED, REQUESTED = "invited", "requested"
EDITORS = {CREATOR, MANAGER}
LISTED_PRIVACIES = ("open", "private")
# For requests that need the course's own row (and its creator) only: its sections and categories
# are then loaded if and when something reads them, instead of eagerly with every course.
ROW_ONLY = (lazyload(Course.sections), lazyload(Course.categories))


def current_user(user_id: int) -> User:
    """The active user the verified token names; checked on every request, so deactivation is immediate."""
    user = database.session().get(User, user_id)
    if user is None or not user.active:
        raise Unauthorized("The token's user does not exist or is not active.")
    return user


def viewer(user_id: int | None) -> User | None:
    """The caller of an operation that visitors without a token may call (the spec lists `{}` among
    its security alternatives): None for such a visitor, who is let in only when CONTENT_AVAILABILITY
    is on, as on the platform. A visitor sees what a user without any role sees, nothing more."""
    if user_id is None:
        if not current_settings().content_availability:
            raise Unauthorized("This operation needs a token: the service does not show its content to visitors.")
        return None
    return current_user(user_id)


def may_create_course(user: User, settings: Settings) -> bool:
    """Anyone may create a course, unless COURSES_ONLY_STAFF keeps that to staff."""
    return user.is_staff or not settings.courses_only_staff


def check_may_create_course(user: User, settings: Settings) -> None:
    if not may_create_course(user, settings):
        raise Forbidden("Only staff members may create courses.")


def check_may_create_category(user: User) -> None:
    if not user.is_staff:
        raise Forbidden("Only staff members may create categories.")


def role_of(course: Course, user: User) -> str | None:
    return roles_in([course], user)[course.id]


def roles_in(courses: list[Course], user: User | None) -> dict[int, str | None]:
    """The user's role in each course, in one query whatever the number of courses (none for their own);
    a visitor (None) holds none."""
    if user is None:
        return dict.fromkeys(course.id for course in courses)
    others = [c.id for c in courses if c.created_by_id != user.id]
    member_of = (
        dict(
            database.session()
            .execute(
                select(CourseMembership.course_id, CourseMembership.role).where(
                    CourseMembership.user_id == user.id, CourseMembership.course_id.in_(others)
                )
            )
            .all()
        )
        if others
        else {}
    )
    return {c.id: CREATOR if c.created_by_id == user.id else member_of.get(c.id) for c in courses}


def can_see(course: Course, role: str | None, answering_invitation: bool = False) -> bool:
    """Drafts exist for their editors, secret courses for their members, the rest for everyone.

    To answer an invitation (join, leave, status), an invitee finds the secret course too.
    """
    if role in EDITORS or course.privacy in LISTED_PRIVACIES:
        return True
    return course.privacy == "secret" and (role == JOINED or (answering_invitation and role == INVITED))


def _has_role(user: User, roles) -> ColumnElement[bool]:
    return exists().where(
        CourseMembership.course_id == Course.id,
        CourseMembership.user_id == user.id,
        CourseMembership.role.in_(roles),
    )


def visible_to(user: User | None) -> ColumnElement[bool]:
    """SQL twin of `can_see`, for listings."""
    if user is None:
        return and_(Course.deleted == false(), Course.privacy.in_(LISTED_PRIVACIES))
    return and_(
        Course.deleted == false(),
        or_(
            Course.privacy.in_(LISTED_PRIVACIES),
            Course.created_by_id == user.id,
            _has_role(user, [MANAGER]),
            and_(Course.privacy == "secret", _has_role(user, [JOINED])),
        ),
    )


def sees_in_full(course: Course, role: str | None) -> bool:
    """Outsiders of a private course see only its minimal form: no description, sections or revision.
    A waiting invitation or request to join is no access (see the spec's members section)."""
    return course.privacy != "private" or role in (CREATOR, MANAGER, JOINED)


def seen_in_full_by(user: User | None) -> ColumnElement[bool]:
    """SQL twin of `sees_in_full`, for the courses `visible_to` the user."""
    if user is None:
        return Course.privacy != "private"
    return or_(
        Course.privacy != "private",
        Course.created_by_id == user.id,
        _has_role(user, [MANAGER, JOINED]),
    )


def holds_any_role(user: User | None, roles: list[str]) -> ColumnElement[bool]:
    if user is None:
        return false()
    member_roles = [role for role in roles if role != CREATOR]
    clauses = [_has_role(user, member_roles)] if member_roles else []
    if CREATOR in roles:
        clauses.append(Course.created_by_id == user.id)
    return or_(*clauses) if clauses else false()


def visible_course(
    course_id: int, user_id: int | None, options=(), answering_invitation: bool = False
) -> tuple[Course, str | None]:
    """The course and the role in it of the caller (the token's user); 404 when it does not exist for them.

    `options` are loader options for the course (ROW_ONLY). A writing request holds the course row
    until it commits (PostgreSQL: SELECT ... FOR UPDATE; SQLite serialises writers anyway), so
    changes to one course and its sections never interleave.
    """
    lock = {"of": Course} if database.writing() else None  # only the course row, not its creator's
    course = database.session().get(Course, course_id, with_for_update=lock, options=options)
    # The caller is looked up after the course, which brings its creator along: for the creator
    # this takes no query of its own. It still comes first: an inactive user gets 401, not 404.
    user = viewer(user_id)
    if course is None or course.deleted:
        raise NotFound("No such course.")
    role = role_of(course, user)
    if not can_see(course, role, answering_invitation):
        raise NotFound("No such course.")
    return course, role


def editable_course(course_id: int, user_id: int, options=()) -> tuple[Course, str]:
    """A course the caller may change: 404 if they cannot see it, 403 if they only see it."""
    course, role = visible_course(course_id, user_id, options)
    require_editor(role)
    return course, role


def editable_section(course_id: int, section_id: int, user_id: int) -> tuple[Course, Section]:
    """A section of an editable course.

    The 403 of a caller who may see the course but not edit it comes before the section is looked
    up, so that they get the same answer whether or not the section exists. Only editors learn that
    a section id is not one of the course's own (404).
    """
    course, _ = editable_course(course_id, user_id, ROW_ONLY)
    return course, section_in(course, section_id)


def section_in(course: Course, section_id: int) -> Section:
    section = database.session().get(Section, section_id)
    if section is None or section.course_id != course.id:
        raise NotFound("No such section in this course.")
    return section


def lesson_in(course: Course, section_id: int, lesson_id: int) -> Lesson:
    """The lesson, if it is one of the section's and the section one of the course's; 404 otherwise."""
    lesson = database.session().get(Lesson, lesson_id)
    if lesson is None or lesson.section_id != section_id or lesson.course_id != course.id:
        raise NotFound("No such lesson in this section.")
    return lesson


def editable_lesson(course_id: int, section_id: int, lesson_id: int, user_id: int) -> tuple[Course, Section, Lesson]:
    """A lesson of an editable course; as for sections, the 403 comes before any lookup."""
    course, section = editable_section(course_id, section_id, user_id)
    return course, section, lesson_in(course, section_id, lesson_id)


def member_role(course: Course, user_id: int) -> str:
    """The role of the user `user_id` in the course; 404 unless they are its creator, a manager or a member."""
    user = database.session().get(User, user_id)
    role = role_of(course, user) if user is not None else None
    if role not in (CREATOR, MANAGER, JOINED):
        raise NotFound(f"User {user_id} is not a member of this course.", field="user")
    return role


def require_editor(role: str | None) -> None:
    if role not in EDITORS:
        raise Forbidden("Only the creator and the managers of the course may do this.")
