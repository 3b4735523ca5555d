"""How lessons are added, changed, moved and deleted, and how a caller's completions are recorded."""

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import undefer

from api import database
from api.errors import BadRequest, Conflict
from api.rules.editing import revise
from models import Course, Lesson, LessonCompletion, Section, User
from models.base import utcnow

MAX_LESSONS = 500


def _room_at_the_end(section_id: int) -> int:
    """The position after the section's last lesson; 409 when the section is full."""
    count, last = (
        database.session()
        .execute(select(func.count(), func.max(Lesson.position)).where(Lesson.section_id == section_id))
        .one()
    )
    if count >= MAX_LESSONS:
        raise Conflict(f"A section holds at most {MAX_LESSONS} lessons.", code="limit")
    return (-1 if last is None else last) + 1


def lessons_of(section: Section) -> list[Lesson]:
    """The section's lessons in order, with their HTML: in one query however many there are."""
    query = select(Lesson).where(Lesson.section_id == section.id).order_by(Lesson.position)
    return database.session().scalars(query.options(undefer(Lesson.html))).all()


def add_lesson(course: Course, section: Section, data: dict, author: User) -> Lesson:
    """Append a lesson to the section; the section's other lessons stay unloaded."""
    # A lesson sent back whole may carry its `section_id`; a new one goes into the path's section.
    if data.pop("section_id", section.id) != section.id:
        raise BadRequest(
            "A new lesson goes into the section of the path; move it afterwards with PATCH.",
            field="section_id",
            code="invalid",
        )
    lesson = Lesson(
        course_id=course.id,
        section_id=section.id,
        position=_room_at_the_end(section.id),
        created_by=author,
        **({"type": "lesson", "status": "draft", "comments_enabled": True, "html": ""} | data),
    )
    db = database.session()
    db.add(lesson)
    # The section's `lessons_order` and the course's `view=edit` show the new lesson.
    revise(section, course)
    db.flush()
    return lesson


def change_lesson(course: Course, section: Section, lesson: Lesson, data: dict) -> None:
    """A PUT or PATCH of a lesson; a new `section_id` moves it to the end of that section."""
    target_id = data.pop("section_id", lesson.section_id)
    db = database.session()
    if target_id != lesson.section_id:
        target = db.get(Section, target_id)
        if target is None or target.course_id != course.id:
            raise BadRequest(f"No section {target_id} in this course.", field="section_id", code="does_not_exist")
        lesson.position = _room_at_the_end(target.id)
        lesson.section_id = target.id
        revise(target)
    for name, value in data.items():
        setattr(lesson, name, value)
    # The section shows the lesson's place and counts its published lessons; the course lists them all.
    revise(lesson, section, course)
    db.flush()


def remove_lesson(course: Course, section: Section, lesson: Lesson) -> None:
    """Delete the lesson; its completions go with it (ON DELETE CASCADE)."""
    database.session().delete(lesson)
    revise(section, course)
    database.session().flush()


def mark_complete(lesson: Lesson, user_id: int) -> None:
    """Record that the user completed the lesson; doing it again changes nothing, and keeps the first time.

    One statement that skips an existing (lesson, user) row, so two marks sent at once cannot both
    insert, whatever locks the request holds.
    """
    db = database.session()
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    db.execute(
        insert(LessonCompletion)
        .values(lesson_id=lesson.id, user_id=user_id, course_id=lesson.course_id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=[LessonCompletion.lesson_id, LessonCompletion.user_id])
    )


def mark_incomplete(lesson: Lesson, user_id: int) -> None:
    database.session().execute(
        delete(LessonCompletion).where(LessonCompletion.lesson_id == lesson.id, LessonCompletion.user_id == user_id)
    )
