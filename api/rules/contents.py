"""A course's sections and lessons read as plain rows, for the answers that show all of them.

`view=user`, `view=edit`, the dashboard and the list of sections show every section and lesson of
a course: hundreds of rows. As ORM objects they cost several times what their queries do (the
identity map, instrumented attributes, relationship collections), and these answers only read
them. Two queries, whatever the size of the course; the writing paths keep the ORM objects.
"""

from dataclasses import dataclass

from sqlalchemy import Row, select

from api import database
from models import Lesson, Section
from models.lesson import PUBLISHED

SECTION_FIELDS = (Section.id, Section.name, Section.dripped_at, Section.drip_delay, Section.revision)
LESSON_FIELDS = (Lesson.id, Lesson.section_id, Lesson.name, Lesson.type, Lesson.status, Lesson.comments_enabled)


@dataclass(frozen=True)
class Contents:
    """Every section of a course in order, and each section's lessons in order (by section id)."""

    sections: list[Row]
    lessons: dict[int, list[Row]]

    @property
    def sections_order(self) -> list[int]:
        return [section.id for section in self.sections]

    def lessons_in(self, section) -> list[Row]:
        return self.lessons.get(section.id, [])


def contents_of(course_id: int, published_only: bool = False) -> Contents:
    """The course's sections, and its lessons (only the published ones if asked)."""
    db = database.session()
    sections = db.execute(select(*SECTION_FIELDS).where(Section.course_id == course_id).order_by(Section.position))
    query = select(*LESSON_FIELDS).where(Lesson.course_id == course_id)
    if published_only:
        query = query.where(Lesson.status == PUBLISHED)
    lessons: dict[int, list[Row]] = {}
    for lesson in db.execute(query.order_by(Lesson.section_id, Lesson.position)):
        lessons.setdefault(lesson.section_id, []).append(lesson)
    return Contents(sections.all(), lessons)
