"""ASGI guards that run before Connexion reads a request."""

import re

from starlette.datastructures import Headers

from api.config import settings_of
from api.errors import BadRequest, NotFound, PayloadTooLarge, UnsupportedMediaType
from api.urls import BASE_PATH

# DELETE too: withdrawing invitations (DELETE /course/{id}/invite/) takes a body.
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# The operations whose body may carry a course picture.
_COURSE = re.escape(BASE_PATH) + "/course/"
_PICTURE_WRITES = {
    "POST": re.compile(_COURSE),
    "PUT": re.compile(_COURSE + "[^/]+/"),
    "PATCH": re.compile(_COURSE + "[^/]+/"),
}
_NOTHING = re.compile(r"(?!)")
# type "/" subtype, then the parameters (RFC 9110, section 8.3.1).
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA_TYPE = re.compile(rf"[ \t]*({_TOKEN}/{_TOKEN})[ \t]*(;.*)?", re.DOTALL)


class GuardPaths:
    """A path with control characters names nothing here: 404 before routing sees it.

    Starlette would otherwise match `/course/\n/` without its slash against `/course/` (a regex `$`
    also matches before a final newline) and answer with a redirect to a path that does not exist.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and any(ord(c) < 0x20 or ord(c) == 0x7F for c in scope["path"]):
            raise NotFound("No such resource.")
        await self.app(scope, receive, send)


class GuardBodies:
    """Refuse bodies we would have to guess about or that are too big, before anything reads them.

    A body without a Content-Type is refused rather than guessed: Connexion would validate it as
    JSON while Flask hands the handler raw bytes; so is a compressed one, which nothing would decode.
    The media type is written in lower case here, once: media types are case-insensitive (RFC 9110,
    section 8.3.1), but the layers after this one (Connexion's choice of schema and validator,
    Starlette's and Werkzeug's parsers) compare them exactly, and a validator that finds no match
    lets the body through unchecked. A body over the limit is refused from its Content-Length
    without reading it, or, when it is sent in chunks, as soon as it passes the limit. Other methods
    pass untouched: nothing reads their bodies, and `api.serving.prepared` refuses one sent to an operation
    that takes none.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] in BODY_METHODS:
            headers = Headers(scope=scope)
            declared = headers.get("content-length", "0")
            if has_body(headers):
                scope = _canonical_content_type(scope, headers)
                if _encoded(headers):
                    raise UnsupportedMediaType(
                        "Send the body as it is: no Content-Encoding (gzip, deflate, br...) is accepted on requests.",
                        headers={"Accept-Encoding": "identity"},
                    )
                limit = body_limit(scope)
                if declared.isdigit() and int(declared) > limit:
                    raise _too_large(limit)
                if "content-length" not in headers:
                    scope, receive = await _buffer_chunked(scope, receive, limit)
        await self.app(scope, receive, send)


def has_body(headers: Headers) -> bool:
    return headers.get("content-length", "0").strip("0") != "" or "transfer-encoding" in headers


def _canonical_content_type(scope, headers: Headers):
    """The scope with its one Content-Type's media type in lower case; 400/415 when there is none to read."""
    values = headers.getlist("content-type")
    if not values:
        raise UnsupportedMediaType(
            "Say what the body is: send Content-Type application/json, application/x-www-form-urlencoded "
            "or multipart/form-data."
        )
    if len(values) > 1:
        raise BadRequest("Send one Content-Type header, not several.", field="Content-Type", code="invalid")
    match = _MEDIA_TYPE.fullmatch(values[0])
    if match is None:
        raise UnsupportedMediaType(f"'{values[0][:100]}' is not a media type (type/subtype).")
    canonical = match[1].lower() + (match[2] or "")
    scope = dict(scope)
    scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
    scope["headers"].append((b"content-type", canonical.encode("latin-1")))
    return scope


def _encoded(headers: Headers) -> bool:
    """Whether the body comes in a content coding other than `identity`, over every Content-Encoding line.

    Nothing here decodes one, so the body would be read as if it were plain (RFC 7694 asks for a 415).
    """
    codings = ",".join(headers.getlist("content-encoding")).split(",")
    return any(coding.strip().lower() not in ("", "identity") for coding in codings)


def body_limit(scope) -> int:
    """MAX_BODY_BYTES, and room for one picture (base64 in JSON, raw in multipart) where a course is written."""
    settings = settings_of(scope)
    if _PICTURE_WRITES.get(scope["method"], _NOTHING).fullmatch(scope["path"]):
        return settings.max_body_bytes + -(-settings.max_image_bytes // 3) * 4
    return settings.max_body_bytes


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The body is larger than the limit of {limit} bytes.")


async def receive_body(receive, limit: int | None = None) -> bytes:
    """The whole body of a request; 413 as soon as it passes `limit`."""
    body = bytearray()
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if limit is not None and len(body) > limit:
            raise _too_large(limit)
    return bytes(body)


async def _buffer_chunked(scope, receive, limit: int):
    """Read a chunked body (up to the limit) and hand it on with a Content-Length.

    Connexion takes a request without Content-Length for one without a body.
    """
    body = await receive_body(receive, limit)
    scope = dict(scope)
    scope["headers"] = [(k, v) for k, v in scope["headers"] if k not in (b"transfer-encoding", b"content-length")]
    scope["headers"].append((b"content-length", str(len(body)).encode()))
    replayed = False

    async def replay():
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return scope, replay
