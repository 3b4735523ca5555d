"""`course-api serve` against clients that misbehave below the API: raw sockets on a loopback port.

One live server for the module. The two slow cases (a silent connection, headers dribbled one
byte a second) start in threads as soon as it is up, so the module takes about 30 seconds, not 45.
The last class checks the httptools behaviour api/serving/connections.py relies on.
"""

import concurrent.futures
import json
import select
import socket
import time

import httptools
import pytest

from api.serving.connections import HEADERS_TIMEOUT, IDLE_TIMEOUT, MAX_HEADER_BYTES
from tests.support.live import live_service

MARGIN = 3.0  # seconds a timer may fire late on a busy machine
HEALTH = b"GET /api/v2/health/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"


def connect(server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def exchange(server, request: bytes) -> tuple[int, dict, bytes, bool]:
    """Send `request` on a new connection; (status, headers, body, whether the server then closed it)."""
    with connect(server) as sock:
        try:
            sock.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before it has read everything
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            assert chunk, f"closed without an answer after {received!r}"
            received += chunk
        head, body = received.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in lines[1:])
        while len(body) < int(headers.get("content-length", "0")):
            body += sock.recv(65536)
        closed = headers.get("connection") == "close" and _closed_within(sock, 5)
        return int(lines[0].split(" ")[1]), headers, body, closed


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the peer closes the connection within `seconds` (any data before that is read and dropped)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if select.select([sock], [], [], left)[0]:
            try:
                if sock.recv(65536) == b"":
                    return True
            except ConnectionResetError:
                return True
    return False


def seconds_until_closed_silent(server) -> float:
    """Open a connection, send nothing, and time how long the server keeps it."""
    with connect(server) as sock:
        started = time.monotonic()
        assert _closed_within(sock, IDLE_TIMEOUT + 10), "a silent connection stayed open"
        return time.monotonic() - started


def seconds_until_closed_dribbling(server) -> float:
    """Send a request's headers one byte a second; time from the first byte until the server closes."""
    request = HEALTH + b"X-Slow: " + b"a" * 100
    with connect(server) as sock:
        started = time.monotonic()
        for byte in request:
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                return time.monotonic() - started
            if _closed_within(sock, 1.0):
                return time.monotonic() - started
            assert time.monotonic() - started < HEADERS_TIMEOUT + 10, "dribbled headers kept the connection open"
    raise AssertionError("the whole dribbled request was read")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # One worker starts faster; the protocol is the same option of uvicorn with several.
    folder = tmp_path_factory.mktemp("connections")
    with live_service("connections", folder, [{"username": "alice"}], workers=1) as (live, _):
        yield live


@pytest.fixture(scope="module")
def slow_clients(server):
    """The two slow cases, started at once and in parallel; the tests wait for their results."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=2)
    futures = {
        "silent": pool.submit(seconds_until_closed_silent, server),
        "dribbling": pool.submit(seconds_until_closed_dribbling, server),
    }
    yield futures
    pool.shutdown(wait=True)


def problem_code(body: bytes) -> str:
    return json.loads(body)["errors"][0]["messages"][0]["code"]


class TestHeaderBlock:
    def test_64_kib_of_headers_is_a_431_and_a_normal_request_still_works(self, server, slow_clients):
        fields = b"".join(b"X-Filler-%d: %s\r\n" % (n, b"f" * 1000) for n in range(64))

        status, headers, body, closed = exchange(server, HEALTH + fields + b"\r\n")

        assert status == 431
        assert headers["content-type"] == "application/problem+json"
        assert problem_code(body) == "headers_too_large"
        assert closed
        assert exchange(server, HEALTH + b"\r\n")[0] == 200

    def test_a_field_that_never_ends_is_a_431(self, server):
        status, _, body, closed = exchange(server, HEALTH + b"X-Endless: " + b"e" * (2 * MAX_HEADER_BYTES))

        assert (status, problem_code(body), closed) == (431, "headers_too_large", True)

    def test_more_than_100_fields_is_a_431(self, server):
        fields = b"".join(b"X-F%d: 1\r\n" % n for n in range(101))

        status, _, body, closed = exchange(server, HEALTH + fields + b"\r\n")

        assert (status, problem_code(body), closed) == (431, "headers_too_large", True)

    def test_a_block_just_under_the_limit_passes_and_just_over_does_not(self, server):
        filler = MAX_HEADER_BYTES - 200
        under = HEALTH + b"X-Filler: " + b"f" * filler + b"\r\n\r\n"
        over = HEALTH + b"X-Filler: " + b"f" * (filler + 400) + b"\r\n\r\n"

        assert exchange(server, under)[0] == 200
        assert exchange(server, over)[0] == 431


class TestHostHeader:
    @pytest.mark.parametrize(
        "host_lines",
        [b"", b"Host: 127.0.0.1\r\nHost: 127.0.0.1\r\n", b"Host: evil.example\r\n"],
        ids=["none", "two", "unknown"],
    )
    def test_is_a_400(self, server, host_lines):
        status, headers, body, _ = exchange(server, b"GET /api/v2/health/ HTTP/1.1\r\n" + host_lines + b"\r\n")

        assert status == 400
        assert headers["content-type"] == "application/problem+json"
        assert json.loads(body)["errors"][0]["field"] == "Host"


class TestSlowClients:
    def test_a_silent_connection_is_closed_after_15_seconds(self, slow_clients):
        seconds = slow_clients["silent"].result()

        assert IDLE_TIMEOUT - 1 <= seconds <= IDLE_TIMEOUT + MARGIN

    def test_dribbled_headers_are_cut_off_after_30_seconds(self, slow_clients):
        seconds = slow_clients["dribbling"].result()

        # Well past the 15 s of a silent connection: each byte restarts nothing, the block's clock runs on.
        assert HEADERS_TIMEOUT - 1 <= seconds <= HEADERS_TIMEOUT + MARGIN


class TestHttptools:
    """What api/serving/connections.py relies on in httptools (its uvicorn code: tests/test_upstream.py)."""

    def test_httptools_turns_a_callback_exception_into_a_parser_error(self):
        class Raising:
            def on_headers_complete(self):
                raise RuntimeError("stop")

        parser = httptools.HttpRequestParser(Raising())

        with pytest.raises(httptools.HttpParserError) as raised:
            parser.feed_data(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert isinstance(raised.value.__context__, RuntimeError)
        # A subclass of what uvicorn's data_received catches.
        assert issubclass(httptools.HttpParserCallbackError, httptools.HttpParserError)
