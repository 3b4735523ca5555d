import shutil
import time
import uuid

import jwt
import pytest
from sqlalchemy.orm import Session

from api.app import create_app
from api.cli import upgrade
from api.config import Settings
from api.database import make_engine
from models import Category, Course, CourseMembership, Section, User

SECRET = "test-secret-that-is-long-enough-for-hs256!"


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory):
    """One database built by the real migrations; each test gets a copy of it."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(Settings(database_url=f"sqlite:///{path}", jwt_secret=SECRET))
    return path


@pytest.fixture
def settings(migrated_db, tmp_path):
    path = tmp_path / "courses.db"
    shutil.copy(migrated_db, path)
    return Settings(
        database_url=f"sqlite:///{path}",
        jwt_secret=SECRET,
        jwt_leeway=0,
        validate_responses=True,
        courses_only_staff=False,
    )


@pytest.fixture
def app(settings):
    return create_app(settings)


@pytest.fixture
def client(app):
    with app.test_client() as client:
        yield client


@pytest.fixture
def db(settings):
    engine = make_engine(settings.database_url)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


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
