"""Handlers of the `courses` tag."""

from flask import current_app
from sqlalchemy import Integer, func, select, text

from api import database, editing
from api.access import (
    CREATOR,
    JOINED,
    MANAGER,
    editable_course,
    holds_any_role,
    roles_in,
    visible_course,
    visible_to,
)
from api.auth import current_user
from api.errors import Forbidden
from api.idempotency import idempotent
from api.preconditions import not_modified, require_match, tagged
from api.responses import json_response, no_content, page, represent_course
from api.schemas import CourseLoadSchema
from api.urls import located
from models import Course, course_categories

_load = CourseLoadSchema()
ORDERINGS = {"id": Course.id, "name": Course.name, "created_at": Course.created_at}
DEFAULT_STATUSES = [CREATOR, MANAGER, JOINED]


@idempotent
def create(user, body):
    """Create a course owned by the caller."""
    # Loading decodes a picture, which can take a while: do it before the first query takes the
    # write lock (SQLite's is for the whole database).
    data = _load.load(body)
    me = current_user(user)
    if current_app.config["SETTINGS"].courses_only_staff and not me.is_staff:
        raise Forbidden("Only staff members may create courses.")
    course = editing.create_course(data, me)
    return json_response(represent_course(course, CREATOR), 201, tagged(course) | located(f"/course/{course.id}/"))


def list(user, statuses=None, created_by=None, limit=20, offset=0):  # noqa: A001 - the spec's verb
    """The courses in which the caller holds one of `statuses`."""
    me = current_user(user)
    criteria = [visible_to(me), holds_any_role(me, statuses or DEFAULT_STATUSES)]
    if created_by is not None:
        criteria.append(Course.created_by_id == created_by)
    return _page_of(me, criteria, Course.id.desc(), limit, offset)


def search(user, search=None, categories=None, statuses=None, ordering="-id", limit=20, offset=0):
    """Courses the caller may see that match the filters."""
    me = current_user(user)
    criteria = [visible_to(me)]
    if search:
        criteria.append(_containing(search.casefold()))
    if categories:
        criteria.append(
            Course.id.in_(select(course_categories.c.course_id).where(course_categories.c.category_id.in_(categories)))
        )
    if statuses:
        criteria.append(holds_any_role(me, statuses))
    column = ORDERINGS[ordering.lstrip("-")]
    order = column.desc() if ordering.startswith("-") else column.asc()
    return _page_of(me, criteria, order, limit, offset)


def _containing(term: str):
    """Courses whose name or description contains `term` (case-folded), through the search index
    of migration 0005 where it applies: PostgreSQL's trigram index serves LIKE itself, SQLite's FTS5
    table needs MATCH. Terms under three characters make no trigram and scan either way."""
    if len(term) >= 3 and database.session().get_bind().dialect.name == "sqlite":
        phrase = '"' + term.replace('"', '""') + '"'
        matching = text("SELECT rowid FROM courses_search WHERE courses_search MATCH :phrase")
        return Course.id.in_(matching.bindparams(phrase=phrase).columns(rowid=Integer))
    return Course.search_text.contains(term, autoescape=True)


def _page_of(me, criteria, order, limit, offset):
    db = database.session()
    count = db.scalar(select(func.count()).select_from(Course).where(*criteria))
    courses = db.scalars(select(Course).where(*criteria).order_by(order, Course.id.desc()).limit(limit).offset(offset))
    courses = courses.all()
    roles = roles_in(courses, me)
    items = [represent_course(course, roles[course.id]) for course in courses]
    return json_response(page(items, count, limit, offset))


def get(user, id, view="user"):  # noqa: A002 - the spec's parameter name
    """One course, in the representation the caller may see."""
    if view == "edit":
        course, role = editable_course(id, user)
    else:
        course, role = visible_course(id, user)
    return not_modified(course) or json_response(represent_course(course, role, view), headers=tagged(course))


def update(user, id, body):  # noqa: A002
    """Replace the fields a PUT carries."""
    return patch(user, id, body)


def patch(user, id, body):  # noqa: A002
    """Change exactly the fields sent."""
    data = _load.load(body)  # before the course is locked, as in `create`
    course, role = editable_course(id, user)
    require_match(course)
    editing.change_course(course, data)
    return json_response(represent_course(course, role), headers=tagged(course))


def delete(user, id):  # noqa: A002
    """Soft-delete a course; its name and slug become free."""
    course, _ = editable_course(id, user)
    require_match(course)
    editing.delete_course(course)
    return no_content()
