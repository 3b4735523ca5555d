import os
import shutil
import time
import uuid

import jwt
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.app import create_app
from api.cli import upgrade
from api.config import Settings
from models import Base, Category, Course, CourseMembership, Section, User
from tests.support.postgres import TemporaryPostgres, find_pg_bin

SECRET = "test-secret-that-is-long-enough-for-hs256!"
# `make test` runs the whole suite once per database: TEST_DATABASE=sqlite (default) or postgresql.
BACKEND = os.environ.get("TEST_DATABASE", "sqlite")
_server: TemporaryPostgres | None = None


def pytest_configure(config):
    """Start PostgreSQL before collection: the contract test builds its app at import time."""
    global _server
    if BACKEND != "postgresql" or hasattr(config, "workerinput"):
        return
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise pytest.UsageError("TEST_DATABASE=postgresql but no PostgreSQL server binaries (pg_ctl) were found")
    _server = TemporaryPostgres(bin_dir).start()
    os.environ["COURSE_API_TEST_PG_PORT"] = str(_server.port)


def pytest_unconfigure(config):
    if _server is not None:
        _server.cleanup()


def new_database_url(name: str, tmp_dir) -> str:
    """An empty database of the backend under test, migrated by the real migrations."""
    if BACKEND == "postgresql":
        url = _server.create_database(name)
    else:
        url = f"sqlite:///{tmp_dir / f'{name}.db'}"
    upgrade(Settings(database_url=url, jwt_secret=SECRET))
    return url


def empty_database(engine) -> None:
    """Remove every row and restart ids at 1, so each test starts from the migrated, empty state."""
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))
            # AUTOINCREMENT remembers the highest id ever given; forget it too.
            connection.execute(text("DELETE FROM sqlite_sequence"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return new_database_url("courses_test", tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def shared_app(database_url, tmp_path_factory):
    """One app for the whole run; building one costs about 0.2 s, emptying the database far less."""
    return create_app(
        Settings(
            database_url=database_url,
            media_root=tmp_path_factory.mktemp("media"),
            jwt_secret=SECRET,
            jwt_leeway=0,
            validate_responses=True,
            courses_only_staff=False,
            # Starlette's test client names this host.
            allowed_hosts=("testserver",),
        )
    )


@pytest.fixture
def app(shared_app):
    empty_database(shared_app.app.extensions["course_api.engine"])
    media_root = shared_app.middleware.course_api_settings.media_root
    shutil.rmtree(media_root)
    media_root.mkdir()
    return shared_app


def media_files(app) -> list[str]:
    """Every file under the app's media root, as paths relative to it."""
    root = app.middleware.course_api_settings.media_root
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


@pytest.fixture
def settings(app):
    return app.middleware.course_api_settings


@pytest.fixture
def client(app):
    with app.test_client() as client:
        yield client


@pytest.fixture
def db(app):
    with Session(app.app.extensions["course_api.engine"], expire_on_commit=False) as session:
        yield session


def make_token(user_id, *, secret=SECRET, algorithm="HS256", ttl=3600, drop=(), **overrides):
    now = int(time.time())
    claims = {"user_id": user_id, "token_type": "access", "jti": uuid.uuid4().hex, "iat": now, "exp": now + ttl}
    claims.update(overrides)
    for name in drop:
        claims.pop(name)
    return jwt.encode(claims, secret, algorithm=algorithm)


def auth(user, scheme="Bearer"):
    return {"Authorization": f"{scheme} {make_token(user.id)}"}


# (privacy, role, status) for callers who may not change a course: 403 where they can see it, 404 where they cannot.
NON_EDITORS = [
    ("open", "joined", 403),
    ("open", "stranger", 403),
    ("private", "joined", 403),
    ("private", "stranger", 403),
    ("secret", "joined", 403),
    ("secret", "stranger", 404),
    ("", "joined", 404),
    ("", "stranger", 404),
]


class Factory:
    """Tiny helpers that write straight to the database."""

    def __init__(self, db):
        self.db = db
        self._n = 0

    def _next(self):
        self._n += 1
        return self._n

    def user(self, **fields):
        user = User(username=fields.pop("username", f"user{self._next()}"), real_name="", **fields)
        self.db.add(user)
        self.db.commit()
        return user

    def category(self, name=None):
        n = self._next()
        category = Category(name=name or f"Category {n}", slug=f"category-{n}")
        self.db.add(category)
        self.db.commit()
        return category

    def course(self, creator, *, privacy="open", sections=0, managers=(), joined=(), **fields):
        n = self._next()
        course = Course(
            name=fields.pop("name", f"Course {n}"),
            slug=fields.pop("slug", f"course-{n}"),
            type=fields.pop("type", "self-paced"),
            description=fields.pop("description", ""),
            privacy=privacy,
            created_by=creator,
            **fields,
        )
        course.sections = [Section(name=f"Section {i}", position=i) for i in range(sections)]
        self.db.add(course)
        self.db.flush()
        for role, users in (("manager", managers), ("joined", joined)):
            for user in users:
                self.db.add(CourseMembership(course_id=course.id, user_id=user.id, role=role))
        self.db.commit()
        return course


@pytest.fixture
def make(db):
    return Factory(db)


@pytest.fixture
def alice(make):
    return make.user(username="alice")


@pytest.fixture
def bob(make):
    return make.user(username="bob")


# --- Shared helpers for the functional tests -------------------------------------------------

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


@pytest.fixture
def people(make, alice):
    """A creator (alice) and one user for each other relation to a course."""
    return {
        "creator": alice,
        "manager": make.user(username="manny"),
        "joined": make.user(username="joan"),
        "stranger": make.user(username="stan"),
    }


def staffed_course(make, people, privacy="open", **fields):
    """A course created by people['creator'] with people['manager'] managing and people['joined'] joined."""
    return make.course(
        people["creator"], privacy=privacy, managers=[people["manager"]], joined=[people["joined"]], **fields
    )
