"""The problems a request can run into, with SDK-style field errors; api/web/problems.py renders them.

Free of any web framework, so that the rules can raise them.
"""

import re

from sqlalchemy.exc import IntegrityError

PROBLEM_JSON = "application/problem+json"

# The SDK-style code of a problem's message when nothing more precise applies, by status.
CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "throttled",
    500: "server_error",
    503: "unavailable",
}


def code_of(status: int) -> str:
    return CODES.get(status, "bad_request")


class ApiProblem(Exception):
    """An error answer. `errors` maps a field name (None for the whole request) to (code, message) pairs."""

    status = 400
    # A code more precise than the status's own (CODES), for every problem of a subclass.
    code: str | None = None

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        code: str | None = None,
        errors: list[dict] | None = None,
        headers: dict | None = None,
    ):
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        if errors is None:
            entry = {"messages": [{"code": code or self.code or code_of(self.status), "message": detail}]}
            if field is not None:
                entry = {"field": field, **entry}
            errors = [entry]
        self.errors = errors


class BadRequest(ApiProblem):
    status = 400


class Unauthorized(ApiProblem):
    status = 401


class Forbidden(ApiProblem):
    status = 403


class NotFound(ApiProblem):
    status = 404


class PayloadTooLarge(ApiProblem):
    status = 413


class UnsupportedMediaType(ApiProblem):
    status = 415


class Conflict(ApiProblem):
    status = 409
    code = "unique"


class PreconditionFailed(ApiProblem):
    status = 412


class TooManyRequests(ApiProblem):
    status = 429


class ServiceUnavailable(ApiProblem):
    status = 503


# An answer lists this many problems at most, so that its size, and the cost of finding them, stay
# bounded however many a request holds.
MAX_ERRORS = 20


def field_errors(items: list[tuple[str | None, str, str]]) -> list[dict]:
    """Group (field, code, message) triples into the SDK's `errors` list, one entry per field.

    Only the first MAX_ERRORS triples are kept; `listed` also says so in the detail.
    """
    grouped: dict[str | None, list[dict]] = {}
    for field, code, message in items[:MAX_ERRORS]:
        grouped.setdefault(field, []).append({"code": code, "message": message})
    return [
        ({"field": field} if field is not None else {}) | {"messages": messages} for field, messages in grouped.items()
    ]


def listed(detail: str, items: list[tuple[str | None, str, str]]) -> dict:
    """The `detail` and `errors` of a problem listing `items`, for `raise BadRequest(**listed(...))`."""
    if len(items) > MAX_ERRORS:
        detail += f" Only the first {MAX_ERRORS} problems are listed."
    return {"detail": detail, "errors": field_errors(items)}


# The unique constraints a client's input can break, and the field each protects. PostgreSQL names the
# constraint; SQLite names its columns ("UNIQUE constraint failed: courses.slug"). Neither message is
# searched for words: PostgreSQL's also quotes the values, which clients choose.
_UNIQUE_FIELDS = {
    "uq_courses_live_name": "name",
    "uq_courses_live_slug": "slug",
    "uq_categories_name_key": "name",
    "uq_categories_slug": "slug",
}
_SQLITE_UNIQUE_COLUMNS = {
    "courses.name_key": "name",
    "courses.slug": "slug",
    "categories.name_key": "name",
    "categories.slug": "slug",
}
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ([\w.]+)$")


def clashing_field(exc: IntegrityError) -> str | None:
    """The request field whose value broke a unique constraint, or None for any other violation."""
    diag = getattr(exc.orig, "diag", None)
    if diag is not None:
        return _UNIQUE_FIELDS.get(diag.constraint_name)
    sqlite = _SQLITE_UNIQUE.match(str(exc.orig))
    return _SQLITE_UNIQUE_COLUMNS.get(sqlite.group(1)) if sqlite else None
