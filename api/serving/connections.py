"""uvicorn's httptools protocol with the limits it lacks: header block size, silent and slow clients.

uvicorn with httptools reads a header block of any size into memory, and has no timeout before a
request's headers are complete: a client that opens connections and sends nothing, or one byte a
second, holds them (and their memory) forever. This subclass adds three rules per connection:

* a request line plus header fields over MAX_HEADER_BYTES, or more than MAX_HEADER_FIELDS fields,
  is answered 431 (a problem document) and the connection closed;
* a connection that sends no byte within IDLE_TIMEOUT of opening is closed;
* a request whose header block is not complete HEADERS_TIMEOUT after its first byte is closed.
  (Between requests, uvicorn's own keep-alive timeout closes idle connections.)

It relies on these details of uvicorn 0.54.0's `HttpToolsProtocol`, which
api/serving/upstream.py fingerprints (tests/test_upstream.py fails when they change):

* `connection_made`, `data_received`, `on_message_begin`, `on_headers_complete`,
  `on_message_complete` and `connection_lost` are the hooks httptools and asyncio call, and this
  class extends each by calling the parent's;
* `data_received` feeds httptools and answers any `httptools.HttpParserError` by calling
  `send_400_response`: an exception raised in `on_headers_complete` reaches it that way (httptools
  wraps it in HttpParserCallbackError), which is how an oversized block stops the parser;
* `self.url` and `self.headers` hold the request line's target and the fields read so far;
  `self.loop`, `self.transport`, `self.logger` and `self.server_state.default_headers` exist.
"""

import asyncio

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from api.errors import PROBLEM_JSON
from api.web.problems import problem_response

MAX_HEADER_BYTES = 32 * 1024
MAX_HEADER_FIELDS = 100
IDLE_TIMEOUT = 15.0
HEADERS_TIMEOUT = 30.0
# ": " and CRLF around each field, as it came on the wire.
_FIELD_OVERHEAD = 4
TOO_LARGE = (
    f"The request's header block is too large: at most {MAX_HEADER_BYTES} bytes of request line "
    f"and header fields, and at most {MAX_HEADER_FIELDS} fields."
)


class _HeaderBlockTooLarge(Exception):
    """Raised in a parser callback to stop httptools; uvicorn then calls send_400_response."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """`course-api serve` passes this class to uvicorn as its HTTP protocol."""

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)
        self._reading_headers = True
        self._header_bytes = 0
        self._too_large = False
        self._clock: asyncio.TimerHandle | None = self.loop.call_later(IDLE_TIMEOUT, self._give_up, "sent nothing")
        self._clock_is_for_headers = False

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_clock()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._too_large:
            return
        if self._reading_headers:
            # Until the block is complete every byte belongs to it; this bounds what httptools
            # buffers of a field that never ends. The exact size is checked when it is complete.
            self._header_bytes += len(data)
            self._start_headers_clock()
        super().data_received(data)
        if self._reading_headers and self._header_bytes > MAX_HEADER_BYTES and not self._too_large:
            self._too_large = True
            self._refuse_too_large()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        # A pipelined request may begin in the data that ended the one before.
        self._start_headers_clock()

    def on_headers_complete(self) -> None:
        self._stop_clock()
        self._reading_headers = False
        self._header_bytes = 0
        size = len(self.url) + sum(len(name) + len(value) + _FIELD_OVERHEAD for name, value in self.headers)
        if size > MAX_HEADER_BYTES or len(self.headers) > MAX_HEADER_FIELDS:
            self._too_large = True
            raise _HeaderBlockTooLarge
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._reading_headers = True

    def send_400_response(self, msg: str) -> None:
        if self._too_large:
            self._refuse_too_large()
        else:
            super().send_400_response(msg)

    def _start_headers_clock(self) -> None:
        if not self._clock_is_for_headers:
            self._stop_clock()
            self._clock = self.loop.call_later(HEADERS_TIMEOUT, self._give_up, "did not complete its headers")
            self._clock_is_for_headers = True

    def _stop_clock(self) -> None:
        if self._clock is not None:
            self._clock.cancel()
            self._clock = None
        self._clock_is_for_headers = False

    def _give_up(self, why: str) -> None:
        self._clock = None
        if not self.transport.is_closing():
            self.logger.debug("Closing a connection that %s in time.", why)
            self.transport.close()

    def _refuse_too_large(self) -> None:
        self._stop_clock()
        if self.transport.is_closing():
            return
        body = problem_response(431, TOO_LARGE, [{"messages": [{"code": "headers_too_large", "message": TOO_LARGE}]}])
        content = body.body.encode()
        head = [STATUS_LINE[431]]
        for name, value in self.server_state.default_headers:
            head.extend([name, b": ", value, b"\r\n"])
        head.append(f"content-type: {PROBLEM_JSON}\r\ncontent-length: {len(content)}\r\n".encode())
        head.append(b"connection: close\r\n\r\n")
        self.transport.write(b"".join(head) + content)
        self.transport.close()
