"""The API's paths, and assertions on its answers."""

API = "/api/v2"
COURSES = f"{API}/course/"
PROBLEM_KEYS = {"type", "title", "status", "detail", "errors", "request_id"}


def course_url(course, *rest):
    """`/api/v2/course/<id>/` (or a deeper path such as `section/<id>/`) for a course or a plain id."""
    course_id = getattr(course, "id", course)
    tail = "".join(f"{getattr(part, 'id', part)}/" for part in rest)
    return f"{COURSES}{course_id}/{tail}"


def problem(response, status):
    """Assert that `response` is a problem document with this status, and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) == PROBLEM_KEYS
    if response.headers.get("Idempotent-Replayed") != "true":
        # A replay repeats the first answer's body byte for byte, and with it the first request's id.
        assert body["request_id"] == response.headers["X-Request-ID"]
    assert body["status"] == status
    return body


def without_request_id(body):
    """A problem document without what differs between any two answers, to compare two of them."""
    return {name: value for name, value in body.items() if name != "request_id"}


def error_codes(body):
    """`{field: [code, ...]}` of a problem body; whole-request errors are under the key None."""
    return {entry.get("field"): [m["code"] for m in entry["messages"]] for entry in body["errors"]}
