"""Handlers of the `lessons` tag."""

from api.rules import lessons
from api.rules.access import current_user, editable_lesson, editable_section
from api.rules.progress import completed, completions, open_lesson
from api.urls import located
from api.web.idempotency import idempotent
from api.web.preconditions import not_modified_by_tag, require_match, tagged, variant_etag
from api.web.responses import json_response, no_content, represent_lesson
from api.web.schemas import LessonLoadSchema

_load = LessonLoadSchema()


def list(user, id, section_id):
    """Every lesson of a section, drafts too, in the section's order."""
    course, section = editable_section(id, section_id, user)
    done = completions(course.id, user)
    return json_response([represent_lesson(lesson, lesson.id in done) for lesson in lessons.lessons_of(section)])


@idempotent
def create(user, id, section_id, body):
    """Append a lesson to a section."""
    course, section = editable_section(id, section_id, user)
    lesson = lessons.add_lesson(course, section, _load.load(body), current_user(user))
    location = located(f"/course/{course.id}/section/{section.id}/lesson/{lesson.id}/")
    return json_response(represent_lesson(lesson, False), 201, tagged(lesson) | location)


def get(user, id, section_id, lesson_id):
    """One lesson, for its editors and for the members it is open to."""
    _, lesson = open_lesson(id, section_id, lesson_id, user)
    return _tagged(lesson, represent_lesson(lesson, completed(lesson, user)))


def _tagged(lesson, body):
    """Whether the caller completed the lesson is theirs alone, hence a variant tag (`variant_etag`)."""
    tag = variant_etag(lesson, body)
    return not_modified_by_tag(tag, {"ETag": tag}) or json_response(body, headers={"ETag": tag})


def update(user, id, section_id, lesson_id, body):
    """Replace the fields a PUT carries."""
    return patch(user, id, section_id, lesson_id, body)


def patch(user, id, section_id, lesson_id, body):
    """Change exactly the fields sent; a new `section_id` moves the lesson."""
    course, section, lesson = editable_lesson(id, section_id, lesson_id, user)
    require_match(lesson)
    lessons.change_lesson(course, section, lesson, _load.load(body))
    return json_response(represent_lesson(lesson, completed(lesson, user)), headers=tagged(lesson))


def delete(user, id, section_id, lesson_id):
    """Delete a lesson and the completions of it."""
    course, section, lesson = editable_lesson(id, section_id, lesson_id, user)
    require_match(lesson)
    lessons.remove_lesson(course, section, lesson)
    return no_content()


def complete(user, id, section_id, lesson_id):
    """Mark the lesson completed for the caller."""
    _, lesson = open_lesson(id, section_id, lesson_id, user)
    lessons.mark_complete(lesson, user)
    return no_content()


def incomplete(user, id, section_id, lesson_id):
    """Mark the lesson not completed for the caller."""
    _, lesson = open_lesson(id, section_id, lesson_id, user)
    lessons.mark_incomplete(lesson, user)
    return no_content()
