"""Handlers of the `roles` tag."""

from api.rules import editing
from api.rules.access import editable_course
from api.web.idempotency import idempotent
from api.web.responses import no_content
from api.web.schemas import RoleChangeSchema

_load = RoleChangeSchema()


@idempotent
def change(user, id, body):
    """Promote, demote, add or remove members of a course."""
    course, _ = editable_course(id, user)
    editing.change_roles(course, _load.load(body))
    return no_content()
