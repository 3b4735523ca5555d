"""Entity tags and the conditional headers that use them (RFC 9110, section 13).

A tag is built from a row's kind, id and revision, so it changes exactly when the revision does.
The minimal form of a course (what outsiders of a private course see) is the exception: its tag is
made from the form itself, so that it does not reveal the revision, which counts hidden changes too.
Write handlers call `require_match` after `editable_course`/`editable_section` has locked the course
row: the comparison and the write then happen in one transaction that no other writer of the course
can enter, and two clients holding the same tag cannot both succeed.
"""

import hashlib
import re

import orjson
from flask import Response, request

from api.errors import BadRequest, PreconditionFailed
from models import Course, Lesson, Section

MISMATCH = (
    "If-Match does not name the current tag of the resource: it changed since you read it, or the tag is "
    "weak or not quoted. Read it again (its ETag header holds the current tag) and reapply your change."
)
# A list holds a handful of tags in practice; the spec's maxLength bounds the text, this the work on it.
MAX_TAGS = 50
# One member of a list of entity tags (RFC 9110, section 8.8.3) up to its comma, and the run of
# blanks and empty members that may separate it from the next. Each match only moves forward.
_MEMBER = re.compile(r'(W/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*(?:,|\Z)')
_SEPARATORS = re.compile(r"[ \t,]*")


KINDS = {Course: "c", Section: "s", Lesson: "l"}
# Joins a revision's tag and the digest of an answer that also depends on the caller or the time.
VARIANT = "-p"


def etag(row: Course | Section | Lesson) -> str:
    return f'"{KINDS[type(row)]}{row.id}-r{row.revision}"'


def variant_etag(row: Course | Lesson, body: dict) -> str:
    """The tag of an answer that shows the row's revision plus what is the caller's own.

    The course as a member takes it (their progress, the locks that open with time) and a lesson
    (whether the caller completed it) change without a new revision. Their tag is the revision's,
    followed by a digest of the answer: it changes whenever what the caller reads does, and
    `If-Match` compares only the revision's part (see `require_match`).
    """
    return f'{etag(row)[:-1]}{VARIANT}{_digest(body)}"'


def content_etag(course: Course, body: dict) -> str:
    """The tag of a representation that must not reveal the revision: a hash of that representation.

    It changes exactly when what the caller reads changes.
    """
    return f'"c{course.id}-m{_digest(body)}"'


def _digest(body: dict) -> str:
    # Sorted keys make the digest independent of the order in which the body was built.
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()[:20]


def tagged(row: Course | Section | Lesson) -> dict:
    """The headers that carry the row's current tag."""
    return {"ETag": etag(row)}


def require_match(row: Course | Section | Lesson) -> None:
    """Refuse the write (412) when If-Match is sent and names neither `*` nor the row's current revision.

    A tag from `variant_etag` names the revision it starts with: what the caller alone reads of
    the row (their progress) is not what a write changes.
    """
    if _matches("If-Match", etag(row), weak=False, variants=True) is False:
        raise PreconditionFailed(MISMATCH)


def not_modified(row: Course | Section | Lesson) -> Response | None:
    """A 304 answer when If-None-Match names `*` or the row's current tag; None otherwise."""
    return not_modified_by_tag(etag(row), tagged(row))


def not_modified_by_tag(current: str, headers: dict) -> Response | None:
    """A 304 answer with `headers` when If-None-Match names `*` or the tag `current`; None otherwise."""
    if not _matches("If-None-Match", current, weak=True):
        return None
    # A ready response: Connexion cannot pick a content type for a body-less answer of an operation
    # that documents two, and a 304 has none to declare.
    response = Response(status=304, headers=headers)
    del response.headers["Content-Type"]
    return response


def _matches(header: str, current: str, *, weak: bool, variants: bool = False) -> bool | None:
    """Whether the request's header is `*` or lists `current`; None when the request does not send it."""
    return names_tag(header, request.headers.getlist(header), current, weak=weak, variants=variants)


def names_tag(header: str, values: list[str], current: str, *, weak: bool, variants: bool = False) -> bool | None:
    """Whether the lines `values` of `header` say `*` or list `current`; None when there is none.

    If-Match compares strongly (a weak tag never matches); If-None-Match compares weakly, so
    W/"x" and "x" are the same there. A header may also come as several lines, read as one list.
    An empty value counts as no header, as most servers and caches treat it. Code that holds no
    Flask request (ASGI middleware) passes the lines itself. With `variants`, a tag counts up to
    its VARIANT suffix.
    """
    text = ", ".join(values).strip(" \t,")
    if not text:
        return None
    if text == "*":
        return True

    def compared(opaque: str) -> str:
        return opaque.split(VARIANT, 1)[0] if variants else opaque

    return any(f'"{compared(opaque)}"' == current and (weak or not is_weak) for is_weak, opaque in _tags(header, text))


def _tags(header: str, text: str) -> list[tuple[str, str]]:
    """(weak marker, opaque tag) of each member; a value that is not a well-formed list names no tag.

    One pass over the text, in time linear in its length; more than MAX_TAGS tags are refused (400).
    """
    tags = []
    position = _SEPARATORS.match(text).end()
    while position < len(text):
        member = _MEMBER.match(text, position)
        if member is None:
            return []
        if len(tags) == MAX_TAGS:
            raise BadRequest(f"{header} may list at most {MAX_TAGS} entity tags.", field=header, code="too_many_tags")
        tags.append(member.group(1, 2))
        position = _SEPARATORS.match(text, member.end()).end()
    return tags
