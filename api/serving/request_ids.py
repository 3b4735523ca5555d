"""Request ids and W3C trace context: what ties an answer, its problem document and its log lines together.

`RequestIds` wraps the whole middleware stack (api.serving.install), so that every answer carries
`X-Request-ID`, even a guard's early 404 or 413 and the 500 of an error no handler caught; the
problem documents name it too (api.web.problems reads it from the scope under REQUEST_ID).
"""

import re
import uuid
from typing import NamedTuple

from api.web.problems import REQUEST_ID

HEADER = b"x-request-id"
# Well formed: what a log line, a header and a problem document can carry as it is, and what the
# ids of proxies and load balancers look like (UUIDs, hex digests, `host:pid:counter`...). Anything
# else, or several X-Request-ID lines, is replaced by an id of ours, never refused.
_WELL_FORMED = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
# W3C Trace Context, version 00: version-traceid-parentid-flags, lower-case hex only. A later
# version may add fields after these four, separated by "-" (the spec asks to parse what is known).
_TRACEPARENT = re.compile(rb"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?", re.DOTALL)
_ZERO_TRACE = b"0" * 32
_ZERO_PARENT = b"0" * 16


class TraceContext(NamedTuple):
    trace_id: str
    span_id: str  # the caller's span: the traceparent's parent-id
    flags: str


def chosen_id(headers) -> bytes:
    """The request's X-Request-ID when it sent exactly one well-formed line, else a new random one."""
    sent = [value for name, value in headers if name == HEADER]
    if len(sent) == 1 and _WELL_FORMED.fullmatch(sent[0]):
        return sent[0]
    return uuid.uuid4().hex.encode()


def trace_context(headers) -> TraceContext | None:
    """The request's `traceparent`, when it sent exactly one that W3C Trace Context calls valid."""
    sent = [value for name, value in headers if name == b"traceparent"]
    if len(sent) != 1:
        return None
    match = _TRACEPARENT.fullmatch(sent[0].strip(b" \t"))
    if match is None:
        return None
    version, trace_id, parent_id, flags, rest = match.groups()
    # Version ff is forbidden; version 00 has exactly four fields; ids of zeros are invalid.
    if version == b"ff" or (version == b"00" and rest) or trace_id == _ZERO_TRACE or parent_id == _ZERO_PARENT:
        return None
    return TraceContext(trace_id.decode(), parent_id.decode(), flags.decode())


class RequestIds:
    """Give each request its id (REQUEST_ID in the scope) and send it back as X-Request-ID."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = chosen_id(scope["headers"])
        scope = {**scope, REQUEST_ID: request_id.decode()}

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), (HEADER, request_id)]}
            await send(message)

        await self.app(scope, receive, send_with_id)
