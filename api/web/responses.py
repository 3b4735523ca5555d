"""Turning models into JSON answers."""

from urllib.parse import urlencode

from flask import Response, request
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from api import database
from api.pictures.course_pictures import picture_urls
from api.rules.access import EDITORS, roles_in, sees_in_full
from api.rules.membership import member_list_allowed
from api.rules.progress import completion_rates, progress_of
from api.urls import public_origin
from api.web.contents_json import lesson_summary, progress_json, section_detail
from api.web.schemas import CourseMinimalSchema, CourseSchema, LessonSchema
from models import Course

JSON = {"Content-Type": "application/json"}

_course = CourseSchema()
# For the answers that read the sections as rows (`api.rules.contents`), which give the order.
_course_unordered = CourseSchema(exclude=("sections_order",))
_minimal = CourseMinimalSchema()
_lesson = LessonSchema()


def json_response(body, status: int = 200, headers: dict | None = None):
    # Operations document JSON and problem+json answers, so Connexion needs the type spelled out.
    return body, status, JSON | (headers or {})


def no_content():
    """A 204 with no Content-Type: given a tuple, Connexion would label it with the one media type the
    operation documents, problem+json, although nothing follows."""
    response = Response(status=204)
    del response.headers["Content-Type"]
    return response


def represent_course(course, role: str | None, completion_rate: int = 0) -> dict:
    """The course as this caller may see it, with their `join_status` and `user_completion_rate`;
    outsiders of a private course get the minimal form."""
    return _represent(course, role, _course if sees_in_full(course, role) else _minimal, completion_rate)


def _represent(course, role: str | None, schema, completion_rate: int) -> dict:
    body = schema.dump(course) | picture_urls(course) | {"join_status": role, "user_completion_rate": completion_rate}
    if not member_list_allowed(course, role):
        del body["member_count"]
    return body


def represent_contents(course, role: str, completion_rate: int, contents) -> dict:
    """The course with every section and lesson, drafts included (`view=edit`); `contents` from
    `api.rules.contents.contents_of`."""
    sections = [section_detail(section, contents.lessons_in(section)) for section in contents.sections]
    return _represent(course, role, _course_unordered, completion_rate) | {
        "sections_order": contents.sections_order,
        "sections": sections,
        "num_sections": len(sections),
        "num_lessons": sum(len(lessons) for lessons in contents.lessons.values()),
    }


def represent_outline(course, role: str | None, progress) -> dict:
    """The course with its sections and lessons as the caller takes it (`view=user`)."""
    shown = progress_json(progress)
    # Like the sections, `sections_order` leaves out those they do not see. Editors keep the
    # whole order, so that they can send the answer back as it is.
    shown["sections_order"] = (
        progress.sections_order if role in EDITORS else [state.section.id for state in progress.sections]
    )
    return _represent(course, role, _course_unordered, 0) | shown


def represent_as_seen(course, user_id: int, role: str | None) -> dict:
    """The course as `view=user` shows it to the user: their outline, or to an outsider of a private
    course its minimal form."""
    if not sees_in_full(course, role):
        return represent_course(course, role, completion_rates([course.id], user_id)[course.id])
    return represent_outline(course, role, progress_of(course, user_id, role))


def course_page(me, criteria: list, order, limit: int, offset: int) -> dict:
    """A page of the courses that match `criteria`, in `order` (newest first among equals), as `me` sees
    them (None: a visitor, who holds no role and has no progress)."""
    db = database.session()
    count = db.scalar(select(func.count()).select_from(Course).where(*criteria))
    courses = db.scalars(select(Course).where(*criteria).order_by(order, Course.id.desc()).limit(limit).offset(offset))
    courses = courses.all()
    roles = roles_in(courses, me)
    rates = completion_rates([course.id for course in courses], me.id if me else None)
    items = [represent_course(course, roles[course.id], rates[course.id]) for course in courses]
    return page(items, count, limit, offset)


def page(items: list, count: int, limit: int, offset: int) -> dict:
    """A DRF-style page whose links repeat the request with another offset."""

    def link(new_offset: int | None):
        if new_offset is None:
            return None
        args = MultiDict(request.args)
        args["limit"], args["offset"] = str(limit), str(new_offset)
        return f"{public_origin()}{request.path}?{urlencode(list(args.items(multi=True)))}"

    following = offset + limit if offset + limit < count else None
    preceding = max(offset - limit, 0) if offset > 0 else None
    return {"count": count, "next": link(following), "previous": link(preceding), "results": items}


def whole_page(items: list) -> dict:
    """A list that is never paged, in the shape of a DRF page that holds all of it."""
    return {"count": len(items), "next": None, "previous": None, "results": items}


def represent_lesson(lesson, completed: bool) -> dict:
    """A lesson as its own answers show it: to its editors, or to a member it is open to (never locked)."""
    return (
        lesson_summary(lesson)
        | _lesson.dump(lesson)
        | {
            "completion_status": "completed" if completed else "uncompleted",
            "locked": False,
            "lock": None,
        }
    )
