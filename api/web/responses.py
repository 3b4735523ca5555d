"""Turning models into JSON answers."""

from urllib.parse import urlencode

from flask import request
from werkzeug.datastructures import MultiDict

from api.pictures.course_pictures import picture_urls
from api.rules.access import sees_in_full
from api.urls import public_origin
from api.web.schemas import CourseDetailSchema, CourseMinimalSchema, CourseSchema

JSON = {"Content-Type": "application/json"}

_course = CourseSchema()
_minimal = CourseMinimalSchema()
_detail = CourseDetailSchema()


def json_response(body, status: int = 200, headers: dict | None = None):
    # Operations document JSON and problem+json answers, so Connexion needs the type spelled out.
    return body, status, JSON | (headers or {})


def no_content():
    return None, 204


def represent_course(course, role: str | None, view: str = "user") -> dict:
    """The course as this caller may see it.

    Editors asking to edit get the detail; outsiders of a private course get the minimal form.
    """
    if view == "edit":
        schema = _detail
    elif not sees_in_full(course, role):
        schema = _minimal
    else:
        schema = _course
    return schema.dump(course) | picture_urls(course) | {"join_status": role}


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
