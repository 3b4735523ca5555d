"""The course the hostile suites attack (tests/test_hostile*.py); the `target` fixture in conftest builds it."""

from tests.support.http import course_url
from tests.support.tokens import make_token


class Target:
    """A course of alice's with two sections (a published lesson in the first), another course with one
    section, and alice's headers."""

    def __init__(self, make, alice):
        self.course = make.course(alice, sections=2)
        self.other = make.course(alice, sections=1)
        self.course_id = self.course.id
        self.section_ids = [s.id for s in sorted(self.course.sections, key=lambda s: s.position)]
        self.foreign_section_id = self.other.sections[0].id
        first = next(s for s in self.course.sections if s.id == self.section_ids[0])
        self.lesson_id = make.lesson(first).id
        self.alice_id = alice.id

    def headers(self, **extra):
        return {"Authorization": f"Bearer {make_token(self.alice_id)}", **extra}

    def url(self, target, course_id=None, section_id=None, lesson_id=None):
        course_id = self.course_id if course_id is None else course_id
        section_id = self.section_ids[0] if section_id is None else section_id
        lesson_id = self.lesson_id if lesson_id is None else lesson_id
        lesson = ("section", section_id, "lesson", lesson_id)
        return {
            "course": course_url(course_id),
            "sections": course_url(course_id, "section"),
            "section": course_url(course_id, "section", section_id),
            "lessons": course_url(course_id, "section", section_id, "lesson"),
            "lesson": course_url(course_id, *lesson),
            "complete": course_url(course_id, *lesson, "complete"),
            "incomplete": course_url(course_id, *lesson, "incomplete"),
        }[target]
