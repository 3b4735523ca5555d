"""The `course-api` command, called in process against a temporary SQLite database."""

import json

import pytest
from connexion.exceptions import OAuthProblem
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from api.auth import verify
from api.cli import main
from api.config import Settings
from api.database import make_engine
from models import Category, User

CLI_SECRET = "cli-test-secret-that-is-long-enough-for-hs256"


@pytest.fixture
def database_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli' / 'courses.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("JWT_SECRET", CLI_SECRET)
    return url


@pytest.fixture
def upgraded(database_url, capsys):
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    return database_url


def run(capsys, *argv):
    """Run the command and return what it printed."""
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def rows(url, model):
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return session.scalars(select(model)).all()
    finally:
        engine.dispose()


class TestDbUpgrade:
    def test_creates_the_schema_in_a_new_database(self, database_url):
        assert main(["db", "upgrade"]) == 0

        engine = make_engine(database_url)
        try:
            tables = set(inspect(engine).get_table_names())
        finally:
            engine.dispose()
        assert {"users", "courses", "sections", "categories", "course_memberships", "course_categories"} <= tables

    def test_is_idempotent(self, upgraded):
        assert main(["db", "upgrade"]) == 0


class TestUsersAdd:
    def test_prints_the_new_user_as_json(self, upgraded, capsys):
        printed = json.loads(run(capsys, "users", "add", "carol", "--staff", "--real-name", "Carol C"))

        assert printed == {"id": 1, "username": "carol", "is_staff": True}
        [user] = rows(upgraded, User)
        assert (user.id, user.username, user.real_name, user.is_staff, user.is_active) == (
            1,
            "carol",
            "Carol C",
            True,
            True,
        )

    def test_users_are_not_staff_by_default(self, upgraded, capsys):
        printed = json.loads(run(capsys, "users", "add", "dave"))

        assert (printed["username"], printed["is_staff"]) == ("dave", False)

    def test_refuses_a_username_that_exists(self, upgraded, capsys):
        run(capsys, "users", "add", "carol")

        with pytest.raises(SystemExit) as exit_:
            main(["users", "add", "carol", "--staff"])

        assert exit_.value.code not in (0, None)
        assert [u.username for u in rows(upgraded, User)] == ["carol"]

    def test_ensure_returns_the_existing_user(self, upgraded, capsys):
        created = json.loads(run(capsys, "users", "add", "erin"))

        assert json.loads(run(capsys, "users", "ensure", "erin")) == created
        assert len(rows(upgraded, User)) == 1


class TestToken:
    def test_prints_an_access_token_the_api_accepts(self, upgraded, capsys):
        run(capsys, "users", "add", "carol")

        token = run(capsys, "token", "1", "--ttl", "60").strip()

        claims = verify(token, Settings())
        assert claims["user_id"] == 1
        assert claims["token_type"] == "access"
        assert claims["exp"] - claims["iat"] == 60
        assert claims["jti"]

    def test_token_is_signed_with_the_configured_secret(self, upgraded, capsys, monkeypatch):
        token = run(capsys, "token", "1").strip()

        monkeypatch.setenv("JWT_SECRET", "some-other-secret-that-is-long-enough-too")
        with pytest.raises(OAuthProblem):
            verify(token, Settings())


class TestCategoriesAdd:
    def test_prints_the_new_category_with_its_slug(self, upgraded, capsys):
        printed = json.loads(run(capsys, "categories", "add", "Photography"))

        assert printed == {"id": 1, "name": "Photography", "slug": "photography"}
        assert [(c.name, c.slug) for c in rows(upgraded, Category)] == [("Photography", "photography")]

    def test_refuses_a_name_that_exists_in_another_case(self, upgraded, capsys):
        run(capsys, "categories", "add", "Photography")

        with pytest.raises(SystemExit) as exit_:
            main(["categories", "add", "PHOTOGRAPHY"])

        assert exit_.value.code not in (0, None)
        assert len(rows(upgraded, Category)) == 1
