"""Handlers of the `courses` tag."""

from sqlalchemy import select

from api import database
from api.config import current_settings
from api.pictures import images
from api.rules import editing
from api.rules.access import (
    CREATOR,
    JOINED,
    MANAGER,
    ROW_ONLY,
    check_may_create_course,
    current_user,
    editable_course,
    holds_any_role,
    member_role,
    require_editor,
    sees_in_full,
    viewer,
    visible_course,
    visible_to,
)
from api.rules.contents import contents_of
from api.rules.progress import average_completion_rate, completion_rates, progress_of
from api.rules.search import search_matches
from api.urls import located
from api.web.idempotency import idempotent
from api.web.preconditions import (
    content_etag,
    not_modified_by_tag,
    require_match,
    tagged,
    variant_etag,
)
from api.web.query import shadowed_integer
from api.web.responses import (
    course_page,
    json_response,
    no_content,
    represent_as_seen,
    represent_contents,
    represent_course,
    represent_outline,
)
from api.web.schemas import CourseLoadSchema
from models import Course, course_categories

_load = CourseLoadSchema()
ORDERINGS = {"id": Course.id, "name": Course.name, "created_at": Course.created_at}
DEFAULT_STATUSES = [CREATOR, MANAGER, JOINED]


@idempotent
def create(user, body):
    """Create a course owned by the caller."""
    data = _load_after(lambda: _creator(user), body)
    course = editing.create_course(data, _creator(user))
    return json_response(represent_course(course, CREATOR), 201, tagged(course) | located(f"/course/{course.id}/"))


def _creator(user_id):
    me = current_user(user_id)
    check_may_create_course(me, current_settings())
    return me


def _load_after(check, body) -> dict:
    """The loaded body; a picture in it is decoded only once `check` (who may write) has passed.

    Decoding a picture costs up to a second of CPU and hundreds of megabytes, so a caller who may
    not write never gets that far. The check runs in a read transaction of its own, because the
    request's write transaction would hold SQLite's database-wide write lock through the decoding;
    the handler checks again in that transaction.
    """
    if body.get(images.FIELD):
        with database.read_only():
            check()
    return _load.load(body)


def list(user, statuses=None, created_by=None, limit=20, offset=0):
    """The courses in which the caller holds one of `statuses`."""
    me = current_user(user)
    criteria = [visible_to(me), holds_any_role(me, statuses or DEFAULT_STATUSES)]
    if created_by is not None:
        criteria.append(Course.created_by_id == created_by)
    return json_response(course_page(me, criteria, Course.id.desc(), limit, offset))


def search(user=None, search=None, categories=None, statuses=None, ordering="-id", limit=20, offset=0):
    """Courses the caller (or a visitor) may see that match the filters."""
    me = viewer(user)
    criteria = [visible_to(me)]
    if search:
        criteria.append(search_matches(me, search.casefold()))
    if categories:
        criteria.append(
            Course.id.in_(select(course_categories.c.course_id).where(course_categories.c.category_id.in_(categories)))
        )
    if statuses:
        criteria.append(holds_any_role(me, statuses))
    column = ORDERINGS[ordering.lstrip("-")]
    order = column.desc() if ordering.startswith("-") else column.asc()
    return json_response(course_page(me, criteria, order, limit, offset))


def get(id, user=None, view="user"):
    """One course, in the representation the caller may see; `user` shows it as that member does."""
    if view == "edit":
        course, role = editable_course(id, user, ROW_ONLY)
        body = represent_contents(course, role, _rate(course, user), contents_of(course.id))
    elif view == "dashboard":
        course, role = editable_course(id, user, ROW_ONLY)
        body = represent_outline(course, role, progress_of(course, user, role))
        body["avg_completion_rate"] = average_completion_rate(course)
    else:
        course, role = visible_course(id, user, ROW_ONLY)
        member = shadowed_integer("user")
        if member is not None:
            require_editor(role)
            user, role = member, member_role(course, member)
        body = represent_as_seen(course, user, role)
        if not sees_in_full(course, role):
            return _tagged(content_etag(course, body), body)
    # Every view shows the caller's own progress, which changes without a new revision.
    return _tagged(variant_etag(course, body), body)


def _rate(course, user_id) -> int:
    return completion_rates([course.id], user_id)[course.id]


def _tagged(tag, body):
    """An answer under `tag`, which is built from the body: built even for a 304, to compare."""
    headers = {"ETag": tag}
    return not_modified_by_tag(tag, headers) or json_response(body, headers=headers)


def update(user, id, body):
    """Replace the fields a PUT carries."""
    return patch(user, id, body)


def patch(user, id, body):
    """Change exactly the fields sent."""
    data = _load_after(lambda: editable_course(id, user, ROW_ONLY), body)
    course, role = editable_course(id, user)
    require_match(course)
    editing.change_course(course, data)
    return json_response(represent_course(course, role, _rate(course, user)), headers=tagged(course))


def delete(user, id):
    """Soft-delete a course; its name and slug become free."""
    course, _ = editable_course(id, user)
    require_match(course)
    editing.delete_course(course)
    return no_content()
