"""A caller's way through a course: which sections and lessons are open to them, and how far they got.

Everything is computed from the current state at the moment of the request (the time comes from
`models.base.utcnow`, the one clock of the service), so a drip date passing or a lesson being marked
incomplete changes what is open without anything being stored. Instants are UTC.

The outline holds the published lessons, and the sections holding at least one of them: the course
as its members take it (drafts are for `view=edit`). What is locked depends on the caller:
- for the creator and the managers nothing is;
- for a member (`joined`) a section is locked until it opens (`dripped_at` in a scheduled course, `joined_at` plus
  `drip_delay` days in a structured one), and with `enforce_lessons_order` a lesson is locked
  until every published lesson before it in the course is completed;
- anyone else who may see the course whole: the member's outline, everything locked (`not_joined`).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Row, and_, func, or_, select

from api import database
from api.errors import Forbidden, NotFound
from api.rules.access import EDITORS, JOINED, MANAGER, ROW_ONLY, lesson_in, visible_course
from api.rules.contents import Contents, contents_of
from models import Course, CourseMembership, Lesson, LessonCompletion, Section
from models.base import utcnow
from models.lesson import PUBLISHED

NOT_JOINED, DRIP, ORDER = "not_joined", "drip", "order"


@dataclass(frozen=True)
class Lock:
    """Why something is closed to the caller, and when it opens (None: not by itself in time)."""

    reason: str
    available_at: datetime | None


@dataclass
class LessonState:
    lesson: Row  # of `api.rules.contents.LESSON_FIELDS`
    completed_at: datetime | None
    lock: Lock | None

    @property
    def completion_status(self) -> str:
        return "completed" if self.completed_at is not None else "uncompleted"

    @property
    def locked(self) -> bool:
        return self.lock is not None


@dataclass
class SectionState:
    section: Row  # of `api.rules.contents.SECTION_FIELDS`
    available_date: datetime | None
    lock: Lock | None
    lessons: list[LessonState]

    @property
    def locked(self) -> bool:
        return self.lock is not None

    @property
    def lessons_order(self) -> list[int]:
        return [state.lesson.id for state in self.lessons]

    @property
    def num_lessons(self) -> int:
        return len(self.lessons)

    @property
    def num_lessons_completed(self) -> int:
        return sum(1 for state in self.lessons if state.completed_at)


@dataclass
class Progress:
    # The sections holding a published lesson; and every section of the course, in order.
    sections: list[SectionState]
    sections_order: list[int]

    def lessons(self) -> list[LessonState]:
        """The published lessons in course order."""
        return [state for section in self.sections for state in section.lessons]

    @property
    def num_sections(self) -> int:
        """Sections holding at least one published lesson, as the platform counts them."""
        return len(self.sections)

    @property
    def num_lessons(self) -> int:
        return len(self.lessons())

    @property
    def num_lessons_completed(self) -> int:
        return sum(1 for state in self.lessons() if state.completed_at)

    @property
    def user_completion_rate(self) -> int:
        return completion_rate(self.num_lessons_completed, self.num_lessons)

    @property
    def next_lesson(self) -> LessonState | None:
        """The first published lesson, in course order, that is open and not completed yet."""
        return next((s for s in self.lessons() if s.completed_at is None and s.lock is None), None)

    @property
    def completed_at(self) -> datetime | None:
        """When the last published lesson was completed, if all of them are; None otherwise."""
        lessons = self.lessons()
        if not lessons or any(state.completed_at is None for state in lessons):
            return None
        return max(state.completed_at for state in lessons)


def completion_rate(completed: int, total: int) -> int:
    """Percent, rounded down: 100 only when everything is completed."""
    return 100 * completed // total if total else 0


def opens_at(course: Course, section: Section | Row, joined_at: datetime | None) -> datetime | None:
    """When the section opens to a member who joined at `joined_at`; None when its date is not set."""
    if course.type == "scheduled":
        return section.dripped_at
    if course.type == "structured" and joined_at is not None:
        return joined_at + timedelta(days=section.drip_delay)
    return None


def section_lock(course: Course, section: Section | Row, role: str | None, joined_at: datetime | None, now: datetime):
    """Whether, and why, the section is closed to the caller."""
    if role in EDITORS:
        return None
    if role != JOINED:
        return Lock(NOT_JOINED, None)
    opening = opens_at(course, section, joined_at)
    if opening is not None and now < opening:
        return Lock(DRIP, opening)
    return None


def lesson_lock(course: Course, in_section: Lock | None, role: str | None, earlier_done: bool) -> Lock | None:
    """Whether, and why, a published lesson is closed to the caller; `earlier_done`: every published
    lesson before it in course order is completed."""
    if in_section is not None:
        return in_section
    if course.enforce_lessons_order and not earlier_done and role not in EDITORS:
        return Lock(ORDER, None)
    return None


def outline(
    course: Course,
    contents: Contents,
    role: str | None,
    joined_at: datetime | None,
    completed: dict[int, datetime],
    now: datetime,
) -> Progress:
    """The course's sections and published lessons as the caller sees them."""
    sections = []
    earlier_done = True
    for section in contents.sections:
        in_section = section_lock(course, section, role, joined_at, now)
        lessons = []
        for lesson in contents.lessons_in(section):
            if lesson.status != PUBLISHED:
                continue
            lessons.append(
                LessonState(lesson, completed.get(lesson.id), lesson_lock(course, in_section, role, earlier_done))
            )
            if lesson.id not in completed:
                earlier_done = False
        if lessons:
            sections.append(SectionState(section, opens_at(course, section, joined_at), in_section, lessons))
    return Progress(sections, contents.sections_order)


def progress_of(course: Course, user_id: int, role: str | None) -> Progress:
    """The outline of `course` for the user, in four queries whatever the size of the course."""
    contents = contents_of(course.id, published_only=True)
    return outline(course, contents, role, joined_at(course, user_id, role), completions(course.id, user_id), utcnow())


def open_lesson(course_id: int, section_id: int, lesson_id: int, user_id: int) -> tuple[Course, Lesson]:
    """A lesson the caller may read and mark: any lesson for the creator and managers; for a member
    a published one that is not locked (403 `locked`, saying why and until when).

    Whoever sees the course without being a member gets 403 `not_joined` for every lesson id, whether
    the lesson exists or not; an invisible course stays 404. The locks are those of `outline`,
    computed for this one lesson: a few queries, however large the course.
    """
    course, role = visible_course(course_id, user_id, ROW_ONLY)
    if role in EDITORS:
        return course, lesson_in(course, section_id, lesson_id)
    if role != JOINED:
        raise Forbidden("Only members of the course may take its lessons; join it first.", code=NOT_JOINED)
    lesson = lesson_in(course, section_id, lesson_id)
    if lesson.status != PUBLISHED:
        raise NotFound("No such lesson in this section.")
    section = database.session().get(Section, lesson.section_id)
    in_section = section_lock(course, section, role, joined_at(course, user_id, role), utcnow())
    earlier_done = not course.enforce_lessons_order or not _uncompleted_before(section, lesson, user_id)
    lock = lesson_lock(course, in_section, role, earlier_done)
    if lock is not None:
        raise Forbidden(_why_locked(lock), code="locked")
    return course, lesson


def _uncompleted_before(section: Section, lesson: Lesson, user_id: int) -> bool:
    """Whether a published lesson before `lesson` in course order is not completed by the user."""
    done = select(LessonCompletion.id).where(
        LessonCompletion.lesson_id == Lesson.id, LessonCompletion.user_id == user_id
    )
    earlier = or_(
        Section.position < section.position,
        and_(Lesson.section_id == section.id, Lesson.position < lesson.position),
    )
    query = (
        select(Lesson.id)
        .join(Section, Section.id == Lesson.section_id)
        .where(Lesson.course_id == lesson.course_id, Lesson.status == PUBLISHED, earlier, ~done.exists())
        .limit(1)
    )
    return database.session().scalar(query) is not None


def _why_locked(lock: Lock) -> str:
    if lock.reason == DRIP:
        return f"This lesson's section opens at {lock.available_at.isoformat().replace('+00:00', 'Z')}."
    return "Complete the lessons before this one first: the course is taken in order."


def joined_at(course: Course, user_id: int, role: str | None) -> datetime | None:
    if role not in (JOINED, MANAGER):
        return None
    return database.session().scalar(
        select(CourseMembership.joined_at).where(
            CourseMembership.course_id == course.id, CourseMembership.user_id == user_id
        )
    )


def completions(course_id: int, user_id: int) -> dict[int, datetime]:
    """When the user completed each lesson of the course they completed."""
    rows = database.session().execute(
        select(LessonCompletion.lesson_id, LessonCompletion.created_at).where(
            LessonCompletion.course_id == course_id, LessonCompletion.user_id == user_id
        )
    )
    return dict(rows.all())


def completed(lesson: Lesson, user_id: int) -> bool:
    return (
        database.session().scalar(
            select(LessonCompletion.id).where(
                LessonCompletion.lesson_id == lesson.id, LessonCompletion.user_id == user_id
            )
        )
        is not None
    )


def _published_counts(course_ids: list[int]) -> dict[int, int]:
    rows = database.session().execute(
        select(Lesson.course_id, func.count())
        .where(Lesson.course_id.in_(course_ids), Lesson.status == PUBLISHED)
        .group_by(Lesson.course_id)
    )
    return dict(rows.all())


def _completed_published(*criteria):
    return (
        select(LessonCompletion.course_id, func.count())
        .join(Lesson, and_(Lesson.id == LessonCompletion.lesson_id, Lesson.status == PUBLISHED))
        .where(*criteria)
        .group_by(LessonCompletion.course_id)
    )


def completion_rates(course_ids: list[int], user_id: int) -> dict[int, int]:
    """The user's `user_completion_rate` in each course, in two queries whatever the number of courses."""
    if not course_ids:
        return {}
    totals = _published_counts(course_ids)
    done = dict(
        database.session()
        .execute(_completed_published(LessonCompletion.course_id.in_(course_ids), LessonCompletion.user_id == user_id))
        .all()
    )
    return {course_id: completion_rate(done.get(course_id, 0), totals.get(course_id, 0)) for course_id in course_ids}


def average_completion_rate(course: Course) -> int:
    """The mean of the exact rates of the course's members (`joined`), rounded down; 0 without members."""
    db = database.session()
    members = select(CourseMembership.user_id).where(
        CourseMembership.course_id == course.id, CourseMembership.role == JOINED
    )
    count = db.scalar(select(func.count()).select_from(members.subquery()))
    total = _published_counts([course.id]).get(course.id, 0)
    if not count or not total:
        return 0
    done = dict(
        db.execute(
            _completed_published(LessonCompletion.course_id == course.id, LessonCompletion.user_id.in_(members))
        ).all()
    ).get(course.id, 0)
    return 100 * done // (total * count)
