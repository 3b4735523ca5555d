"""Cross-origin calls from a browser: preflights, the headers of answers (errors included), settings."""

import pytest

from api.config import ConfigurationError, Settings
from models import Course
from tests.support.http import COURSES, course_url, error_codes, problem
from tests.support.tokens import auth
from tests.test_hostile import refused, snapshot

PAGE = "https://app.example"


@pytest.fixture
def cors(monkeypatch, settings):
    monkeypatch.setattr(settings, "cors_allowed_origins", (PAGE, "http://localhost:3000"))
    return settings


def preflight(client, url, origin=PAGE, method="PATCH", headers="authorization, content-type, if-match"):
    asked = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers is not None:
        asked["Access-Control-Request-Headers"] = headers
    return client.options(url, headers=asked)


class TestPreflight:
    def test_an_allowed_origin_may_send_what_the_operations_read(self, client, make, cors):
        course = make.course(make.user())

        response = preflight(
            client, course_url(course), headers="Authorization, Content-Type, If-Match, Idempotency-Key"
        )

        assert response.status_code == 204
        assert response.content == b""
        assert response.headers["Access-Control-Allow-Origin"] == PAGE
        assert set(response.headers["Access-Control-Allow-Methods"].split(", ")) == {
            "GET",
            "POST",
            "PUT",
            "PATCH",
            "DELETE",
        }
        allowed = set(response.headers["Access-Control-Allow-Headers"].split(", "))
        assert {"authorization", "content-type", "if-match", "if-none-match", "idempotency-key"} <= allowed
        assert response.headers["Access-Control-Max-Age"] == "600"
        assert "Origin" in response.headers["Vary"]

    def test_needs_no_token(self, client, cors):
        # Browsers send preflights without credentials: a 401 here would block every call.
        response = preflight(client, COURSES)

        assert response.status_code == 204

    def test_another_origin_is_refused_with_a_problem(self, client, make, db, cors):
        course = make.course(make.user())
        before = snapshot(db)

        body = refused(preflight(client, course_url(course), origin="https://evil.example"), 403, db, before)

        assert error_codes(body) == {"Origin": ["cors"]}

    def test_without_allowed_origins_every_preflight_is_refused(self, client):
        body = problem(preflight(client, COURSES), 403)

        assert error_codes(body) == {"Origin": ["cors"]}
        assert "CORS_ALLOWED_ORIGINS" in body["detail"]

    @pytest.mark.parametrize(
        ("method", "headers", "field"),
        [
            ("TRACE", None, "Access-Control-Request-Method"),
            ("PATCH", "authorization, x-custom", "Access-Control-Request-Headers"),
            ("GET", "cookie", "Access-Control-Request-Headers"),
        ],
    )
    def test_a_method_or_header_no_operation_reads_is_named(self, client, cors, method, headers, field):
        body = problem(preflight(client, COURSES, method=method, headers=headers), 403)

        assert error_codes(body) == {field: ["cors"]}

    def test_an_origin_differs_by_its_port_and_scheme(self, client, cors):
        assert preflight(client, COURSES, origin="http://localhost:3000").status_code == 204
        assert preflight(client, COURSES, origin="http://localhost:3001").status_code == 403
        assert preflight(client, COURSES, origin="http://app.example").status_code == 403

    def test_a_plain_options_request_is_not_a_preflight(self, client, cors):
        response = client.options(COURSES, headers={"Origin": PAGE})

        problem(response, 405)
        # Still an answer to an allowed origin: the page may read why.
        assert response.headers["Access-Control-Allow-Origin"] == PAGE


class TestAnswers:
    def test_carry_the_origin_and_the_headers_a_script_reads(self, client, make, cors):
        course = make.course(make.user())

        response = client.get(course_url(course), headers={"Origin": PAGE, **auth(course.created_by)})

        assert response.status_code == 200
        assert response.headers["Access-Control-Allow-Origin"] == PAGE
        exposed = {name.strip() for name in response.headers["Access-Control-Expose-Headers"].split(",")}
        assert {"ETag", "Location", "Retry-After", "Idempotent-Replayed", "RateLimit", "RateLimit-Policy"} <= exposed
        assert "Access-Control-Allow-Credentials" not in response.headers

    @pytest.mark.parametrize("status", [401, 404, 413])
    def test_error_answers_carry_them_too(self, client, make, cors, monkeypatch, settings, status):
        course = make.course(make.user())
        headers = {"Origin": PAGE}
        if status == 401:
            response = client.get(course_url(course), headers=headers)
        elif status == 404:
            response = client.get(f"{COURSES}999999/", headers={**headers, **auth(course.created_by)})
        else:
            monkeypatch.setattr(settings, "max_body_bytes", 10)
            response = client.patch(
                course_url(course), json={"description": "x" * 100}, headers={**headers, **auth(course.created_by)}
            )

        problem(response, status)
        assert response.headers["Access-Control-Allow-Origin"] == PAGE

    def test_another_origin_gets_none(self, client, make, cors):
        course = make.course(make.user())

        response = client.get(course_url(course), headers={"Origin": "https://evil.example", **auth(course.created_by)})

        assert response.status_code == 200
        assert "Access-Control-Allow-Origin" not in response.headers
        assert "Origin" in response.headers["Vary"]

    def test_off_by_default(self, client, make):
        course = make.course(make.user())

        response = client.get(course_url(course), headers={"Origin": PAGE, **auth(course.created_by)})

        assert "Access-Control-Allow-Origin" not in response.headers

    def test_any_origin_with_a_star(self, client, make, monkeypatch, settings):
        monkeypatch.setattr(settings, "cors_allowed_origins", ("*",))
        course = make.course(make.user())

        response = client.get(
            course_url(course), headers={"Origin": "https://anyone.example", **auth(course.created_by)}
        )

        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert preflight(client, COURSES, origin="https://anyone.example").status_code == 204

    def test_credentials_only_when_asked_for(self, client, make, cors, monkeypatch, settings):
        monkeypatch.setattr(settings, "cors_allow_credentials", True)
        course = make.course(make.user())

        response = client.get(course_url(course), headers={"Origin": PAGE, **auth(course.created_by)})

        assert response.headers["Access-Control-Allow-Origin"] == PAGE
        assert response.headers["Access-Control-Allow-Credentials"] == "true"

    def test_a_cross_origin_write_still_needs_its_token(self, client, make, db, cors):
        course = make.course(make.user())
        before = snapshot(db)

        refused(
            client.patch(course_url(course), json={"name": "Taken over"}, headers={"Origin": PAGE}), 401, db, before
        )
        assert db.get(Course, course.id).name == course.name


class TestSettings:
    @pytest.mark.parametrize(
        "origin", ["app.example", "https://app.example/", "https://app.example/path", "ftp://app.example", "https://"]
    )
    def test_an_origin_must_be_written_as_browsers_send_it(self, origin):
        with pytest.raises(ConfigurationError, match="CORS_ALLOWED_ORIGINS"):
            Settings(jwt_secret="x" * 48, cors_allowed_origins=(origin,))

    def test_any_origin_with_credentials_is_refused(self):
        with pytest.raises(ConfigurationError, match="list the origins instead"):
            Settings(jwt_secret="x" * 48, cors_allowed_origins=("*",), cors_allow_credentials=True)

    def test_read_from_the_environment(self, monkeypatch):
        monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "https://App.Example, http://localhost:3000")

        assert Settings(jwt_secret="x" * 48).cors_allowed_origins == ("https://app.example", "http://localhost:3000")
