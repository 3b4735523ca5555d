"""Every status code an operation answers is one the spec declares for it.

Each operation is sent the requests that bring out the answers no functional test aims at: an
unknown query parameter (400), a method its path does not offer (405), and HEAD where it offers GET.
"""

import gzip

import pytest

from api.app import load_spec
from tests.support.http import API
from tests.support.tokens import make_token

SPEC = load_spec()
METHODS = ("get", "put", "post", "delete", "patch")
PROBED = ("GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "TRACE")
PATHS = {path: [m for m in METHODS if m in item] for path, item in SPEC["paths"].items()}
OPERATIONS = [(method, path) for path, methods in PATHS.items() for method in methods]


def declared(method, path) -> set[str]:
    return set(SPEC["paths"][path][method]["responses"])


@pytest.fixture
def concrete(make, alice):
    """Turns a spec path into a URL of things that exist, and gives alice's headers."""
    course = make.course(alice, sections=1)
    lesson = make.lesson(course.sections[0])
    values = {"id": course.id, "course_id": course.id, "section_id": course.sections[0].id, "lesson_id": lesson.id}
    values["file"] = "0" * 32 + "-96.webp"

    def url(path):
        return API + path.format(**values)

    return url, {"Authorization": f"Bearer {make_token(alice.id)}"}


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m.upper()} {p}" for m, p in OPERATIONS])
def test_an_unknown_query_parameter_is_a_declared_400(client, concrete, method, path):
    url, headers = concrete
    response = client.request(method.upper(), url(path), params={"no_such_parameter": "1"}, headers=headers)

    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["field"] == "no_such_parameter"
    assert "400" in declared(method, path)


@pytest.mark.parametrize("path", PATHS)
def test_a_method_the_path_does_not_offer_is_a_declared_405(client, concrete, path):
    url, headers = concrete
    offered = {m.upper() for m in PATHS[path]} | ({"HEAD"} if "get" in PATHS[path] else set())
    for method in sorted(set(PROBED) - offered):
        response = client.request(method, url(path), headers=headers)

        assert response.status_code == 405, (method, response.text)
        assert set(response.headers["Allow"].split(", ")) == offered
        assert response.headers["Content-Type"] == "application/problem+json"
    assert all("405" in declared(method, path) for method in PATHS[path])


@pytest.mark.parametrize("path", [path for path, methods in PATHS.items() if "get" in methods])
def test_head_answers_as_get_without_a_body(client, concrete, path):
    url, headers = concrete
    got, head = (client.request(method, url(path), headers=headers) for method in ("GET", "HEAD"))

    assert head.status_code == got.status_code
    assert str(got.status_code) in declared("get", path)
    assert head.content == b""
    for name in ("Content-Type", "ETag", "Cache-Control"):
        assert head.headers.get(name) == got.headers.get(name), name


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m.upper()} {p}" for m, p in OPERATIONS])
def test_a_server_fault_is_declared(method, path):
    # What a 500 looks like is tested where one is provoked (tests/test_idempotency.py); here, that
    # every operation says it can happen.
    assert "500" in declared(method, path)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m.upper()} {p}" for m, p in OPERATIONS])
def test_a_rate_limit_is_declared(method, path):
    # Any operation may meet a configured rate limit (tests/test_rate_limits.py provokes the 429).
    assert SPEC["paths"][path][method]["responses"]["429"] == {"$ref": "#/components/responses/TooManyRequests"}


BODY_OPERATIONS = [(method, path) for method, path in OPERATIONS if method in ("post", "put", "patch")]
# Refusals made before any operation is chosen, to every POST, PUT and PATCH that carries a body:
# no Content-Type (415), a content coding (415), a body over the limit (413).
EARLY_REFUSALS = {
    "no-content-type": ({}, b"{}", 415),
    "gzip": ({"Content-Type": "application/json", "Content-Encoding": "gzip"}, gzip.compress(b"{}"), 415),
    "oversize": ({"Content-Type": "application/json"}, b"{" + b" " * 1000 + b"}", 413),
}


# Fails for markLessonComplete and markLessonIncomplete until the spec declares 413 and 415 for
# them: they take no body, yet as POSTs they meet these refusals before the body_not_allowed check.
@pytest.mark.parametrize("case", EARLY_REFUSALS)
@pytest.mark.parametrize(("method", "path"), BODY_OPERATIONS, ids=[f"{m.upper()} {p}" for m, p in BODY_OPERATIONS])
def test_a_body_refused_before_routing_gets_a_declared_status(
    client, concrete, settings, monkeypatch, method, path, case
):
    monkeypatch.setattr(settings, "max_body_bytes", 100)
    monkeypatch.setattr(settings, "max_image_bytes", 30)  # course writes allow a picture on top
    url, headers = concrete
    extra, content, status = EARLY_REFUSALS[case]

    response = client.request(method.upper(), url(path), content=content, headers=headers | extra)

    assert response.status_code == status, response.text
    assert str(status) in declared(method, path)
