"""The API's paths, and assertions on its answers."""

API = "/api/v2"
COURSES = f"{API}/course/"
PROBLEM_KEYS = {"type", "title", "status", "detail", "errors"}


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
    assert body["status"] == status
    return body


def error_codes(body):
    """`{field: [code, ...]}` of a problem body; whole-request errors are under the key None."""
    return {entry.get("field"): [m["code"] for m in entry["messages"]] for entry in body["errors"]}
