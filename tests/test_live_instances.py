"""Two instances of the service side by side, as a deployment behind a load balancer runs them.

Each instance is its own `course-api serve` (uvicorn, 2 workers) on its own port; they share nothing
but the database of the backend under test (the PostgreSQL server in the PostgreSQL pass) and one S3
bucket. Whatever one instance wrote, the other must see, replay and respect: nothing of a request's
outcome may live in an instance's memory or on its disk.
"""

import concurrent.futures
import contextlib
import secrets

import httpx
import pytest
from sqlalchemy import func, insert, select

from api.database import make_engine
from models import Section, User
from tests.support.databases import new_database_url
from tests.support.live import LiveServer
from tests.support.seaweed import BUCKET
from tests.support.tokens import SECRET, make_token
from tests.test_images import picture

TIMEOUT = 30
WRITERS = 8


def bearer(user_id: int = 1) -> dict:
    return {"Authorization": f"Bearer {make_token(user_id, ttl=3600)}"}


@pytest.fixture(scope="module")
def instances(tmp_path_factory, seaweed):
    """Two instances over one database and one bucket prefix, and an engine on that database."""
    folder = tmp_path_factory.mktemp("instances")
    url = new_database_url("two_instances", folder)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(insert(User), [{"username": f"user{n}", "real_name": ""} for n in range(WRITERS + 1)])
    storage = {
        "MEDIA_STORAGE": "s3",
        "MEDIA_S3_BUCKET": BUCKET,
        "MEDIA_S3_ENDPOINT_URL": seaweed.endpoint_url,
        "MEDIA_S3_PREFIX": f"instances-{secrets.token_hex(4)}",
        **seaweed.credentials(),
        # As behind one load balancer: every instance names the same address in its links, so their
        # answers, and the entity tags computed from them, are the same whichever instance answers.
        "PUBLIC_URL": "http://courses.test",
    }
    with contextlib.ExitStack() as stack:
        servers = []
        for name in ("one", "other"):
            server = LiveServer(url, SECRET, log=folder / f"{name}.log", settings=storage)
            servers.append(stack.enter_context(server))
        yield servers, engine, storage["MEDIA_S3_PREFIX"]
    engine.dispose()


def create_course(server, name: str, **extra) -> httpx.Response:
    return httpx.post(
        f"{server.url}/course/", json={"name": name, "type": "structured"}, headers=bearer() | extra, timeout=TIMEOUT
    )


def test_a_picture_uploaded_through_one_instance_is_served_by_the_other(instances, seaweed):
    (one, other), _engine, prefix = instances
    sent = picture(size=(400, 300))
    response = httpx.post(
        f"{one.url}/course/",
        data={"name": "Pictured on one", "type": "self-paced"},
        files={"image_original": ("cover.png", sent, "image/png")},
        headers=bearer(),
        timeout=TIMEOUT,
    )
    assert response.status_code == 201, response.text
    course = response.json()
    # The renditions are in the bucket, not on the disk of the instance that made them.
    assert len(seaweed.keys(f"{prefix}/course/{course['id']}/")) == 4
    for field in ("image_bigger", "image_big", "image_medium", "image_small"):
        url = httpx.URL(course[field])
        assert url.path.startswith("/api/v2/media/"), url
        # The same path on the other instance: it streams the object from the shared bucket.
        served = httpx.get(f"http://127.0.0.1:{other.port}{url.path}", timeout=TIMEOUT)
        assert served.status_code == 200, (field, served.text)
        assert served.headers["content-type"] == "image/webp"
        assert served.content == httpx.get(f"http://127.0.0.1:{one.port}{url.path}", timeout=TIMEOUT).content
    read = httpx.get(f"{other.url}/course/{course['id']}/", headers=bearer(), timeout=TIMEOUT)
    assert read.status_code == 200
    # URLs name the host the caller used; the file they point to is the same.
    assert httpx.URL(read.json()["image_small"]).path == httpx.URL(course["image_small"]).path


def test_an_idempotency_key_used_on_one_instance_is_replayed_by_the_other(instances):
    (one, other), engine, _prefix = instances
    key = {"Idempotency-Key": secrets.token_hex(16)}
    first = create_course(one, "Created once", **key)
    assert first.status_code == 201, first.text
    again = create_course(other, "Created once", **key)
    assert again.status_code == 201, again.text
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    assert again.headers["Location"] == first.headers["Location"]
    # The same key with another body is refused by either instance, not taken for a new request.
    reused = create_course(other, "Another body", **key)
    assert reused.status_code == 422, reused.text
    listed = httpx.get(
        f"{other.url}/course/search/", params={"search": "Created once"}, headers=bearer(), timeout=TIMEOUT
    )
    assert [c["id"] for c in listed.json()["results"]] == [first.json()["id"]]


def test_an_etag_from_one_instance_is_honoured_by_the_other(instances):
    (one, other), _engine, _prefix = instances
    course_id = create_course(one, "Guarded by ETags").json()["id"]
    read = httpx.get(f"{one.url}/course/{course_id}/", params={"view": "edit"}, headers=bearer(), timeout=TIMEOUT)
    etag = read.headers["ETag"]
    # Unchanged: the other instance computes the same validator and answers 304.
    cached = httpx.get(
        f"{other.url}/course/{course_id}/",
        params={"view": "edit"},
        headers=bearer() | {"If-None-Match": etag},
        timeout=TIMEOUT,
    )
    assert cached.status_code == 304
    changed = httpx.patch(
        f"{other.url}/course/{course_id}/",
        json={"description": "changed through the other instance"},
        headers=bearer() | {"If-Match": etag},
        timeout=TIMEOUT,
    )
    assert changed.status_code == 200, changed.text
    # The first instance knows the ETag it gave is stale now.
    stale = httpx.patch(
        f"{one.url}/course/{course_id}/",
        json={"description": "a lost update"},
        headers=bearer() | {"If-Match": etag},
        timeout=TIMEOUT,
    )
    assert stale.status_code == 412, stale.text
    final = httpx.get(f"{one.url}/course/{course_id}/", headers=bearer(), timeout=TIMEOUT).json()
    assert final["description"] == "changed through the other instance"


def test_concurrent_edits_through_both_instances_lose_nothing(instances):
    (one, other), engine, _prefix = instances
    course_id = create_course(one, "Edited from everywhere").json()["id"]
    response = httpx.post(
        f"{one.url}/course/{course_id}/role/",
        json={"managers": list(range(2, WRITERS + 2))},
        headers=bearer(),
        timeout=TIMEOUT,
    )
    assert response.status_code == 204, response.text

    def add_sections(writer: int) -> list[int]:
        server = (one, other)[writer % 2]
        statuses = []
        for n in range(5):
            answer = httpx.post(
                f"{server.url}/course/{course_id}/section/",
                json={"name": f"writer {writer} section {n}"},
                headers=bearer(writer + 2),
                timeout=TIMEOUT,
            )
            statuses.append(answer.status_code)
        return statuses

    with concurrent.futures.ThreadPoolExecutor(WRITERS) as pool:
        statuses = [status for result in pool.map(add_sections, range(WRITERS)) for status in result]
    assert statuses == [201] * (WRITERS * 5)

    with engine.connect() as connection:
        stored = connection.scalar(select(func.count()).select_from(Section).where(Section.course_id == course_id))
    assert stored == WRITERS * 5
    for server in (one, other):
        course = httpx.get(
            f"{server.url}/course/{course_id}/", params={"view": "edit"}, headers=bearer(), timeout=TIMEOUT
        ).json()
        names = [section["name"] for section in course["sections"]]
        assert sorted(names) == sorted(f"writer {w} section {n}" for w in range(WRITERS) for n in range(5))
        # Each writer's sections keep the order it added them in, whichever instance took them.
        for writer in range(WRITERS):
            mine = [name for name in names if name.startswith(f"writer {writer} ")]
            assert mine == [f"writer {writer} section {n}" for n in range(5)]
