"""Handlers of the `sections` tag."""

from api.rules import editing
from api.rules.access import ROW_ONLY, editable_course, editable_section
from api.rules.contents import contents_of
from api.urls import located
from api.web.contents_json import section_json
from api.web.idempotency import idempotent
from api.web.preconditions import not_modified, require_match, tagged
from api.web.responses import json_response, no_content
from api.web.schemas import SectionLoadSchema

_load = SectionLoadSchema()


def list(user, id):
    """All sections of a course in display order."""
    course, _ = editable_course(id, user, ROW_ONLY)
    contents = contents_of(course.id)
    return json_response([section_json(section, contents.lessons_in(section)) for section in contents.sections])


@idempotent
def create(user, id, body):
    """Append a section to a course."""
    course, _ = editable_course(id, user, ROW_ONLY)
    section = editing.add_section(course, _load.load(body))
    location = located(f"/course/{course.id}/section/{section.id}/")
    return json_response(_dump(section), 201, tagged(section) | location)


def get(user, id, section_id):
    """One section of a course."""
    _, section = editable_section(id, section_id, user)
    return not_modified(section) or json_response(_dump(section), headers=tagged(section))


def update(user, id, section_id, body):
    """Replace the fields a PUT carries."""
    return patch(user, id, section_id, body)


def patch(user, id, section_id, body):
    """Change exactly the fields sent."""
    course, section = editable_section(id, section_id, user)
    require_match(section)
    editing.change_section(course, section, _load.load(body))
    return json_response(_dump(section), headers=tagged(section))


def delete(user, id, section_id):
    """Delete a section and drop it from the course's order."""
    course, section = editable_section(id, section_id, user)
    require_match(section)
    editing.remove_section(course, section)
    return no_content()


def _dump(section) -> dict:
    return section_json(section, section.lessons)
