"""The access log: one JSON line per request, with what it needs and nothing it costs much to find."""

import dataclasses
import json
import logging

import httpx
import pytest

from api.app import create_app
from api.serving import routes
from api.serving.access_log import LOGGER, JsonLines
from tests.support.http import API, COURSES, course_url, problem
from tests.support.live import live_service
from tests.support.tokens import auth, make_token

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
LINE_KEYS = {"time", "method", "path", "operation", "status", "duration_ms", "bytes", "user_id", "request_id"}


@pytest.fixture
def lines(caplog):
    """The access log's lines of the test, parsed."""
    caplog.set_level(logging.INFO, logger=LOGGER)

    def read():
        return [json.loads(record.getMessage()) for record in caplog.records if record.name == LOGGER]

    return read


class TestLines:
    def test_a_request_is_one_line_with_the_path_template(self, client, make, lines, alice):
        course = make.course(alice)

        response = client.get(course_url(course), headers={**auth(alice), "Accept-Encoding": "identity"})

        [line] = lines()
        assert set(line) == LINE_KEYS
        assert line["method"] == "GET"
        assert line["path"] == "/api/v2/course/{id}/"
        assert line["operation"] == "getSpecificCourseInfo"
        assert line["status"] == 200
        assert line["user_id"] == alice.id
        assert line["request_id"] == response.headers["X-Request-ID"]
        assert line["bytes"] == len(response.content)
        assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
        assert line["time"].endswith("Z")

    def test_a_path_that_matches_no_operation_is_logged_as_sent(self, client, lines):
        client.get(f"{API}/nowhere/", headers={"X-Request-ID": "lost-1"})

        [line] = lines()
        assert line | {"time": None, "duration_ms": None} == {
            "time": None,
            "method": "GET",
            "path": "/api/v2/nowhere/",
            "operation": None,
            "status": 404,
            "duration_ms": None,
            "bytes": line["bytes"],
            "user_id": None,
            "request_id": "lost-1",
        }
        assert line["bytes"] > 0

    def test_an_anonymous_caller_has_no_user(self, client, lines):
        client.get(f"{API}/health/live/")

        [line] = lines()
        assert (line["operation"], line["user_id"], line["status"]) == ("getLiveness", None, 200)

    def test_a_refused_token_has_no_user(self, client, lines):
        client.get(COURSES, headers={"Authorization": "Bearer garbage"})

        [line] = lines()
        assert (line["status"], line["user_id"]) == (401, None)

    def test_a_verified_token_of_an_unknown_user_names_that_user(self, client, lines):
        response = client.get(COURSES, headers={"Authorization": f"Bearer {make_token(4242)}"})

        [line] = lines()
        assert (response.status_code, line["status"], line["user_id"]) == (401, 401, 4242)

    def test_a_guards_refusal_is_logged(self, client, lines):
        headers = {"Content-Type": "application/json", "Content-Length": str(10**9)}
        client.post(COURSES, content=b"{}", headers=headers)

        [line] = lines()
        assert (line["method"], line["path"], line["status"]) == ("POST", COURSES, 413)

    def test_a_valid_traceparent_is_logged(self, client, lines):
        client.get(f"{API}/health/live/", headers={"traceparent": TRACEPARENT})

        [line] = lines()
        assert (line["trace_id"], line["span_id"], line["trace_flags"]) == (
            "4bf92f3577b34da6a3ce929d0e0e4736",
            "00f067aa0ba902b7",
            "01",
        )

    def test_an_invalid_traceparent_is_left_out(self, client, lines):
        client.get(f"{API}/health/live/", headers={"traceparent": TRACEPARENT.replace("-01", "-1")})

        [line] = lines()
        assert set(line) == LINE_KEYS

    def test_compressed_answers_count_the_bytes_sent(self, client, make, lines, alice):
        course = make.course(alice, description="x" * 5000)

        response = client.get(course_url(course), headers={**auth(alice), "Accept-Encoding": "gzip"})

        [line] = lines()
        assert response.headers["Content-Encoding"] == "gzip"
        assert line["bytes"] == int(response.headers["Content-Length"]) < len(response.content)

    def test_off_with_access_log_false(self, settings, caplog):
        caplog.set_level(logging.INFO, logger=LOGGER)
        app = create_app(dataclasses.replace(settings, access_log=False))

        with app.test_client() as client:
            assert client.get(f"{API}/health/live/").status_code == 200

        assert [record for record in caplog.records if record.name == LOGGER] == []


class TestErrors:
    @pytest.fixture
    def failing(self, settings, monkeypatch):
        """An app whose liveness handler raises what no error handler expects."""

        def fail():
            raise RuntimeError("secret detail of a bug")

        monkeypatch.setitem(routes.HANDLERS, "getLiveness", fail)
        with create_app(settings).test_client() as client:
            yield client

    def test_the_answer_is_the_generic_500_without_the_trace(self, failing, caplog):
        caplog.set_level(logging.INFO)

        response = failing.get(f"{API}/health/live/", headers={"X-Request-ID": "bug-1"})

        body = problem(response, 500)
        assert body["detail"] == "The server failed to handle the request."
        assert body["request_id"] == "bug-1"
        assert "secret detail" not in response.text and "Traceback" not in response.text

    def test_the_log_has_the_trace_and_the_request_id(self, failing, caplog):
        caplog.set_level(logging.INFO)

        failing.get(f"{API}/health/live/", headers={"X-Request-ID": "bug-2"})

        [record] = [record for record in caplog.records if record.levelno >= logging.ERROR]
        assert record.exc_info and isinstance(record.exc_info[1], RuntimeError)
        assert record.request_id == "bug-2"
        line = json.loads(JsonLines().format(record))
        assert (line["level"], line["logger"], line["request_id"]) == ("error", "api.web.problems", "bug-2")
        assert "Traceback" in line["exception"] and "secret detail of a bug" in line["exception"]
        access = [json.loads(r.getMessage()) for r in caplog.records if r.name == LOGGER]
        assert [(a["status"], a["request_id"]) for a in access] == [(500, "bug-2")]


def _served_lines(folder, env):
    """The JSON lines `course-api serve` wrote while serving three requests."""
    with live_service(f"access_log_{folder.name}", folder, [{"username": "owner"}], workers=1, settings=env) as (
        server,
        _engine,
    ):
        httpx.get(f"{server.url}/health/live/", headers={"X-Request-ID": "live-1"})
        httpx.get(f"{server.url}/course/", headers={"Authorization": f"Bearer {make_token(1)}"})
        httpx.get(f"{server.url}/nowhere/")
    text = (folder / "server.log").read_text()
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")], text


class TestServe:
    def test_serve_writes_json_lines_by_default(self, tmp_path):
        lines, text = _served_lines(tmp_path, {})

        access = [line for line in lines if "request_id" in line and "method" in line]
        by_request = {line["request_id"]: line for line in access}
        assert by_request["live-1"]["path"] == "/api/v2/health/live/"
        assert [(line["path"], line["status"], line["user_id"]) for line in access[-2:]] == [
            ("/api/v2/course/", 200, 1),
            ("/api/v2/nowhere/", 404, None),
        ]
        assert "Started server process" in text  # uvicorn's own lines are still there

    def test_access_log_false_writes_none(self, tmp_path):
        lines, text = _served_lines(tmp_path, {"ACCESS_LOG": "false"})

        assert [line for line in lines if "method" in line] == []
        assert "Started server process" in text
