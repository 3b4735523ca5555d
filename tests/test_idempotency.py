"""Idempotency-Key on the three creating POSTs: course, section and role change."""

import threading
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import delete, false, func, select, update

from api import courses
from api.web import idempotency
from models import Category, Course, CourseMembership, IdempotencyKey, Section
from models.base import utcnow
from tests.support.databases import BACKEND
from tests.support.http import COURSES, course_url, error_codes, problem
from tests.support.tokens import auth

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"


@dataclass
class Operation:
    """One idempotent POST, set up for a caller who may use it."""

    url: str
    body: dict
    other_body: dict
    model: type

    def send(self, client, user, key=None, body=None, url=None):
        headers = auth(user) | ({HEADER: key} if key is not None else {})
        return client.post(url or self.url, json=self.body if body is None else body, headers=headers)


def count(db, model) -> int:
    # End the test session's transaction first: on SQLite (WAL) it would keep reading an old snapshot.
    db.rollback()
    return db.scalar(select(func.count()).select_from(model))


def keys(db) -> list[IdempotencyKey]:
    db.rollback()
    return list(db.scalars(select(IdempotencyKey).order_by(IdempotencyKey.id)))


@pytest.fixture(params=["course", "section", "role"])
def operation(request, make, alice, bob):
    """Each operation in turn; alice may use it (she creates the course), bob is another user."""
    kind = request.param
    if kind == "course":
        return Operation(
            COURSES, {"name": "Light", "type": "self-paced"}, {"name": "Shadow", "type": "structured"}, Course
        )
    course = make.course(alice)
    if kind == "section":
        return Operation(course_url(course, "section"), {"name": "Intro"}, {"name": "Outro"}, Section)
    # bob may be given a role in alice's course, and alice a role in bob's.
    return Operation(course_url(course, "role"), {"joined": [bob.id]}, {"managers": [bob.id]}, CourseMembership)


def assert_same_answer(first, again):
    assert again.status_code == first.status_code
    assert again.content == first.content
    for name in ("content-type", "etag", "location"):
        if first.status_code != 204 or name != "content-type":
            assert again.headers.get(name) == first.headers.get(name), name


class TestReplay:
    def test_a_repeat_gets_the_first_answer_and_changes_nothing(self, client, db, alice, operation):
        first = operation.send(client, alice, "key-1")
        assert first.status_code in (201, 204), first.text
        assert REPLAYED not in first.headers
        rows = count(db, operation.model)

        again = operation.send(client, alice, "key-1")
        assert again.headers[REPLAYED] == "true"
        assert_same_answer(first, again)
        assert count(db, operation.model) == rows
        [row] = keys(db)
        assert (row.response_status, row.key) == (first.status_code, "key-1")

    def test_the_answer_is_stored_with_the_work(self, client, db, alice, operation):
        operation.send(client, alice, "key-1")
        [row] = keys(db)
        assert row.response_status in (201, 204)
        assert row.expires_at - utcnow() > timedelta(hours=23)

    def test_a_repeat_does_not_redo_a_role_change(self, client, db, make, alice, bob):
        course = make.course(alice)
        url = course_url(course, "role")
        first = client.post(url, json={"joined": [bob.id]}, headers=auth(alice) | {HEADER: "k"})
        assert first.status_code == 204
        db.execute(update(CourseMembership).values(role="manager"))
        db.commit()
        again = client.post(url, json={"joined": [bob.id]}, headers=auth(alice) | {HEADER: "k"})
        assert again.status_code == 204 and again.headers[REPLAYED] == "true"
        assert db.scalar(select(CourseMembership.role)) == "manager"

    def test_body_member_order_and_form_encoding_do_not_matter(self, client, db, alice):
        first = client.post(COURSES, json={"name": "Light", "type": "self-paced"}, headers=auth(alice) | {HEADER: "k"})
        reordered = client.post(
            COURSES,
            content=b'{ "type": "self-paced",  "name": "Light" }',
            headers=auth(alice) | {HEADER: "k", "Content-Type": "application/json"},
        )
        as_form = client.post(
            COURSES, data={"name": "Light", "type": "self-paced"}, headers=auth(alice) | {HEADER: "k"}
        )
        for again in (reordered, as_form):
            assert again.headers[REPLAYED] == "true"
            assert_same_answer(first, again)
        assert count(db, Course) == 1

    def test_without_the_header_nothing_is_remembered(self, client, db, alice, operation):
        assert operation.send(client, alice).status_code in (201, 204)
        assert keys(db) == []


class TestMisuse:
    def test_the_same_key_with_another_body_is_refused(self, client, db, alice, operation):
        operation.send(client, alice, "key-1")
        rows = count(db, operation.model)

        response = operation.send(client, alice, "key-1", body=operation.other_body)
        body = problem(response, 422)
        assert error_codes(body) == {HEADER: ["idempotency_key_reused"]}
        assert REPLAYED not in response.headers
        assert count(db, operation.model) == rows

    def test_the_same_key_on_another_path_is_refused(self, client, db, make, alice):
        first, second = make.course(alice), make.course(alice)
        body = {"name": "Intro"}
        assert (
            client.post(course_url(first, "section"), json=body, headers=auth(alice) | {HEADER: "k"}).status_code == 201
        )
        response = client.post(course_url(second, "section"), json=body, headers=auth(alice) | {HEADER: "k"})
        assert error_codes(problem(response, 422)) == {HEADER: ["idempotency_key_reused"]}
        assert count(db, Section) == 1

    def test_keys_of_different_users_are_independent(self, client, db, make, alice, bob):
        own_course = make.course(bob)
        mine = client.post(COURSES, json={"name": "Light", "type": "self-paced"}, headers=auth(alice) | {HEADER: "k"})
        theirs = client.post(
            course_url(own_course, "section"), json={"name": "Intro"}, headers=auth(bob) | {HEADER: "k"}
        )
        assert (mine.status_code, theirs.status_code) == (201, 201)
        assert REPLAYED not in theirs.headers
        assert {row.user_id for row in keys(db)} == {alice.id, bob.id}

    @pytest.mark.parametrize(
        "key",
        ["x" * 256, "", " leading", "trailing ", "tab\there", "caf\u00e9".encode(), "bell\x07", "del\x7f"],
        ids=["too-long", "empty", "leading-space", "trailing-space", "tab", "non-ascii", "control", "del"],
    )
    def test_malformed_keys_are_refused(self, client, db, alice, operation, key):
        rows = count(db, operation.model)
        response = operation.send(client, alice, key)
        assert list(error_codes(problem(response, 400))) == [HEADER]
        assert count(db, operation.model) == rows
        assert keys(db) == []

    @pytest.mark.parametrize("key", ["k" * 255, "a", "8e03978e-40d5-43e8-bc93-6894a57f9324", '"quoted key"', "a b~!"])
    def test_well_formed_keys_are_accepted(self, client, alice, operation, key):
        assert operation.send(client, alice, key).status_code in (201, 204)


class TestKeyStates:
    def claim(self, db, user, operation, *, body=None, expires_in, **fields):
        path = operation.url
        row = IdempotencyKey(
            user_id=user.id,
            key="k",
            fingerprint=idempotency.fingerprint("POST", path, operation.body if body is None else body),
            expires_at=utcnow() + expires_in,
            **fields,
        )
        db.add(row)
        db.commit()
        return row

    def test_a_key_still_in_use_answers_409(self, client, db, alice, operation):
        self.claim(db, alice, operation, expires_in=timedelta(seconds=30))
        rows = count(db, operation.model)

        response = operation.send(client, alice, "k")
        assert error_codes(problem(response, 409)) == {None: ["idempotency_key_in_use"]}
        assert response.headers["Retry-After"] == "1"
        assert count(db, operation.model) == rows
        [row] = keys(db)
        assert row.response_status is None

    def test_another_body_while_in_use_is_still_a_misuse(self, client, db, alice, operation):
        self.claim(db, alice, operation, expires_in=timedelta(seconds=30))
        response = operation.send(client, alice, "k", body=operation.other_body)
        assert error_codes(problem(response, 422)) == {HEADER: ["idempotency_key_reused"]}

    @pytest.mark.parametrize("finished", [True, False], ids=["answered", "abandoned"])
    def test_an_expired_key_is_new_again(self, client, db, alice, operation, finished):
        stored = {"response_status": 201, "response_headers": "{}", "response_body": "{}"} if finished else {}
        # The expired row was even used for another body: it no longer counts at all.
        self.claim(db, alice, operation, body=operation.other_body, expires_in=-timedelta(seconds=1), **stored)
        rows = count(db, operation.model)

        response = operation.send(client, alice, "k")
        assert response.status_code in (201, 204), response.text
        assert REPLAYED not in response.headers
        assert count(db, operation.model) == rows + 1
        [row] = keys(db)
        assert row.response_status == response.status_code
        assert row.fingerprint == idempotency.fingerprint("POST", operation.url, operation.body)

    def test_expired_keys_of_the_caller_are_cleared(self, client, db, alice, bob, operation):
        for user, key in ((alice, "old-1"), (alice, "old-2"), (bob, "old-3")):
            db.add(
                IdempotencyKey(user_id=user.id, key=key, fingerprint="0" * 64, expires_at=utcnow() - timedelta(hours=1))
            )
        db.commit()
        operation.send(client, alice, "new")
        assert sorted(row.key for row in keys(db)) == ["new", "old-3"]


class TestFailedFirstRequests:
    """2xx and 400 answers are kept; any other answer frees the key for a retry that runs again."""

    def test_a_business_rule_400_is_kept_and_replayed(self, client, db, alice):
        body = {"name": "Light", "type": "self-paced", "categories": [77]}
        first = client.post(COURSES, json=body, headers=auth(alice) | {HEADER: "k"})
        assert error_codes(problem(first, 400)) == {"categories": ["does_not_exist"]}
        assert REPLAYED not in first.headers
        [row] = keys(db)
        assert row.response_status == 400

        # The answer belongs to the key, even once the category exists.
        db.add(Category(id=77, name="Later", slug="later"))
        db.commit()
        again = client.post(COURSES, json=body, headers=auth(alice) | {HEADER: "k"})
        assert again.headers[REPLAYED] == "true"
        assert_same_answer(first, again)
        assert count(db, Course) == 0
        # A new key runs the request again.
        assert client.post(COURSES, json=body, headers=auth(alice) | {HEADER: "k2"}).status_code == 201

    def test_a_400_of_the_role_rules_is_kept(self, client, db, make, alice):
        course = make.course(alice)
        url = course_url(course, "role")
        first = client.post(url, json={"unjoined": [alice.id]}, headers=auth(alice) | {HEADER: "k"})
        assert error_codes(problem(first, 400)) == {"unjoined": ["creator"]}
        again = client.post(url, json={"unjoined": [alice.id]}, headers=auth(alice) | {HEADER: "k"})
        assert again.headers[REPLAYED] == "true"
        assert_same_answer(first, again)

    def test_a_schema_400_never_reaches_the_key(self, client, db, alice):
        response = client.post(COURSES, json={"name": "Light"}, headers=auth(alice) | {HEADER: "k"})
        assert error_codes(problem(response, 400)) == {"type": ["required"]}
        assert keys(db) == []
        fixed = client.post(COURSES, json={"name": "Light", "type": "self-paced"}, headers=auth(alice) | {HEADER: "k"})
        assert fixed.status_code == 201

    def test_a_404_frees_the_key(self, client, db, make, alice, bob):
        course = make.course(alice, privacy="")
        url = course_url(course, "section")
        problem(client.post(url, json={"name": "Intro"}, headers=auth(bob) | {HEADER: "k"}), 404)
        assert keys(db) == []

        db.add(CourseMembership(course_id=course.id, user_id=bob.id, role="manager"))
        db.commit()
        retry = client.post(url, json={"name": "Intro"}, headers=auth(bob) | {HEADER: "k"})
        assert retry.status_code == 201 and REPLAYED not in retry.headers

    def test_a_403_frees_the_key(self, client, db, make, alice, bob):
        course = make.course(alice, privacy="open")
        url = course_url(course, "role")
        problem(client.post(url, json={"joined": [bob.id]}, headers=auth(bob) | {HEADER: "k"}), 403)
        assert keys(db) == []

    def test_a_409_conflict_frees_the_key(self, client, db, make, alice):
        taken = make.course(alice, name="Light")
        body = {"name": "Light", "type": "self-paced"}
        assert error_codes(problem(client.post(COURSES, json=body, headers=auth(alice) | {HEADER: "k"}), 409)) == {
            "name": ["unique"]
        }
        assert keys(db) == []

        db.execute(update(Course).where(Course.id == taken.id).values(deleted=True))
        db.commit()
        assert client.post(COURSES, json=body, headers=auth(alice) | {HEADER: "k"}).status_code == 201

    def test_an_unexpected_error_frees_the_key_and_keeps_nothing(self, client, db, alice, monkeypatch):
        def explode(*_args):
            raise RuntimeError("boom")

        monkeypatch.setattr("api.courses.editing.create_course", explode)
        body = {"name": "Light", "type": "self-paced"}
        problem(client.post(COURSES, json=body, headers=auth(alice) | {HEADER: "k"}), 500)
        assert keys(db) == [] and count(db, Course) == 0

        monkeypatch.undo()
        assert client.post(COURSES, json=body, headers=auth(alice) | {HEADER: "k"}).status_code == 201

    def test_an_inactive_user_gets_401_and_owns_no_key(self, client, db, make):
        gone = make.user(username="gone", is_active=False)
        response = client.post(
            COURSES, json={"name": "Light", "type": "self-paced"}, headers=auth(gone) | {HEADER: "k"}
        )
        problem(response, 401)
        assert keys(db) == []


class TestRaces:
    def test_a_claim_lost_to_a_concurrent_insert_is_answered_from_the_winner(self, client, db, alice, monkeypatch):
        """The unique index, not the first look-up, decides who holds a key."""
        body = {"name": "Light", "type": "self-paced"}
        first = client.post(COURSES, json=body, headers=auth(alice) | {HEADER: "k"})
        looks = []
        real_select = idempotency.select

        def blind_first_look(*columns):
            # The first look-up misses the stored row, as if the winner's insert had not been committed yet.
            statement = real_select(*columns)
            if columns[0] is IdempotencyKey and not looks:
                looks.append(1)
                return statement.where(false())
            return statement

        monkeypatch.setattr(idempotency, "select", blind_first_look)
        again = client.post(COURSES, json=body, headers=auth(alice) | {HEADER: "k"})
        assert looks == [1]
        assert again.headers[REPLAYED] == "true"
        assert_same_answer(first, again)
        assert count(db, Course) == 1

    def test_a_claim_taken_over_after_its_lease_does_not_commit_its_work(self, client, db, alice, monkeypatch):
        real_claim = idempotency._claim

        def claim_then_lose_it(*args):
            held = real_claim(*args)
            # While the handler runs, another request finds the lease over and takes the key.
            with idempotency.flask.current_app.extensions["course_api.sessionmaker"]() as other:
                other.execute(delete(IdempotencyKey))
                other.add(IdempotencyKey(user_id=alice.id, key="k", fingerprint="f" * 64, expires_at=utcnow()))
                other.commit()
            return held

        monkeypatch.setattr(idempotency, "_claim", claim_then_lose_it)
        response = client.post(
            COURSES, json={"name": "Light", "type": "self-paced"}, headers=auth(alice) | {HEADER: "k"}
        )
        assert error_codes(problem(response, 409)) == {None: ["idempotency_key_in_use"]}
        assert count(db, Course) == 0
        [row] = keys(db)
        assert row.fingerprint == "f" * 64

    @pytest.mark.parametrize("pause", ["after_claim", "inside_handler"])
    def test_a_concurrent_repeat_gets_409_then_the_first_answer(self, app, db, alice, monkeypatch, pause):
        """A repeat sent while the first request works gets 409; once that one is done, its answer."""
        if pause == "inside_handler" and BACKEND == "sqlite":
            pytest.skip("on SQLite a writing request holds the only write lock, so the repeat waits instead")
        started, release = threading.Event(), threading.Event()

        def paused(real):
            def wrapper(*args, **kwargs):
                result = real(*args, **kwargs)
                started.set()
                assert release.wait(10)
                return result

            return wrapper

        if pause == "after_claim":
            monkeypatch.setattr(idempotency, "_claim", paused(idempotency._claim))
        else:
            monkeypatch.setattr(courses.editing, "create_course", paused(courses.editing.create_course))
        body = {"name": "Light", "type": "self-paced"}
        headers = auth(alice) | {HEADER: "k"}
        answers = {}

        def first_request():
            with app.test_client() as own_client:
                answers["first"] = own_client.post(COURSES, json=body, headers=headers)

        worker = threading.Thread(target=first_request)
        worker.start()
        try:
            assert started.wait(10)
            started.clear()
            monkeypatch.undo()
            with app.test_client() as client:
                during = client.post(COURSES, json=body, headers=headers)
                release.set()
                worker.join(10)
                after = client.post(COURSES, json=body, headers=headers)
        finally:
            release.set()
            worker.join(10)
        assert error_codes(problem(during, 409)) == {None: ["idempotency_key_in_use"]}
        assert during.headers["Retry-After"] == "1"
        assert answers["first"].status_code == 201, answers["first"].text
        assert after.headers[REPLAYED] == "true"
        assert_same_answer(answers["first"], after)
        assert count(db, Course) == 1
