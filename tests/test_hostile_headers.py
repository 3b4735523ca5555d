"""Hostile headers and HTTP details: tag lists, repeated lines, hosts, Location, Allow, Content-Encoding.

Every refusal is an exact 4xx problem document that changes nothing (checked with the hostile suite's
`snapshot`/`refused`). What the HTTP server itself refuses (header block size, slow or silent
connections) is tested live in tests/test_live_connections.py.
"""

import asyncio
import gzip
import json
import time
import zlib

import pytest
import yaml

from api.app import SPEC_PATH
from api.config import Settings
from api.serving.hosts import allowed_hosts
from models import Course, IdempotencyKey
from tests.support.http import API, COURSES, course_url, error_codes, problem
from tests.test_hostile import refused, snapshot
from tests.test_images import picture

TAG_HEADERS = ["If-Match", "If-None-Match"]


def tag_request(client, target, header, value_or_lines):
    """PATCH the course with If-Match, or GET it with If-None-Match; one value or a list of lines."""
    lines = value_or_lines if isinstance(value_or_lines, list) else [value_or_lines]
    headers = [*target.headers().items(), *((header, line) for line in lines)]
    if header == "If-Match":
        return client.patch(target.url("course"), json={"description": "changed"}, headers=headers)
    return client.get(target.url("course"), headers=headers)


def current_tag(client, target):
    return client.get(target.url("course"), headers=target.headers()).headers["ETag"]


def with_picture(client, target, **headers):
    """The course of `target` after a PATCH that gives it a picture."""
    files = {"image_original": ("cover.png", picture(), "image/png")}
    response = client.patch(target.url("course"), files=files, headers=target.headers(**headers))
    assert response.status_code == 200, response.text
    return response.json()


class TestTagLists:
    @pytest.mark.parametrize("header", TAG_HEADERS)
    def test_the_length_limit_applies_to_all_lines_together(self, client, db, target, header):
        before = snapshot(db)
        # Three lines of 400 characters: each within maxLength 1000, together not.
        lines = ['"' + "x" * 398 + '"'] * 3

        body = refused(tag_request(client, target, header, lines), 400, db, before)

        assert error_codes(body) == {header: ["maxLength"]}

    @pytest.mark.parametrize("header", TAG_HEADERS)
    def test_a_megabyte_of_lines_is_refused_at_once(self, client, db, target, header):
        before = snapshot(db)
        lines = [('"",' * 333)[:999]] * 1000  # about 1 MB of empty tags on 1000 lines

        started = time.perf_counter()
        response = tag_request(client, target, header, lines)
        elapsed = time.perf_counter() - started

        refused(response, 400, db, before)
        # The tree before this test parsed it for 7 to 8 seconds.
        assert elapsed < 1.0

    @pytest.mark.parametrize("header", TAG_HEADERS)
    def test_at_most_50_tags(self, client, db, target, header):
        tag = current_tag(client, target)
        fifty = ", ".join(['"x"'] * 49 + [tag])
        before = snapshot(db)

        body = refused(tag_request(client, target, header, f'"x", {fifty}'), 400, db, before)

        assert error_codes(body) == {header: ["too_many_tags"]}
        # Fifty is still a list: the current tag among them counts.
        assert tag_request(client, target, header, fifty).status_code == (200 if header == "If-Match" else 304)

    @pytest.mark.parametrize("header", TAG_HEADERS)
    def test_the_cap_counts_tags_over_several_lines(self, client, db, target, header):
        before = snapshot(db)
        lines = [", ".join(['"x"'] * 30)] * 2

        body = refused(tag_request(client, target, header, lines), 400, db, before)

        assert error_codes(body) == {header: ["too_many_tags"]}

    def test_the_cap_holds_on_sections_lessons_and_media_too(self, client, db, target):
        many = ", ".join(['"x"'] * 51)
        section, lesson = target.url("section"), target.url("lesson")
        media = with_picture(client, target)["image_small"].removeprefix("http://testserver")
        before = snapshot(db)
        writes = [
            client.patch(section, json={}, headers=target.headers(**{"If-Match": many})),
            client.delete(section, headers=target.headers(**{"If-Match": many})),
            client.delete(target.url("course"), headers=target.headers(**{"If-Match": many})),
            client.patch(lesson, json={}, headers=target.headers(**{"If-Match": many})),
            client.put(lesson, json={"name": "Capped"}, headers=target.headers(**{"If-Match": many})),
            client.delete(lesson, headers=target.headers(**{"If-Match": many})),
        ]
        for response in writes:
            assert error_codes(refused(response, 400, db, before)) == {"If-Match": ["too_many_tags"]}
        for url in (section, lesson, media):
            response = client.get(url, headers=target.headers(**{"If-None-Match": many}))
            assert error_codes(problem(response, 400)) == {"If-None-Match": ["too_many_tags"]}


class TestIdempotencyKeyLines:
    @pytest.mark.parametrize("keys", [("a", "b"), ("same", "same")], ids=["different", "equal"])
    @pytest.mark.parametrize("what", ["course", "section", "lesson", "role"])
    def test_several_lines_are_refused(self, client, db, target, alice, what, keys):
        url, body = {
            "course": (COURSES, {"name": "Once", "type": "self-paced"}),
            "section": (target.url("sections"), {"name": "Once"}),
            "lesson": (target.url("lessons"), {"name": "Once"}),
            "role": (course_url(target.course_id, "role"), {"managers": []}),
        }[what]
        before = snapshot(db)
        headers = [*target.headers().items(), *(("Idempotency-Key", key) for key in keys)]

        response = refused(client.post(url, json=body, headers=headers), 400, db, before)

        assert error_codes(response) == {"Idempotency-Key": ["duplicate_header"]}
        assert db.query(IdempotencyKey).count() == 0


def asgi_get(app, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, dict]:
    """A GET straight through the ASGI app, with exactly these header lines (the test client adds a Host)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
    }
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], json.loads(b"".join(m.get("body", b"") for m in sent[1:]))


class TestHosts:
    def test_a_request_without_host_is_refused(self, app, client):
        client.get(f"{API}/health/")  # starts the app

        status, body = asgi_get(app, f"{API}/health/", [])

        assert status == 400
        assert error_codes(body) == {"Host": ["required"]}

    @pytest.mark.parametrize("hosts", [("testserver", "testserver"), ("testserver", "evil.example")])
    def test_several_hosts_are_refused(self, client, db, target, hosts):
        before = snapshot(db)
        headers = [*target.headers().items(), *(("Host", host) for host in hosts)]

        body = refused(client.patch(target.url("course"), json={"name": "Hijacked"}, headers=headers), 400, db, before)

        assert error_codes(body) == {"Host": ["duplicate_header"]}

    @pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "testserver.evil.example", "127.0.0.2"])
    @pytest.mark.parametrize("path", ["/course/", "/course/{id}/", "/course/{id}", "/health/", "/openapi.json"])
    def test_hosts_we_do_not_serve_are_refused(self, client, target, host, path):
        url = API + path.format(id=target.course_id)

        response = client.get(url, headers=target.headers(Host=host), follow_redirects=False)

        assert error_codes(problem(response, 400)) == {"Host": ["unknown_host"]}

    @pytest.mark.parametrize("host", ["", "testserver:port", "test server", "testserver/x", "[zz]"])
    def test_malformed_hosts_are_refused(self, client, target, host):
        response = client.get(COURSES, headers=target.headers(Host=host))

        assert error_codes(problem(response, 400)) == {"Host": ["invalid_host"]}

    def test_an_allowed_host_with_any_port_and_case_is_served(self, client, target, settings, monkeypatch):
        monkeypatch.setattr(settings, "allowed_hosts", ("testserver", "courses.example"))

        response = client.get(f"{COURSES}?limit=1", headers=target.headers(Host="Courses.Example:8443"))

        assert response.status_code == 200
        assert response.json()["next"] == "http://Courses.Example:8443/api/v2/course/?limit=1&offset=1"

    def test_a_forwarded_host_must_be_allowed_behind_a_trusted_proxy(self, client, target, settings, monkeypatch):
        monkeypatch.setattr(settings, "trust_proxy", True)

        response = client.get(COURSES, headers=target.headers(**{"X-Forwarded-Host": "evil.example"}))

        assert error_codes(problem(response, 400)) == {"X-Forwarded-Host": ["unknown_host"]}

    def test_the_default_hosts_are_loopback_and_the_bound_host(self, monkeypatch):
        monkeypatch.delenv("ALLOWED_HOSTS", raising=False)
        monkeypatch.setenv("HOST", "api.internal")
        monkeypatch.setenv("PUBLIC_URL", "https://Courses.Example/prefix/")

        settings = Settings(jwt_secret="x" * 32)

        assert allowed_hosts(settings) == {"localhost", "127.0.0.1", "api.internal", "courses.example"}
        assert settings.public_url == "https://Courses.Example/prefix"

    def test_allowed_hosts_replace_the_default(self, monkeypatch):
        monkeypatch.setenv("ALLOWED_HOSTS", " Courses.Example , [::1]")
        monkeypatch.delenv("PUBLIC_URL", raising=False)

        assert allowed_hosts(Settings(jwt_secret="x" * 32)) == {"courses.example", "::1"}

    @pytest.mark.parametrize("url", ["courses.example", "ftp://courses.example", "https://", "https://x/?a=1"])
    def test_a_public_url_must_be_an_http_url(self, url):
        with pytest.raises(ValueError, match="PUBLIC_URL"):
            Settings(jwt_secret="x" * 32, public_url=url)


class TestPublicUrl:
    @pytest.fixture
    def public(self, settings, monkeypatch):
        monkeypatch.setattr(settings, "public_url", "https://courses.example/base")
        # Forwarded headers no longer matter once PUBLIC_URL decides.
        monkeypatch.setattr(settings, "trust_proxy", True)
        return {"X-Forwarded-Host": "testserver", "X-Forwarded-Proto": "http"}

    def test_pagination_links(self, client, target, public):
        response = client.get(f"{COURSES}?limit=1", headers=target.headers(**public))

        assert response.json()["next"] == "https://courses.example/base/api/v2/course/?limit=1&offset=1"

    def test_the_location_of_a_created_course(self, client, target, public):
        response = client.post(COURSES, json={"name": "New", "type": "self-paced"}, headers=target.headers(**public))

        assert response.headers["Location"] == f"https://courses.example/base/api/v2/course/{response.json()['id']}/"

    def test_the_redirect_to_the_final_slash(self, client, target, public):
        response = client.get(
            f"{COURSES}{target.course_id}?view=edit", headers=target.headers(**public), follow_redirects=False
        )

        assert response.status_code == 307
        assert (
            response.headers["Location"] == f"https://courses.example/base/api/v2/course/{target.course_id}/?view=edit"
        )

    def test_picture_urls(self, client, target, public):
        course = with_picture(client, target, **public)

        assert course["image_small"].startswith("https://courses.example/base/api/v2/media/course/")


class TestRedirects:
    def test_the_slash_redirect_keeps_the_checked_host(self, client, target, settings, monkeypatch):
        monkeypatch.setattr(settings, "trust_proxy", True)
        monkeypatch.setattr(settings, "allowed_hosts", ("testserver", "courses.example"))
        headers = target.headers(**{"X-Forwarded-Host": "courses.example", "X-Forwarded-Proto": "https"})

        response = client.get(f"{COURSES}{target.course_id}", headers=headers, follow_redirects=False)

        # Starlette would have named the Host, not the host the client reached through the proxy.
        assert response.headers["Location"] == f"https://courses.example/api/v2/course/{target.course_id}/"

    def test_the_swagger_ui_redirect_is_absolute(self, client):
        response = client.get(f"{API}/ui", follow_redirects=False)

        assert response.status_code in (301, 302, 307, 308)
        assert response.headers["Location"] == "http://testserver/api/v2/ui/"


class TestCreatedLocation:
    def test_a_new_course(self, client, db, target):
        response = client.post(COURSES, json={"name": "New", "type": "self-paced"}, headers=target.headers())

        assert response.status_code == 201
        location = response.headers["Location"]
        assert location == f"http://testserver/api/v2/course/{response.json()['id']}/"
        # GET answers view=user, which adds the caller's outline and progress to the course.
        got = client.get(location, headers=target.headers()).json()
        assert {name: got[name] for name in response.json()} == response.json()

    def test_a_new_section(self, client, target):
        response = client.post(target.url("sections"), json={"name": "New"}, headers=target.headers())

        assert response.status_code == 201
        location = response.headers["Location"]
        assert location == f"http://testserver/api/v2/course/{target.course_id}/section/{response.json()['id']}/"
        assert client.get(location, headers=target.headers()).json() == response.json()

    def test_a_new_lesson(self, client, target):
        response = client.post(target.url("lessons"), json={"name": "New"}, headers=target.headers())

        assert response.status_code == 201, response.text
        location = response.headers["Location"]
        lesson_id = response.json()["id"]
        assert location == f"http://testserver{target.url('lesson', lesson_id=lesson_id)}"
        assert client.get(location, headers=target.headers()).json() == response.json()

    def test_a_replay_repeats_it(self, client, target):
        def send():
            body = {"name": "Once", "type": "self-paced"}
            return client.post(COURSES, json=body, headers=target.headers(**{"Idempotency-Key": "k-1"}))

        first, again = send(), send()

        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.headers["Location"] == first.headers["Location"]


def get_paths() -> list[str]:
    spec = yaml.safe_load(SPEC_PATH.read_text())
    return [path for path, operations in spec["paths"].items() if "get" in operations]


class TestAllowHead:
    @pytest.mark.parametrize("path", get_paths())
    def test_head_works_and_is_allowed_where_get_is(self, client, target, path):
        url = API + path.format(
            id=target.course_id,
            section_id=target.section_ids[0],
            lesson_id=target.lesson_id,
            course_id=1,
            file="x.webp",
        )

        head = client.head(url, headers=target.headers())
        get = client.get(url, headers=target.headers())
        options = client.options(url, headers=target.headers())

        assert head.status_code == get.status_code != 405
        assert head.content == b""
        problem(options, 405)
        assert "HEAD" in options.headers["Allow"].split(", ")


def compressed(coding: str, data: bytes) -> bytes:
    if coding.startswith("gzip"):
        return gzip.compress(data)
    if coding == "deflate":
        return zlib.compress(data)
    return data


class TestContentEncoding:
    @pytest.mark.parametrize(
        "lines",
        [["gzip"], ["deflate"], ["br"], ["x-unknown"], ["GZIP"], ["gzip, identity"], ["identity", "gzip"]]
        + [["identity, br"]],
        ids=["gzip", "deflate", "br", "unknown", "upper-case", "two-codings", "two-lines", "identity-then-br"],
    )
    @pytest.mark.parametrize("what", ["course", "section", "lesson"])
    def test_is_refused_and_identity_is_not(self, client, db, target, what, lines):
        url = target.url(what)
        data = json.dumps({"name": "Squeezed"}).encode()
        headers = [*target.headers(**{"Content-Type": "application/json"}).items()]
        before = snapshot(db)

        coded = [*headers, *(("Content-Encoding", line) for line in lines)]
        response = client.patch(url, content=compressed(lines[-1].lower(), data), headers=coded)

        body = refused(response, 415, db, before)
        assert response.headers["Accept-Encoding"] == "identity"
        assert error_codes(body) == {None: ["unsupported_media_type"]}
        plain = client.patch(url, content=data, headers=[*headers, ("Content-Encoding", "identity")])
        assert plain.status_code == 200

    def test_a_create_is_refused_too(self, client, db, target):
        before = snapshot(db)
        data = gzip.compress(json.dumps({"name": "Squeezed", "type": "self-paced"}).encode())
        headers = target.headers(**{"Content-Type": "application/json", "Content-Encoding": "gzip"})

        refused(client.post(COURSES, content=data, headers=headers), 415, db, before)
        assert db.query(Course).count() == 2

    # The membership writes: two with a body (one of them a DELETE), and a join that takes none.
    @pytest.mark.parametrize(("method", "where"), [("POST", "invite"), ("DELETE", "invite"), ("POST", "join")])
    def test_a_membership_write_is_refused_too(self, client, db, make, target, method, where):
        invitee = make.user()
        make.db.commit()
        before = snapshot(db)
        data = gzip.compress(json.dumps({"users": [invitee.id]}).encode())
        headers = target.headers(**{"Content-Type": "application/json", "Content-Encoding": "gzip"})

        response = client.request(method, course_url(target.course_id, where), content=data, headers=headers)

        body = refused(response, 415, db, before)
        assert response.headers["Accept-Encoding"] == "identity"
        assert error_codes(body) == {None: ["unsupported_media_type"]}

    @pytest.mark.parametrize("what", ["lessons", "complete", "incomplete"])
    def test_a_lesson_create_or_mark_is_refused_too(self, client, db, target, what):
        before = snapshot(db)
        data = gzip.compress(json.dumps({"name": "Squeezed"}).encode())
        headers = target.headers(**{"Content-Type": "application/json", "Content-Encoding": "gzip"})

        response = client.post(target.url(what), content=data, headers=headers)

        # The coding is refused before any operation is chosen, even where no body is taken
        # (tests/test_status_codes.py checks that the spec declares it there).
        body = refused(response, 415, db, before)
        assert error_codes(body) == {None: ["unsupported_media_type"]}
