"""Handlers of the `roles` tag."""

from api import editing
from api.access import editable_course
from api.idempotency import idempotent
from api.responses import no_content
from api.schemas import RoleChangeSchema

_load = RoleChangeSchema()


@idempotent
def change(user, id, body):  # noqa: A002 - the spec's parameter name
    """Promote, demote, add or remove members of a course."""
    course, _ = editable_course(id, user)
    editing.change_roles(course, _load.load(body))
    return no_content()
