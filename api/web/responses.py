"""Turning models into JSON answers."""

from urllib.parse import urlencode

from flask import Response, request
from werkzeug.datastructures import MultiDict

from api.pictures.course_pictures import picture_urls
from api.rules.access import EDITORS, sees_in_full
from api.urls import public_origin
from api.web.schemas import (
    CourseDetailSchema,
    CourseMinimalSchema,
    CourseSchema,
    LessonSchema,
    ProgressSchema,
    SectionProgressSchema,
)

JSON = {"Content-Type": "application/json"}

_course = CourseSchema()
_minimal = CourseMinimalSchema()
_detail = CourseDetailSchema()
_lesson = LessonSchema()
_section_progress = SectionProgressSchema()
_progress = ProgressSchema()


def json_response(body, status: int = 200, headers: dict | None = None):
    # Operations document JSON and problem+json answers, so Connexion needs the type spelled out.
    return body, status, JSON | (headers or {})


def no_content():
    """A 204 with no Content-Type: given a tuple, Connexion would label it with the one media type the
    operation documents, problem+json, although nothing follows."""
    response = Response(status=204)
    del response.headers["Content-Type"]
    return response


def represent_course(course, role: str | None, completion_rate: int = 0, view: str = "user") -> dict:
    """The course as this caller may see it, with their `join_status` and `user_completion_rate`.

    Editors asking to edit get the detail; outsiders of a private course get the minimal form.
    """
    if view == "edit":
        schema = _detail
    elif not sees_in_full(course, role):
        schema = _minimal
    else:
        schema = _course
    return schema.dump(course) | picture_urls(course) | {"join_status": role, "user_completion_rate": completion_rate}


def represent_outline(course, role: str | None, progress) -> dict:
    """The course with its sections and lessons as the caller takes it (`view=user`)."""
    shown = {"sections": _section_progress.dump(progress.sections, many=True)}
    if role not in EDITORS:
        # Like the sections, `sections_order` leaves out those they do not see. Editors keep the
        # whole order, so that they can send the answer back as it is.
        shown["sections_order"] = [state.section.id for state in progress.sections]
    return represent_course(course, role) | _progress.dump(progress) | shown


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


def represent_lesson(lesson, completed: bool) -> dict:
    """A lesson as its own answers show it: to its editors, or to a member it is open to (never locked)."""
    return _lesson.dump(lesson) | {
        "completion_status": "completed" if completed else "uncompleted",
        "locked": False,
        "lock": None,
    }
