"""gzip: which answers are compressed, for whom, and how their entity tags and Vary follow."""

import asyncio
import gzip

import pytest

from api.serving.compression import Compression, _accepted
from tests.support.http import API, course_url, problem
from tests.support.tokens import auth

BIG = b'{"text": "' + b"x" * 4000 + b'"}'
TAG = b'"c5-r3"'


class TestAcceptEncoding:
    @pytest.mark.parametrize(
        "lines, gzip_ok, identity_ok",
        [
            ([], False, True),
            ([b""], False, True),
            ([b"gzip"], True, True),
            ([b"GZip"], True, True),
            ([b"x-gzip"], True, True),
            ([b"gzip, deflate, br"], True, True),
            ([b"deflate", b"gzip"], True, True),  # several lines are one list
            ([b"br"], False, True),
            ([b"gzip;q=0"], False, True),
            ([b"gzip; q=0.000"], False, True),
            ([b"gzip;q=0.5"], True, True),
            ([b"gzip;q=nonsense"], False, True),
            ([b"*"], True, True),
            ([b"*;q=0"], False, False),
            ([b"*;q=0, identity"], False, True),
            ([b"*, gzip;q=0"], False, True),
            ([b"identity;q=0, gzip"], True, False),
            ([b"identity"], False, True),
        ],
    )
    def test_q_values_decide(self, lines, gzip_ok, identity_ok):
        assert _accepted(lines) == (gzip_ok, identity_ok)


def exchange(answer, request_headers=(), method="GET", min_bytes=1024):
    """Send one request through Compression in front of an app that answers `answer` (start, body messages).

    Returns the messages sent and the headers the app received.
    """
    seen = {}

    async def app(scope, receive, send):
        seen["headers"] = scope["headers"]
        start, *bodies = answer
        await send({"type": "http.response.start", **start})
        for body in bodies:
            await send({"type": "http.response.body", **body})

    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "method": method, "path": "/", "headers": list(request_headers)}
    asyncio.run(Compression(app, min_bytes)(scope, receive, send))
    return sent, seen["headers"]


def json_answer(body=BIG, status=200, **headers):
    listed = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), (b"etag", TAG)]
    listed += [(name.replace("_", "-").encode(), value) for name, value in headers.items()]
    return ({"status": status, "headers": listed}, {"body": body})


def headers_of(message):
    return {name: value for name, value in message["headers"]}


GZIP = [(b"accept-encoding", b"gzip, deflate")]


class TestCompression:
    def test_a_big_json_answer_is_compressed_with_its_own_tag(self):
        (start, body), _ = exchange(json_answer(), GZIP)

        headers = headers_of(start)
        assert headers[b"content-encoding"] == b"gzip"
        assert headers[b"vary"] == b"Accept-Encoding"
        assert headers[b"etag"] == b'"c5-r3-gzip"'
        assert int(headers[b"content-length"]) == len(body["body"]) < len(BIG)
        assert gzip.decompress(body["body"]) == BIG

    def test_a_weak_tag_stays_weak(self):
        answer = json_answer()
        answer[0]["headers"][2] = (b"etag", b'W/"page"')

        (start, _), _ = exchange(answer, GZIP)

        assert headers_of(start)[b"etag"] == b'W/"page-gzip"'

    def test_without_accept_encoding_nothing_changes_but_vary(self):
        (start, body), _ = exchange(json_answer())

        headers = headers_of(start)
        assert b"content-encoding" not in headers
        assert headers[b"etag"] == TAG
        assert headers[b"vary"] == b"Accept-Encoding"
        assert body["body"] == BIG

    def test_a_small_answer_stays_as_it_is(self):
        (start, body), _ = exchange(json_answer(b"{}"), GZIP)

        assert b"content-encoding" not in headers_of(start)
        assert headers_of(start)[b"vary"] == b"Accept-Encoding"
        assert body["body"] == b"{}"

    def test_a_small_answer_is_compressed_when_identity_is_refused(self):
        (start, body), _ = exchange(json_answer(b"{}"), [(b"accept-encoding", b"identity;q=0, gzip")])

        assert headers_of(start)[b"content-encoding"] == b"gzip"
        assert gzip.decompress(body["body"]) == b"{}"

    def test_an_existing_vary_is_extended(self):
        (start, _), _ = exchange(json_answer(vary=b"Origin"), GZIP)

        assert headers_of(start)[b"vary"] == b"Origin, Accept-Encoding"

    @pytest.mark.parametrize(
        "headers",
        [
            [(b"content-type", b"image/webp")],
            [(b"content-type", b"application/json"), (b"content-encoding", b"br")],
            [(b"content-type", b"application/json"), (b"cache-control", b"public, no-transform")],
            [(b"content-type", b"application/json"), (b"content-range", b"bytes 0-3999/9000")],
        ],
    )
    def test_pictures_and_encoded_or_untouchable_answers_pass_untouched(self, headers):
        answer = ({"status": 200, "headers": headers}, {"body": BIG})

        (start, body), _ = exchange(answer, GZIP)

        assert start["headers"] == headers  # not even a Vary
        assert body["body"] == BIG

    @pytest.mark.parametrize("media_type", [b"text/html; charset=utf-8", b"application/problem+json", b"text/yaml"])
    def test_text_and_problems_are_compressed(self, media_type):
        answer = ({"status": 200, "headers": [(b"content-type", media_type)]}, {"body": BIG})

        (start, _), _ = exchange(answer, GZIP)

        assert headers_of(start)[b"content-encoding"] == b"gzip"

    def test_a_streamed_answer_is_compressed_as_it_goes(self):
        parts = [b"[" + b"1," * 1000, b"2," * 1000, b"3]"]
        answer = (
            {"status": 200, "headers": [(b"content-type", b"application/json")]},
            *({"body": part, "more_body": index < 2} for index, part in enumerate(parts)),
        )

        sent, _ = exchange(answer, GZIP)

        start, *bodies = sent
        assert b"content-length" not in headers_of(start)
        assert [body["more_body"] for body in bodies] == [True, True, False]
        assert gzip.decompress(b"".join(body["body"] for body in bodies)) == b"".join(parts)

    def test_head_says_what_get_would(self):
        answer = json_answer()
        (start, body), _ = exchange((answer[0], {"body": b""}), GZIP, method="HEAD")

        headers = headers_of(start)
        assert (headers[b"content-encoding"], headers[b"etag"]) == (b"gzip", b'"c5-r3-gzip"')
        assert b"content-length" not in headers
        assert body["body"] == b""

    def test_the_app_reads_its_own_tags_in_conditional_headers(self):
        request = [*GZIP, (b"if-none-match", b'"c5-r3-gzip", W/"x-gzip", "y"'), (b"if-match", b'"c5-r3-gzip"')]

        _, seen = exchange(json_answer(), request)

        assert dict(seen)[b"if-none-match"] == b'"c5-r3", W/"x", "y"'
        assert dict(seen)[b"if-match"] == b'"c5-r3"'

    def test_a_304_names_the_tag_the_client_holds(self):
        not_modified = ({"status": 304, "headers": [(b"etag", TAG)]}, {"body": b""})

        (start, _), _ = exchange(not_modified, [*GZIP, (b"if-none-match", b'"c5-r3-gzip"')])
        (plain, _), _ = exchange(not_modified, [*GZIP, (b"if-none-match", TAG)])

        assert headers_of(start)[b"etag"] == b'"c5-r3-gzip"'
        assert headers_of(plain)[b"etag"] == TAG


class TestThroughTheApp:
    @pytest.fixture
    def course(self, make):
        return make.course(make.user(), description="A long description. " * 200)

    def test_a_course_is_compressed_and_its_tag_revalidates(self, client, course):
        headers = {**auth(course.created_by), "Accept-Encoding": "gzip"}
        first = client.get(course_url(course), headers=headers)

        assert first.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in first.headers["Vary"]
        assert first.headers["ETag"].endswith('-gzip"')
        assert first.json()["id"] == course.id

        again = client.get(course_url(course), headers={**headers, "If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304
        assert again.headers["ETag"] == first.headers["ETag"]

    def test_the_same_course_without_gzip_has_the_plain_tag(self, client, course):
        compressed = client.get(course_url(course), headers={**auth(course.created_by), "Accept-Encoding": "gzip"})
        plain = client.get(course_url(course), headers={**auth(course.created_by), "Accept-Encoding": "identity"})

        assert "Content-Encoding" not in plain.headers
        assert compressed.headers["ETag"] == plain.headers["ETag"][:-1] + '-gzip"'
        assert compressed.json() == plain.json()

    def test_if_match_takes_the_tag_of_the_compressed_answer(self, client, course):
        headers = {**auth(course.created_by), "Accept-Encoding": "gzip"}
        tag = client.get(course_url(course), headers=headers).headers["ETag"]

        written = client.patch(course_url(course), json={"description": "Short."}, headers={**headers, "If-Match": tag})
        stale = client.patch(course_url(course), json={"description": "Late."}, headers={**headers, "If-Match": tag})

        assert written.status_code == 200, written.text
        problem(stale, 412)

    def test_small_answers_stay_plain(self, client):
        response = client.get(f"{API}/health/live/", headers={"Accept-Encoding": "gzip"})

        assert "Content-Encoding" not in response.headers
        assert response.headers["Vary"] == "Accept-Encoding"
