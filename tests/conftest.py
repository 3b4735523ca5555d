"""Fixtures and pytest hooks only; the helpers the tests share live in tests/support/."""

import shutil

import pytest
from sqlalchemy.orm import Session

from api.app import create_app, settings_of_app
from api.config import Settings
from tests.support.data import Factory
from tests.support.databases import BACKEND, empty_database, new_database_url, start_postgres, stop_postgres
from tests.support.hostile import Target
from tests.support.postgres import find_pg_bin
from tests.support.tokens import SECRET


def pytest_configure(config):
    """Start PostgreSQL before collection: the contract test builds its app at import time."""
    if BACKEND != "postgresql" or hasattr(config, "workerinput"):
        return
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise pytest.UsageError("TEST_DATABASE=postgresql but no PostgreSQL server binaries (pg_ctl) were found")
    start_postgres(bin_dir)


def pytest_unconfigure(config):
    stop_postgres()


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
    media_root = settings_of_app(shared_app).media_root
    shutil.rmtree(media_root)
    media_root.mkdir()
    return shared_app


@pytest.fixture
def settings(app):
    return settings_of_app(app)


@pytest.fixture
def client(app):
    # Answers as they are, whatever their size: what compression does to answers and their tags is
    # tests/test_compression.py's (Starlette's test client would otherwise ask for gzip).
    with app.test_client(headers={"Accept-Encoding": "identity"}) as client:
        yield client


@pytest.fixture
def db(app):
    with Session(app.app.extensions["course_api.engine"], expire_on_commit=False) as session:
        yield session


@pytest.fixture
def make(db):
    return Factory(db)


@pytest.fixture
def alice(make):
    return make.user(username="alice")


@pytest.fixture
def bob(make):
    return make.user(username="bob")


@pytest.fixture
def people(make, alice):
    """A creator (alice) and one user for each other relation to a course."""
    return {
        "creator": alice,
        "manager": make.user(username="manny"),
        "joined": make.user(username="joan"),
        "stranger": make.user(username="stan"),
    }


@pytest.fixture
def staff(make):
    return make.user(username="staffer", is_staff=True)


@pytest.fixture
def target(make, alice):
    return Target(make, alice)


@pytest.fixture(scope="session")
def seaweed():
    """One SeaweedFS server with an S3 gateway and the bucket `course-media`, for the whole run."""
    from tests.support.seaweed import TemporarySeaweed, require_weed

    server = TemporarySeaweed(require_weed()).start()
    yield server
    server.cleanup()
