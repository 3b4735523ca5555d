"""Rate limits (RATE_LIMIT_READS, _WRITES, _PICTURES): classes, subjects, windows, the 429 and its headers."""

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import event, func, select

from api.app import create_app
from api.config import ConfigurationError, RateLimit, Settings, check
from api.serving.rate_limits import RateLimits, operation_classes, subject_of
from models import RateLimitWindow, Section
from tests.support.http import API, course_url, problem
from tests.support.live import run_serve
from tests.support.tokens import SECRET, auth

# Ten seconds into a minute, an hour and a day: every window's `t` is known.
START = datetime(2026, 12, 4, 6, 0, 10, tzinfo=UTC)


def at(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def limited(app, settings):
    """Build an app like the shared one, on its database, with these limits."""
    built = []

    def build(**limits):
        limited_app = create_app(dataclasses.replace(settings, **limits))
        built.append(limited_app)
        return limited_app

    yield build
    for limited_app in built:
        limited_app.app.extensions["course_api.engine"].dispose()


def statements(app) -> list[str]:
    """The SQL the app's engine runs from now on."""
    seen = []
    event.listen(
        app.app.extensions["course_api.engine"],
        "before_cursor_execute",
        lambda _c, _cur, sql, *_: seen.append(sql),
    )
    return seen


class TestSettings:
    @pytest.mark.parametrize(
        ("text", "limit"),
        [
            ("120/minute", RateLimit(120, 60)),
            ("1/second", RateLimit(1, 1)),
            (" 5000/hour ", RateLimit(5000, 3600)),
            ("999999999/day", RateLimit(999_999_999, 86400)),
        ],
    )
    def test_reads_n_per_unit(self, text, limit):
        assert Settings(jwt_secret=SECRET, rate_limit_writes=text).rate_limits() == {"writes": limit}

    def test_empty_or_unset_is_no_limit(self):
        assert Settings(jwt_secret=SECRET, rate_limit_reads="", rate_limit_pictures="  ").rate_limits() == {}

    @pytest.mark.parametrize(
        "text",
        [
            "120/minutes",
            "0/minute",
            "120 / minute",
            "120/Minute",
            "1e3/hour",
            "-1/second",
            "10",
            "minute",
            "1000000000/day",
            "05/minute",
            "2/fortnight",
            "1/minute,2/hour",
        ],
    )
    def test_refuses_anything_else_at_start(self, text):
        with pytest.raises(ConfigurationError, match=rf"RATE_LIMIT_PICTURES is '{text.strip()}'; write it as N/second"):
            check(Settings(jwt_secret=SECRET, rate_limit_pictures=text))

    def test_serve_refuses_it_with_one_line(self, tmp_path):
        env = {
            "PATH": "/usr/bin:/bin",
            "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite",
            "JWT_SECRET": SECRET,
            "RATE_LIMIT_READS": "fast",
        }
        run = run_serve("--port", "0", env=env)
        assert run.returncode == 1
        assert run.stderr.strip() == (
            "course-api: RATE_LIMIT_READS is 'fast'; write it as N/second, N/minute, N/hour or N/day with N a "
            "whole number from 1 to 999999999 (e.g. 120/minute), or leave it empty for no limit."
        )


class TestClasses:
    def test_of_every_operation(self, app):
        from api.app import load_spec

        spec = load_spec()
        classes = operation_classes(spec)
        operation_ids = {
            operation["operationId"]
            for item in spec["paths"].values()
            for operation in item.values()
            if isinstance(operation, dict) and "operationId" in operation
        }
        assert classes.keys() == operation_ids
        assert {name for name, bucket in classes.items() if bucket == "pictures"} == {
            "createCourse",
            "updateCourse",
            "patchCourse",
        }
        assert classes["getSpecificCourseInfo"] == classes["getHealth"] == classes["getCourseMedia"] == "reads"
        assert classes["createCourseSection"] == classes["deleteCourse"] == classes["markLessonComplete"] == "writes"


class TestOffByDefault:
    def test_no_middleware_no_query_no_header(self, app, client, make):
        course = make.course(make.user())
        assert not any(getattr(m, "func", m) is RateLimits for m in app.middleware.middlewares)
        seen = statements(app)
        for _ in range(3):
            response = client.get(course_url(course), headers=auth(course.created_by))
            assert response.status_code == 200
            assert "RateLimit" not in response.headers and "RateLimit-Policy" not in response.headers
        assert seen and not any("rate_limit" in sql for sql in seen)


class TestLimits:
    def test_n_successes_then_a_429_problem(self, limited, make):
        course = make.course(make.user())
        with at(START), limited(rate_limit_reads="3/minute").test_client() as client:
            headers = auth(course.created_by)
            answers = [client.get(course_url(course), headers=headers) for _ in range(4)]

        assert [a.status_code for a in answers[:3]] == [200, 200, 200]
        assert [a.headers["RateLimit"] for a in answers[:3]] == [f'"reads";r={n};t=50' for n in (2, 1, 0)]
        assert all(a.headers["RateLimit-Policy"] == '"reads";q=3;w=60' for a in answers)
        body = problem(answers[3], 429)
        assert body["title"] == "Too Many Requests"
        assert body["errors"] == [{"messages": [{"code": "throttled", "message": body["detail"]}]}]
        assert body["detail"] == "Too many reads requests: at most 3 every 60 seconds. Try again in 50 seconds."
        assert answers[3].headers["Retry-After"] == "50"
        assert answers[3].headers["RateLimit"] == '"reads";r=0;t=50'

    def test_a_refused_write_changes_nothing(self, limited, make, db):
        course = make.course(make.user())
        with at(START), limited(rate_limit_writes="1/hour").test_client() as client:
            url = course_url(course, "section")
            first = client.post(url, json={"name": "One"}, headers=auth(course.created_by))
            second = client.post(url, json={"name": "Two"}, headers=auth(course.created_by))
        assert first.status_code == 201 and first.headers["RateLimit"] == '"writes";r=0;t=3590'
        problem(second, 429)
        assert second.headers["Retry-After"] == "3590"
        assert db.scalar(select(func.count()).select_from(Section)) == 1

    def test_classes_are_counted_apart(self, limited, make):
        course = make.course(make.user())
        app = limited(rate_limit_reads="1/minute", rate_limit_writes="1/minute", rate_limit_pictures="1/minute")
        with at(START), app.test_client() as client:
            headers = auth(course.created_by)
            assert client.get(course_url(course), headers=headers).status_code == 200
            assert client.get(course_url(course), headers=headers).status_code == 429
            patched = client.patch(course_url(course), json={"description": "x"}, headers=headers)
            assert patched.status_code == 200 and patched.headers["RateLimit-Policy"] == '"pictures";q=1;w=60'
            assert client.patch(course_url(course), json={"description": "y"}, headers=headers).status_code == 429
            posted = client.post(course_url(course, "section"), json={"name": "S"}, headers=headers)
            assert posted.status_code == 201 and posted.headers["RateLimit-Policy"] == '"writes";q=1;w=60'

    def test_a_class_without_a_limit_is_not_counted(self, limited, make):
        course = make.course(make.user())
        app = limited(rate_limit_writes="1/minute")
        seen = statements(app)
        with at(START), app.test_client() as client:
            for _ in range(3):
                response = client.get(course_url(course), headers=auth(course.created_by))
                assert response.status_code == 200 and "RateLimit" not in response.headers
        assert not any("rate_limit" in sql for sql in seen)

    def test_each_user_has_a_quota_of_their_own(self, limited, make):
        alice, bob = make.user(), make.user()
        course = make.course(alice, privacy="open")
        with at(START), limited(rate_limit_reads="1/minute").test_client() as client:
            assert client.get(course_url(course), headers=auth(alice)).status_code == 200
            assert client.get(course_url(course), headers=auth(alice)).status_code == 429
            assert client.get(course_url(course), headers=auth(bob)).status_code == 200

    def test_anonymous_calls_count_by_client_address(self, limited):
        app = limited(rate_limit_reads="2/minute")
        with at(START):
            with (
                app.test_client(client=("203.0.113.5", 4000)) as first,
                app.test_client(client=("203.0.113.6", 4000)) as second,
            ):
                assert [first.get(f"{API}/health/").status_code for _ in range(3)] == [200, 200, 429]
                assert second.head(f"{API}/health/").status_code == 200

    def test_an_ipv6_client_counts_by_its_64_network(self):
        def scope(address):
            return {"client": (address, 1), "extensions": {}}

        assert (
            subject_of(scope("2001:db8:1:2::5"))
            == subject_of(scope("2001:db8:1:2:ffff::9"))
            == ("address:2001:db8:1:2::/64")
        )
        assert subject_of(scope("2001:db8:1:3::5")) != subject_of(scope("2001:db8:1:2::5"))
        assert subject_of(scope("192.0.2.1")) == "address:192.0.2.1"
        assert subject_of({"client": None}) == "address:unknown"
        assert subject_of({"client": ("192.0.2.1", 1), "extensions": {"connexion_context": {"user": 7}}}) == "user:7"

    def test_invalid_requests_count_but_unauthenticated_ones_do_not(self, limited, make):
        course = make.course(make.user())
        with at(START), limited(rate_limit_reads="2/minute").test_client() as client:
            headers = auth(course.created_by)
            assert client.get(course_url(course)).status_code == 401
            assert client.get(course_url(course), params={"nope": 1}, headers=headers).status_code == 400
            assert client.get(course_url(course), headers=headers).status_code == 200
            assert client.get(course_url(course), headers=headers).status_code == 429


class TestWindows:
    def test_a_new_window_starts_afresh_and_ended_ones_are_deleted(self, limited, make, db):
        course = make.course(make.user())
        app = limited(rate_limit_reads="1/minute")
        seen = statements(app)
        with app.test_client() as client:
            with at(START):
                headers = auth(course.created_by)
                assert client.get(course_url(course), headers=headers).status_code == 200
                assert client.get(course_url(course), headers=headers).status_code == 429
                at_start = len(seen)
                client.get(course_url(course), headers=headers)
                assert len([sql for sql in seen[at_start:] if "rate_limit" in sql]) == 1  # one statement a request
            assert db.scalar(select(func.count()).select_from(RateLimitWindow)) == 1
            with at(START + timedelta(seconds=50)):  # the next minute
                headers = auth(course.created_by)
                response = client.get(course_url(course), headers=headers)
                assert response.status_code == 200 and response.headers["RateLimit"] == '"reads";r=0;t=60'
        db.rollback()  # a new snapshot: the count above began a read transaction
        rows = db.scalars(select(RateLimitWindow)).all()
        assert [(row.bucket, row.subject, row.hits) for row in rows] == [("reads", f"user:{course.created_by.id}", 1)]
        assert rows[0].window_start == int((START + timedelta(seconds=50)).timestamp())
