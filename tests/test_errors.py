"""The error path: unknown routes and methods, path ids out of range, and the shape of every problem."""

from http import HTTPStatus

import pytest

from tests.support.http import API, COURSES, PROBLEM_KEYS, course_url, error_codes, problem
from tests.support.tokens import auth

MAX_ID = 2**53 - 1
JSON = "application/json"


class TestMethodNotAllowed:
    @pytest.mark.parametrize(
        ("method", "path", "allow"),
        [
            ("DELETE", "/course/search/", "GET, HEAD"),
            ("POST", "/course/search/", "GET, HEAD"),
            ("PUT", "/course/", "GET, HEAD, POST"),
            ("DELETE", "/course/", "GET, HEAD, POST"),
            ("POST", "/course/1/", "DELETE, GET, HEAD, PATCH, PUT"),
            ("PATCH", "/course/1/section/", "GET, HEAD, POST"),
            ("POST", "/course/1/section/1/", "DELETE, GET, HEAD, PATCH, PUT"),
            ("GET", "/course/1/role/", "POST"),
            ("DELETE", "/category/", "GET, HEAD, POST"),
            ("POST", "/health/", "GET, HEAD"),
        ],
    )
    def test_answers_405_with_the_documented_methods(self, client, alice, method, path, allow):
        response = client.request(method, f"{API}{path}", headers=auth(alice))

        body = problem(response, 405)
        assert response.headers["Allow"] == allow
        assert error_codes(body) == {None: ["method_not_allowed"]}


class TestPathIds:
    @pytest.mark.parametrize("bad", [0, -1, 2**53, 2**63, 10**30])
    @pytest.mark.parametrize("template", ["/course/{}/", "/course/{}/section/", "/course/{}/role/"])
    def test_course_id_out_of_range_is_a_bad_request(self, client, alice, bad, template):
        method = "POST" if template.endswith("role/") else "GET"
        kwargs = {"json": {"joined": [alice.id]}} if method == "POST" else {}

        body = problem(client.request(method, API + template.format(bad), headers=auth(alice), **kwargs), 400)

        assert list(error_codes(body)) == ["id"]

    @pytest.mark.parametrize("bad", [0, -1, 2**53, 2**63])
    def test_section_id_out_of_range_is_a_bad_request(self, client, make, alice, bad):
        course = make.course(alice)

        body = problem(client.get(f"{COURSES}{course.id}/section/{bad}/", headers=auth(alice)), 400)

        assert list(error_codes(body)) == ["section_id"]

    def test_largest_id_is_simply_not_found(self, client, alice):
        body = problem(client.get(f"{COURSES}{MAX_ID}/", headers=auth(alice)), 404)

        assert error_codes(body) == {None: ["not_found"]}

    def test_largest_section_id_is_simply_not_found(self, client, make, alice):
        course = make.course(alice)

        problem(client.get(f"{COURSES}{course.id}/section/{MAX_ID}/", headers=auth(alice)), 404)

    @pytest.mark.parametrize("path", ["/course/abc/", "/course/1.5/", "/course/1e3/", "/course/1/section/x/"])
    def test_non_numeric_id_matches_no_route(self, client, alice, path):
        problem(client.get(f"{API}{path}", headers=auth(alice)), 404)

    @pytest.mark.parametrize("path", ["/nothing/", "/course/1/lesson/", "/", "/course/search/extra/"])
    def test_unknown_path_is_not_found(self, client, alice, path):
        body = problem(client.get(f"{API}{path}", headers=auth(alice)), 404)

        assert error_codes(body) == {None: ["not_found"]}


class TestTrailingSlash:
    @pytest.mark.parametrize("path", ["/course", "/course/search", "/category", "/health"])
    def test_path_without_final_slash_redirects_to_the_canonical_one(self, client, alice, path):
        response = client.get(f"{API}{path}", headers=auth(alice), follow_redirects=False)

        assert response.status_code == 307
        assert response.headers["Location"].endswith(f"{API}{path}/")


# One request per kind of failure: id -> (status, method, target, caller, request kwargs).
FAILURES = {
    "400-parameter": (400, "GET", "search", "alice", {"params": {"limit": 101}}),
    "400-malformed-json": (400, "POST", "courses", "alice", {"content": b"{", "headers": {"Content-Type": JSON}}),
    "400-missing-field": (400, "POST", "courses", "alice", {"json": {"type": "structured"}}),
    "400-business-rule": (400, "PATCH", "open", "alice", {"json": {"privacy": ""}}),
    "401-no-token": (401, "GET", "courses", None, {}),
    "401-bad-token": (401, "GET", "courses", None, {"headers": {"Authorization": "Bearer x"}}),
    "403-course": (403, "PATCH", "open", "bob", {"json": {}}),
    "403-category": (403, "POST", "category", "alice", {"json": {"name": "x"}}),
    "404-hidden": (404, "GET", "draft", "bob", {}),
    "404-route": (404, "GET", "nowhere", "alice", {}),
    "405": (405, "PUT", "courses", "alice", {}),
    "409": (409, "POST", "courses", "alice", {"json": {"name": "taken", "type": "structured"}}),
    "415-text": (415, "POST", "courses", "alice", {"content": b"x", "headers": {"Content-Type": "text/plain"}}),
    "415-no-type": (415, "POST", "courses", "alice", {"content": b'{"name": "x"}'}),
}


class TestProblemDocuments:
    @pytest.mark.parametrize(("status", "method", "target", "caller", "kwargs"), FAILURES.values(), ids=FAILURES)
    def test_every_error_is_a_problem_document(self, client, make, alice, bob, status, method, target, caller, kwargs):
        paths = {
            "courses": COURSES,
            "search": f"{COURSES}search/",
            "category": f"{API}/category/",
            "nowhere": f"{API}/nowhere/",
            "draft": course_url(make.course(alice, privacy="")),
            "open": course_url(make.course(alice, name="Taken")),
        }
        headers = {**(auth({"alice": alice, "bob": bob}[caller]) if caller else {}), **kwargs.get("headers", {})}

        response = client.request(method, paths[target], **{**kwargs, "headers": headers})

        body = problem(response, status)
        assert set(body) == PROBLEM_KEYS
        assert body["type"] == "about:blank"
        assert body["title"] == HTTPStatus(status).phrase
        assert isinstance(body["detail"], str) and body["detail"]
        assert body["errors"]
        for entry in body["errors"]:
            assert set(entry) <= {"field", "messages"}
            assert entry["messages"]
            for message in entry["messages"]:
                assert set(message) == {"code", "message"}
                assert isinstance(message["code"], str) and message["code"]
                assert isinstance(message["message"], str) and message["message"]


@pytest.mark.parametrize("path", ["/course/%0A/", "/course/1/section/%0A/", "/course/1%0D/", "/course/%7F/"])
def test_paths_with_control_characters_name_nothing(client, alice, path):
    """Not even a redirect: Starlette would send `/course/\\n/` to `/course/\\n`, which does not exist."""
    response = client.get(f"{API}{path}", headers=auth(alice), follow_redirects=False)

    assert problem(response, 404)["errors"] == [{"messages": [{"code": "not_found", "message": "No such resource."}]}]
