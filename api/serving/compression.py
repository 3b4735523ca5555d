"""gzip for the answers worth compressing, when the request's Accept-Encoding allows it.

Our own middleware rather than Starlette's GZipMiddleware, which leaves the ETag of a compressed
answer as it was (two representations under one strong tag), answers HEAD without the
Content-Encoding its GET would have, reads no q-values (`gzip;q=0` still gets gzip) and says
`Vary: Accept-Encoding` only on the answers it compressed. Here:

* Only text, JSON and YAML answers are compressed (`COMPRESSIBLE`); pictures (WebP) and answers
  that already have a Content-Encoding, a Content-Range or `Cache-Control: no-transform` pass as
  they are. Every answer of a compressible type says `Vary: Accept-Encoding`, compressed or not.
* An answer is compressed when the request accepts gzip (`gzip` or `*` with a q-value above 0) and
  it weighs at least GZIP_MIN_BYTES, or whatever its size when the request refuses `identity`
  (`identity;q=0`, or `*;q=0` without `identity`).
* The compressed representation has its own entity tag: `"c5-r3"` becomes `"c5-r3-gzip"` (a weak
  tag stays weak). Tags the client sends back in If-Match and If-None-Match lose that suffix before
  anything else reads them, so that the handlers compare the tags they made, and a 304 names the
  tag the client sent (with its suffix) again.
* An answer sent in one piece (all of ours but the pictures) is compressed in one go and keeps a
  Content-Length; one sent in several pieces is compressed as it goes, without Content-Length.
  HEAD answers say what their GET would: Content-Encoding, the tag with its suffix, no length.
"""

import re
import zlib

GZIP = b"gzip"
SUFFIX = b"-gzip"
# zlib's default: a course of 50 sections (about 25 KB of JSON) takes a fraction of a millisecond.
LEVEL = 6
COMPRESSIBLE = frozenset(
    {
        b"application/json",
        b"application/problem+json",
        b"application/javascript",
        b"application/yaml",
        b"image/svg+xml",
    }
)
# An entity tag the client got from a compressed answer: `"X-gzip"` (or `W/"X-gzip"`).
_SUFFIXED = re.compile(rb'"([^"]*)-gzip"')


def _accepted(lines: list[bytes]) -> tuple[bool, bool]:
    """(gzip acceptable, identity acceptable) under the request's Accept-Encoding lines (RFC 9110, 12.5.3)."""
    if not lines:
        return False, True  # no preference: answers stay as they are
    q = {}
    for item in b",".join(lines).split(b","):
        coding, *parameters = item.split(b";")
        coding = coding.strip().lower()
        if not coding:
            continue
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.strip().partition(b"=")
            if name.strip().lower() == b"q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = 0.0  # a q-value we cannot read accepts nothing
        q[coding] = weight
    star = q.get(b"*")
    gzip = q.get(b"gzip", q.get(b"x-gzip", star if star is not None else 0.0)) > 0
    identity = q.get(b"identity", star if star is not None else 1.0) > 0
    return gzip, identity


def _media_type(value: bytes) -> bytes:
    return value.split(b";", 1)[0].strip().lower()


def _compressible(headers: dict[bytes, bytes]) -> bool:
    media_type = _media_type(headers.get(b"content-type", b""))
    return (
        (media_type.startswith(b"text/") or media_type in COMPRESSIBLE or media_type.endswith(b"+json"))
        and b"content-encoding" not in headers
        and b"content-range" not in headers
        and b"no-transform" not in headers.get(b"cache-control", b"").lower()
    )


def _suffixed(tag: bytes) -> bytes:
    """The entity tag of the compressed representation: the suffix inside the quotes."""
    return tag[:-1] + SUFFIX + b'"' if tag.endswith(b'"') and len(tag) >= 2 else tag


def _unsuffixed_request(scope) -> tuple[dict, set[bytes]]:
    """The scope with If-Match/If-None-Match tags as we made them, and the (bare) tags that had the suffix."""
    sent = set()
    headers = []
    for name, value in scope["headers"]:
        if name in (b"if-match", b"if-none-match") and SUFFIX in value:
            sent.update(b'"%s"' % tag for tag in _SUFFIXED.findall(value))
            value = _SUFFIXED.sub(rb'"\1"', value)
        headers.append((name, value))
    return ({**scope, "headers": headers}, sent) if sent else (scope, sent)


def _with_vary(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The headers with Accept-Encoding in Vary, added to a Vary that is already there."""
    for index, (name, value) in enumerate(headers):
        if name.lower() == b"vary":
            names = {part.strip().lower() for part in value.split(b",")}
            if b"accept-encoding" not in names and b"*" not in names:
                headers[index] = (name, value + b", Accept-Encoding")
            return headers
    headers.append((b"vary", b"Accept-Encoding"))
    return headers


def _encoded(headers: list[tuple[bytes, bytes]], length: int | None) -> list[tuple[bytes, bytes]]:
    """The headers of the compressed representation: its coding, its tag, its length if known."""
    result = []
    for name, value in headers:
        lower = name.lower()
        if lower == b"content-length":
            continue
        if lower == b"etag":
            value = _suffixed(value)
        result.append((name, value))
    result.append((b"content-encoding", GZIP))
    if length is not None:
        result.append((b"content-length", str(length).encode()))
    return result


class Compression:
    def __init__(self, app, min_bytes: int):
        self.app = app
        self.min_bytes = min_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope, sent_suffixed = _unsuffixed_request(scope)
        gzip, identity = _accepted([value for name, value in scope["headers"] if name == b"accept-encoding"])
        head = scope["method"] == "HEAD"
        state = {"start": None, "compressor": None, "passing": False}

        async def send_maybe_compressed(message):
            if message["type"] == "http.response.start":
                await self._start(message, state, send, gzip, identity, head, sent_suffixed)
            elif message["type"] == "http.response.body" and not state["passing"]:
                await self._body(message, state, send, identity)
            else:
                await send(message)

        await self.app(scope, receive, send_maybe_compressed)

    async def _start(self, message, state, send, gzip, identity, head, sent_suffixed) -> None:
        headers = list(message.get("headers", ()))
        by_name = {name.lower(): value for name, value in headers}
        status = message["status"]
        if status == 304 and by_name.get(b"etag", b"").removeprefix(b"W/") in sent_suffixed:
            # The client holds the compressed representation, and it is still current.
            headers = _with_vary(
                [(name, _suffixed(value) if name.lower() == b"etag" else value) for name, value in headers]
            )
        if status == 304 or not _compressible(by_name):
            state["passing"] = True
            await send({**message, "headers": headers})
            return
        headers = _with_vary(headers)
        declared = by_name.get(b"content-length")
        small = declared is not None and declared.isdigit() and int(declared) < self.min_bytes
        if not gzip or status == 204 or (small and identity):
            state["passing"] = True
            await send({**message, "headers": headers})
        elif head:
            state["passing"] = True
            await send({**message, "headers": _encoded(headers, None)})
        else:
            # The decision waits for the body: its size, and whether it comes in one piece.
            state["start"] = {**message, "headers": headers}

    async def _body(self, message, state, send, identity) -> None:
        body = message.get("body", b"")
        more = message.get("more_body", False)
        start = state["start"]
        if state["compressor"] is None:
            if not more and len(body) < self.min_bytes and identity:
                state["passing"] = True
                await send(start)
                await send(message)
                return
            state["compressor"] = zlib.compressobj(LEVEL, zlib.DEFLATED, 31)  # 31: a gzip header and trailer
            compressed = state["compressor"].compress(body)
            if not more:
                compressed += state["compressor"].flush()
            await send({**start, "headers": _encoded(start["headers"], None if more else len(compressed))})
        else:
            compressed = state["compressor"].compress(body)
            if not more:
                compressed += state["compressor"].flush()
        await send({"type": "http.response.body", "body": compressed, "more_body": more})
