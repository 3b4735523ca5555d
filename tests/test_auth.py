"""Authentication: which Authorization headers are accepted, and how the others are refused."""

import base64
import json
import time
import uuid

import pytest
from sqlalchemy import func, select

from models import Course
from tests.support.http import API, COURSES, error_codes, problem
from tests.support.tokens import auth, make_token

PROTECTED = COURSES  # GET /course/ lists the caller's courses and needs a token
IN_AN_HOUR = object()  # replaced by a timestamp one hour after the test starts


def b64url(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def unsigned_token(user_id):
    now = int(time.time())
    claims = {"user_id": user_id, "token_type": "access", "jti": uuid.uuid4().hex, "iat": now, "exp": now + 3600}
    return f"{b64url({'alg': 'none', 'typ': 'JWT'})}.{b64url(claims)}."


def assert_unauthorized(response):
    body = problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert error_codes(body) == {None: ["not_authenticated"]}
    return body


class TestAuthentication:
    @pytest.mark.parametrize(
        "header",
        [
            None,
            "Bearer",
            "Bearer ",
            "Basic abc",
            "Basic YWxpY2U6c2VjcmV0",
            "Bearer not.a.jwt",
            "Bearer garbage",
            "Token",
            "Token garbage",
        ],
        ids=[
            "none",
            "bearer-alone",
            "bearer-empty",
            "basic",
            "basic-userpass",
            "bearer-junk-dots",
            "bearer-junk",
            "token-alone",
            "token-junk",
        ],  # fmt: skip
    )
    def test_refuses_a_missing_or_malformed_header(self, client, alice, header):
        headers = {"Authorization": header} if header is not None else {}

        assert_unauthorized(client.get(PROTECTED, headers=headers))

    def test_refuses_an_unsigned_token(self, client, alice):
        assert_unauthorized(client.get(PROTECTED, headers={"Authorization": f"Bearer {unsigned_token(alice.id)}"}))

    @pytest.mark.parametrize(
        "token_args",
        [
            pytest.param({"algorithm": "HS512"}, id="hs512"),
            pytest.param({"algorithm": "HS384"}, id="hs384"),
            pytest.param({"secret": "another-secret-that-is-long-enough-for-hs256"}, id="wrong-key"),
            pytest.param({"ttl": -1}, id="expired"),
            pytest.param({"ttl": -3600}, id="long-expired"),
            pytest.param({"iat": IN_AN_HOUR, "ttl": 7200}, id="future-iat"),
            pytest.param({"nbf": IN_AN_HOUR}, id="future-nbf"),
            pytest.param({"token_type": "refresh"}, id="refresh-token"),
            pytest.param({"token_type": None}, id="null-token-type"),
            pytest.param({"jti": ""}, id="empty-jti"),
            pytest.param({"jti": 17}, id="integer-jti"),
            pytest.param({"exp": "tomorrow"}, id="string-exp"),
        ],
    )
    def test_refuses_a_bad_token(self, client, alice, token_args):
        token_args = {k: int(time.time()) + 3600 if v is IN_AN_HOUR else v for k, v in token_args.items()}
        token = make_token(alice.id, **token_args)

        assert_unauthorized(client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"}))

    @pytest.mark.parametrize("claim", ["exp", "iat", "jti", "user_id", "token_type"])
    def test_refuses_a_token_without_a_required_claim(self, client, alice, claim):
        token = make_token(alice.id, drop=[claim])

        body = assert_unauthorized(client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"}))

        assert claim in body["detail"]

    @pytest.mark.parametrize("user_id", ["1", 0, -1, True, 1.0, None, [1]], ids=repr)
    def test_refuses_a_user_id_that_is_not_a_positive_integer(self, client, alice, user_id):
        assert alice.id == 1
        token = make_token(user_id)

        assert_unauthorized(client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"}))

    def test_refuses_a_user_that_does_not_exist(self, client, alice):
        assert_unauthorized(client.get(PROTECTED, headers={"Authorization": f"Bearer {make_token(alice.id + 100)}"}))

    @pytest.mark.parametrize("state", [{"is_active": False}, {"deleted": True}], ids=["inactive", "deleted"])
    def test_refuses_a_user_who_may_not_sign_in(self, client, make, state):
        user = make.user(**state)

        assert_unauthorized(client.get(PROTECTED, headers=auth(user)))

    def test_deactivation_takes_effect_at_once(self, client, alice, db):
        headers = auth(alice)
        assert client.get(PROTECTED, headers=headers).status_code == 200

        alice.is_active = False
        db.commit()

        assert_unauthorized(client.get(PROTECTED, headers=headers))

    def test_refused_write_changes_nothing(self, client, db):
        response = client.post(
            COURSES,
            json={"name": "Anonymous", "type": "self-paced"},
            headers={"Authorization": f"Bearer {unsigned_token(1)}"},
        )

        assert_unauthorized(response)
        assert db.scalar(select(func.count()).select_from(Course)) == 0

    @pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "Token", "token"])
    def test_accepts_a_valid_token_under_either_scheme(self, client, make, alice, scheme):
        course = make.course(alice)

        response = client.get(PROTECTED, headers=auth(alice, scheme=scheme))

        assert response.status_code == 200, response.text
        assert [c["id"] for c in response.json()["results"]] == [course.id]

    def test_token_identifies_the_caller(self, client, make, alice, bob):
        course = make.course(alice, privacy="")

        assert client.get(f"{COURSES}{course.id}/", headers=auth(alice)).status_code == 200
        problem(client.get(f"{COURSES}{course.id}/", headers=auth(bob)), 404)


class TestHealth:
    def test_answers_without_a_token(self, client):
        response = client.get(f"{API}/health/")

        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"status": "ok", "database": "ok", "media": "ok"}

    def test_ignores_a_bad_token(self, client):
        response = client.get(f"{API}/health/", headers={"Authorization": "Bearer garbage"})

        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok", "media": "ok"}
