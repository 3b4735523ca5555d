"""Databases of the backend under test: SQLite files, or databases on the run's own PostgreSQL server."""

import os

from sqlalchemy import text

from api.cli import upgrade
from api.config import Settings
from models import Base
from tests.support.postgres import TemporaryPostgres
from tests.support.tokens import SECRET

# `make test` runs the whole suite once per database: TEST_DATABASE=sqlite (default) or postgresql.
BACKEND = os.environ.get("TEST_DATABASE", "sqlite")
_server: TemporaryPostgres | None = None


def start_postgres(bin_dir) -> None:
    """Start the server that holds every database of a TEST_DATABASE=postgresql run."""
    global _server
    _server = TemporaryPostgres(bin_dir).start()
    os.environ["COURSE_API_TEST_PG_PORT"] = str(_server.port)


def stop_postgres() -> None:
    if _server is not None:
        _server.cleanup()


def blank_database_url(name: str, tmp_dir) -> str:
    """A new database of the backend under test, with no tables yet."""
    if BACKEND == "postgresql":
        return _server.create_database(name)
    return f"sqlite:///{tmp_dir / f'{name}.db'}"


def new_database_url(name: str, tmp_dir) -> str:
    """An empty database of the backend under test, migrated by the real migrations."""
    url = blank_database_url(name, tmp_dir)
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
