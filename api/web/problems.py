"""Problem answers: how every failure, ours or a library's, becomes an RFC 9457 problem+json response."""

import json
import logging
import re

from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionResponse
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from api.errors import PROBLEM_JSON, ApiProblem, clashing_field, code_of, field_errors

log = logging.getLogger(__name__)

# The scope key under which api/serving/request_ids.py keeps the id of the request (its X-Request-ID).
REQUEST_ID = "course_api.request_id"


def request_id_of(request) -> str | None:
    """The id of the request an error handler answers."""
    return request.scope.get(REQUEST_ID)


def problem_response(
    status: int, detail: str, errors: list[dict], headers: dict | None = None, request_id: str | None = None
):
    body = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "errors": errors,
    }
    if request_id is not None:
        body["request_id"] = request_id
    headers = dict(headers or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="course-api"')
    return ConnexionResponse(
        status_code=status,
        mimetype=PROBLEM_JSON,
        content_type=PROBLEM_JSON,
        body=json.dumps(body),
        headers=headers,
    )


def _simple(request, status: int, detail: str, headers: dict | None = None):
    errors = [{"messages": [{"code": code_of(status), "message": detail}]}]
    return problem_response(status, detail, errors, headers, request_id_of(request))


def handle_api_problem(request, exc: ApiProblem):
    return problem_response(exc.status, exc.detail, exc.errors, exc.headers, request_id_of(request))


def handle_connexion_problem(request, exc: ProblemException):
    """Problems raised by Connexion itself (malformed JSON, missing token, wrong media type...)."""
    detail = exc.detail or exc.title or HTTP_STATUS_CODES.get(exc.status, "Error")
    return _simple(request, exc.status, detail, dict(exc.headers or {}))


class AllowedMethods:
    """The methods the spec documents for each path, for the `Allow` header of a 405."""

    def __init__(self, spec: dict, base_path: str):
        self._routes = []
        for template, operations in spec["paths"].items():
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(base_path + template))
            methods = {m.upper() for m in operations if m in {"get", "put", "post", "patch", "delete"}}
            # Every GET answers HEAD as well (Starlette's routes and Flask's rules add it).
            methods = sorted(methods | ({"HEAD"} if "GET" in methods else set()))
            self._routes.append((re.compile(pattern + "$"), ", ".join(methods)))

    def for_path(self, path: str) -> str | None:
        return next((allow for pattern, allow in self._routes if pattern.match(path)), None)


def make_http_exception_handler(allowed: AllowedMethods):
    def handle_http_exception(request, exc: HTTPException):
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            allow = allowed.for_path(request.url.path)
            if allow:
                headers["Allow"] = allow
            detail = f"{request.method} is not allowed here; use {headers.get('Allow', 'another method')}."
        elif exc.status_code == 404:
            detail = "No such resource."
        else:
            detail = exc.detail or HTTP_STATUS_CODES.get(exc.status_code, "Error")
        return _simple(request, exc.status_code, detail, headers)

    return handle_http_exception


def handle_integrity_error(request, exc: IntegrityError):
    """Races between two writers end here: the database's constraints have the last word."""
    log.info("integrity error: %s", exc.orig)
    field = clashing_field(exc)
    if field is not None:
        detail = f"Another resource already uses this {field}."
        return problem_response(
            409, detail, field_errors([(field, "unique", detail)]), request_id=request_id_of(request)
        )
    return _simple(request, 409, "The request conflicts with the current state of the resource.")


def handle_unavailable_database(request, exc: Exception):
    """The database is down, unreachable or busy beyond our wait: ask the client to come back."""
    log.warning("database unavailable: %s", getattr(exc, "orig", exc))
    return _simple(request, 503, "The database is not reachable; try again shortly.", {"Retry-After": "5"})


def handle_unexpected(request, exc: Exception):
    # The trace goes to the log only, with the request's id; the answer names the id, nothing more.
    request_id = request_id_of(request)
    log.exception("unexpected error", exc_info=exc, extra={"request_id": request_id})
    return _simple(request, 500, "The server failed to handle the request.")


def handle_load_error(request, exc: ValidationError):
    # The spec validates requests first, so this is a safety net, not a second contract.
    items = [
        (None if name == "_schema" else name, "unsupported_value", str(message))
        for name, messages in exc.normalized_messages().items()
        for message in messages
    ]
    return problem_response(400, "The request is not valid.", field_errors(items), request_id=request_id_of(request))


def register(app, spec: dict, base_path: str) -> None:
    app.add_error_handler(ValidationError, handle_load_error)
    app.add_error_handler(ApiProblem, handle_api_problem)
    app.add_error_handler(ProblemException, handle_connexion_problem)
    app.add_error_handler(HTTPException, make_http_exception_handler(AllowedMethods(spec, base_path)))
    app.add_error_handler(IntegrityError, handle_integrity_error)
    # Connection failures, timeouts and locks are OperationalErrors; other database errors are bugs (500).
    for unavailable in (OperationalError, InterfaceError, PoolTimeout):
        app.add_error_handler(unavailable, handle_unavailable_database)
    app.add_error_handler(Exception, handle_unexpected)
