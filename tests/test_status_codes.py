"""Every status code an operation answers is one the spec declares for it.

Each operation is sent the requests that bring out the answers no functional test aims at: an
unknown query parameter (400), a method its path does not offer (405), and HEAD where it offers GET.
"""

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
    values = {"id": course.id, "course_id": course.id, "section_id": course.sections[0].id}
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
