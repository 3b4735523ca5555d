"""Concurrency and outages against the service run the production way: uvicorn, 2 workers, loopback.

Every scenario is bounded in time and asserts that no request got a 5xx (except the documented 503
while the database is down).
"""

import concurrent.futures
import random
import time

import httpx
import pytest
from sqlalchemy import func, insert, select

from api.cli import upgrade
from api.config import Settings
from api.database import make_engine
from models import Course, CourseMembership, Section, User
from tests.support.databases import BACKEND
from tests.support.live import LiveServer, live_service
from tests.support.postgres import TemporaryPostgres, find_pg_bin
from tests.support.tokens import SECRET, make_token

MANAGERS = 20
TIMEOUT = 30


def bearer(user_id: int) -> dict:
    return {"Authorization": f"Bearer {make_token(user_id, ttl=3600)}"}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    users = [{"username": f"user{n}"} for n in range(MANAGERS + 1)]
    with live_service("live_test", tmp_path_factory.mktemp("live"), users) as service:
        yield service


def new_course(server, name: str, managers=()) -> int:
    response = httpx.post(
        f"{server.url}/course/", json={"name": name, "type": "structured"}, headers=bearer(1), timeout=TIMEOUT
    )
    assert response.status_code == 201, response.text
    course_id = response.json()["id"]
    if managers:
        response = httpx.post(
            f"{server.url}/course/{course_id}/role/", json={"managers": list(managers)}, headers=bearer(1)
        )
        assert response.status_code == 204, response.text
    return course_id


def test_parallel_duplicate_creates_make_exactly_one_course(live):
    server, engine = live

    def create(_):
        response = httpx.post(
            f"{server.url}/course/",
            json={"name": "Race to create", "type": "self-paced"},
            headers=bearer(1),
            timeout=TIMEOUT,
        )
        return response.status_code, response.json()

    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        results = list(pool.map(create, range(50)))

    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 49
    # The losers clash on the name or on the slug derived from it, whichever index the database checks first.
    conflicts = [body["errors"][0] for status, body in results if status == 409]
    assert all(e["field"] in {"name", "slug"} and e["messages"][0]["code"] == "unique" for e in conflicts)
    with engine.connect() as connection:
        rows = connection.scalar(select(func.count()).select_from(Course).where(Course.name == "Race to create"))
    assert rows == 1


def test_conditional_patches_by_20_managers_lose_no_update(live):
    server, _engine = live
    course_id = new_course(server, "Contended course", managers=range(2, 2 + MANAGERS))
    section = httpx.post(
        f"{server.url}/course/{course_id}/section/", json={"name": "Hot"}, headers=bearer(1), timeout=TIMEOUT
    ).json()
    url = f"{server.url}/course/{course_id}/section/{section['id']}/"
    won, lost, unexpected = [], [], []

    def manager(user_id: int):
        with httpx.Client(headers=bearer(user_id), timeout=TIMEOUT) as http:
            for attempt in range(10):
                tag = http.get(url).headers["ETag"]
                name = f"by {user_id}, attempt {attempt}"
                response = http.patch(url, json={"name": name}, headers={"If-Match": tag})
                if response.status_code == 200:
                    won.append((response.json()["revision"], name, response.headers["ETag"]))
                elif response.status_code == 412:
                    lost.append(tag)
                else:
                    unexpected.append((response.status_code, response.text))

    with concurrent.futures.ThreadPoolExecutor(MANAGERS) as pool:
        list(pool.map(manager, range(2, 2 + MANAGERS)))

    print(f"conditional PATCHes: {len(won)} succeeded, {len(lost)} refused with 412")
    assert unexpected == []
    assert len(won) + len(lost) == MANAGERS * 10
    revisions = [revision for revision, _, _ in won]
    assert len(set(revisions)) == len(revisions), "two writers got the same revision"
    final = httpx.get(url, headers=bearer(1), timeout=TIMEOUT)
    # Each success started from the revision before it, so none overwrote an update it had not seen.
    assert final.json()["revision"] == 1 + len(won)
    assert final.json()["name"] == max(won)[1]
    assert final.headers["ETag"] == max(won)[2]


def test_sections_order_matches_the_sections_under_concurrent_edits(live):
    server, engine = live
    course_id = new_course(server, "Busy course", managers=range(2, 12))
    base = f"{server.url}/course/{course_id}"
    deadline = time.monotonic() + 8
    statuses: list[int] = []
    broken: list[str] = []

    def duplicate_positions() -> int:
        with engine.connect() as connection:
            return connection.scalar(
                select(func.count() - func.count(Section.position.distinct())).where(Section.course_id == course_id)
            )

    def client(user_id: int):
        rng = random.Random(user_id)
        headers = bearer(user_id)
        with httpx.Client(headers=headers, timeout=TIMEOUT) as http:
            while time.monotonic() < deadline:
                action = rng.choice(["add", "add", "delete", "reorder"])
                if action == "add":
                    response = http.post(f"{base}/section/", json={"name": f"by {user_id}"})
                elif action == "delete":
                    sections = http.get(f"{base}/section/").json()
                    if not sections:
                        continue
                    response = http.delete(f"{base}/section/{rng.choice(sections)['id']}/")
                else:
                    order = http.get(f"{base}/").json()["sections_order"]
                    rng.shuffle(order)
                    response = http.patch(f"{base}/", json={"sections_order": order})
                statuses.append(response.status_code)
                if duplicate_positions():
                    broken.append(f"two sections share a position after {action}")

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        list(pool.map(client, range(2, 12)))

    assert not broken
    assert statuses and not [s for s in statuses if s >= 500]
    # Losers of a race get 404 (section already deleted) or 400 (order built from a stale read).
    assert set(statuses) <= {200, 201, 204, 400, 404}
    course = httpx.get(f"{base}/", params={"view": "edit"}, headers=bearer(1)).json()
    listed = httpx.get(f"{base}/section/", headers=bearer(1)).json()
    with engine.connect() as connection:
        stored = connection.scalars(
            select(Section.id).where(Section.course_id == course_id).order_by(Section.position)
        ).all()
    assert course["sections_order"] == [s["id"] for s in listed] == stored


@pytest.mark.skipif(BACKEND != "postgresql", reason="the outage scenario stops a PostgreSQL server")
def test_service_answers_503_while_postgresql_is_down_and_recovers(tmp_path):
    database = TemporaryPostgres(find_pg_bin(), durable=True).start()
    try:
        url = database.create_database("outage")
        upgrade(Settings(database_url=url, jwt_secret=SECRET))
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(insert(User), [{"username": "owner", "real_name": ""}])
        engine.dispose()
        with LiveServer(url, SECRET, workers=2, log=tmp_path / "server.log") as server:
            acknowledged = [new_course(server, f"Before outage {n}") for n in range(5)]

            database.stop()
            for _ in range(6):  # both workers, fresh and pooled connections
                started = time.monotonic()
                response = httpx.post(
                    f"{server.url}/course/",
                    json={"name": "During outage", "type": "self-paced"},
                    headers=bearer(1),
                    timeout=TIMEOUT,
                )
                assert response.status_code == 503, response.text
                assert response.headers["content-type"] == "application/problem+json"
                assert int(response.headers["Retry-After"]) > 0
                assert time.monotonic() - started < 10
            assert httpx.get(f"{server.url}/health/", timeout=TIMEOUT).status_code == 503

            database.restart()
            deadline = time.monotonic() + 30
            while httpx.get(f"{server.url}/health/", timeout=TIMEOUT).status_code != 200:
                assert time.monotonic() < deadline, "the service did not recover within 30 s"
                time.sleep(0.5)
            for course_id in acknowledged:
                assert httpx.get(f"{server.url}/course/{course_id}/", headers=bearer(1)).status_code == 200
            after = new_course(server, "After outage")
            assert after not in acknowledged
    finally:
        database.cleanup()


def published_course(server, name: str, privacy: str) -> int:
    course_id = new_course(server, name)
    response = httpx.patch(f"{server.url}/course/{course_id}/", json={"privacy": privacy}, headers=bearer(1))
    assert response.status_code == 200, response.text
    return course_id


def memberships_of(engine, course_id: int) -> list[tuple[int, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(CourseMembership.user_id, CourseMembership.role).where(CourseMembership.course_id == course_id)
        )
        return sorted(rows.all())


def test_parallel_joins_of_one_user_make_one_membership(live):
    server, engine = live
    course_id = published_course(server, "Race to join", "open")

    def join(_):
        response = httpx.post(f"{server.url}/course/{course_id}/join/", headers=bearer(5), timeout=TIMEOUT)
        return response.status_code, response.json()["join_status"]

    with concurrent.futures.ThreadPoolExecutor(30) as pool:
        results = list(pool.map(join, range(30)))

    assert results == [(200, "joined")] * 30
    assert memberships_of(engine, course_id) == [(5, "joined")]


@pytest.mark.parametrize("privacy", ["private", "open"])
def test_a_join_racing_an_invitation_ends_in_one_consistent_status(live, privacy):
    """Whichever applies first, the table leads to `joined`: an invitation accepted, or a request accepted;
    never two rows, never a status left halfway (`invited` or `requested`)."""
    server, engine = live
    for round_ in range(8):
        course_id = published_course(server, f"Race to invite {privacy} {round_}", privacy)
        user = 6 + round_

        def send(which, course_id=course_id, user=user):
            url = f"{server.url}/course/{course_id}/"
            if which == "join":
                return httpx.post(f"{url}join/", headers=bearer(user), timeout=TIMEOUT).status_code
            return httpx.post(f"{url}invite/", json={"users": [user]}, headers=bearer(1), timeout=TIMEOUT).status_code

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            statuses = list(pool.map(send, ["join", "invite"]))

        assert statuses == [200, 204]
        assert memberships_of(engine, course_id) == [(user, "joined")]
        seen = httpx.get(f"{server.url}/course/{course_id}/status/", headers=bearer(user), timeout=TIMEOUT).json()
        assert seen == {"status": "joined"}
