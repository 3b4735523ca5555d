"""X-Request-ID on every answer and in every problem document; W3C traceparent as the log reads it."""

import re

import pytest

from api.serving.request_ids import TraceContext, trace_context
from tests.support.http import API, COURSES, problem

GENERATED = re.compile(r"[0-9a-f]{32}")
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


class TestRequestIds:
    def test_an_id_is_made_when_none_is_sent(self, client):
        first = client.get(f"{API}/health/live/")
        second = client.get(f"{API}/health/live/")

        assert GENERATED.fullmatch(first.headers["X-Request-ID"])
        assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]

    @pytest.mark.parametrize("sent", ["abc", "0f8fad5b-d9cb-469f-a165-70867728950e", "host:42:7", "a.b_c", "x" * 128])
    def test_a_well_formed_id_is_kept(self, client, sent):
        response = client.get(f"{API}/health/live/", headers={"X-Request-ID": sent})

        assert response.headers["X-Request-ID"] == sent

    @pytest.mark.parametrize("sent", ["", "x" * 129, "has space", "semi;colon", 'quote"', "slash/", "é"])
    def test_a_malformed_id_is_replaced_not_refused(self, client, sent):
        response = client.get(f"{API}/health/live/", headers={"X-Request-ID": sent.encode()})

        assert response.status_code == 200
        assert GENERATED.fullmatch(response.headers["X-Request-ID"])

    def test_two_ids_are_replaced_by_one_of_ours(self, client):
        response = client.get(f"{API}/health/live/", headers=[("X-Request-ID", "one"), ("X-Request-ID", "two")])

        assert GENERATED.fullmatch(response.headers["X-Request-ID"])

    def test_problem_documents_name_it(self, client):
        response = client.get(COURSES, headers={"X-Request-ID": "trace-me"})

        assert problem(response, 401)["request_id"] == "trace-me"

    @pytest.mark.parametrize(
        "method, path, extra, status",
        [
            # GuardPaths and GuardBodies refuse these before routing, Connexion or Flask see them.
            ("GET", f"{API}/course/%01/", {}, 404),
            (
                "POST",
                COURSES,
                {"content": b"{}", "headers": {"Content-Type": "application/json", "Content-Length": str(10**9)}},
                413,
            ),
            (
                "POST",
                COURSES,
                {"content": b"{}", "headers": {"Content-Type": "application/json", "Content-Encoding": "gzip"}},
                415,
            ),
        ],
    )
    def test_the_guards_early_refusals_carry_it(self, client, method, path, extra, status):
        headers = {"X-Request-ID": "early", **extra.pop("headers", {})}

        response = client.request(method, path, headers=headers, **extra)

        assert response.headers["X-Request-ID"] == "early"
        assert problem(response, status)["request_id"] == "early"

    def test_an_unknown_path_and_a_wrong_method_carry_it(self, client):
        for method, path, status in (("GET", f"{API}/nowhere/", 404), ("DELETE", f"{API}/health/", 405)):
            response = client.request(method, path, headers={"X-Request-ID": "lost"})

            assert problem(response, status)["request_id"] == "lost"


class TestTraceContext:
    def test_a_valid_traceparent_is_read(self):
        value = f"00-{TRACE_ID}-{PARENT_ID}-01".encode()

        assert trace_context([(b"traceparent", value)]) == TraceContext(TRACE_ID, PARENT_ID, "01")

    def test_a_later_version_may_add_fields(self):
        value = f"01-{TRACE_ID}-{PARENT_ID}-00-what-comes-next".encode()

        assert trace_context([(b"traceparent", value)]) == TraceContext(TRACE_ID, PARENT_ID, "00")

    @pytest.mark.parametrize(
        "value",
        [
            f"ff-{TRACE_ID}-{PARENT_ID}-01",  # version ff is forbidden
            f"00-{TRACE_ID}-{PARENT_ID}-01-extra",  # version 00 has four fields
            f"00-{'0' * 32}-{PARENT_ID}-01",  # an all-zero trace id
            f"00-{TRACE_ID}-{'0' * 16}-01",  # an all-zero parent id
            f"00-{TRACE_ID.upper()}-{PARENT_ID}-01",  # upper-case hex
            f"00-{TRACE_ID[:-1]}-{PARENT_ID}-01",
            f"00-{TRACE_ID}-{PARENT_ID}1-01",
            f"00-{TRACE_ID}-{PARENT_ID}-1",
            f"0-{TRACE_ID}-{PARENT_ID}-01",
            f"00_{TRACE_ID}_{PARENT_ID}_01",
            "",
            "garbage",
        ],
    )
    def test_an_invalid_traceparent_is_ignored(self, value):
        assert trace_context([(b"traceparent", value.encode())]) is None

    def test_two_traceparents_are_ignored(self):
        value = f"00-{TRACE_ID}-{PARENT_ID}-01".encode()

        assert trace_context([(b"traceparent", value), (b"traceparent", value)]) is None

    def test_none_sent_is_none(self):
        assert trace_context([(b"accept", b"*/*")]) is None
