"""The engine, and the one session each request works in."""

from flask import current_app, g
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record):
    # SQLite enforces foreign keys only when asked, per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def session() -> Session:
    """The request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["course_api.sessionmaker"]()
    return g.db_session


def finish_request(response):
    """Commit what a successful request did; a failed one changes nothing."""
    db = g.pop("db_session", None)
    if db is not None:
        try:
            if response.status_code < 400:
                db.commit()
            else:
                db.rollback()
        finally:
            db.close()
    return response


def discard_session(_exc=None):
    db = g.pop("db_session", None)
    if db is not None:
        db.rollback()
        db.close()
