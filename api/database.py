"""The engine, and the one session each request works in."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, g, request
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# How long a request waits for the database before it answers 503 instead of hanging.
WAIT_SECONDS = 5
# SQLite writers queue for the one write lock; under a burst the queue can take longer than a
# connection attempt should, and waiting beats answering 503.
SQLITE_LOCK_WAIT_SECONDS = 30


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_LOCK_WAIT_SECONDS})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # pre-ping drops connections that died with the server, so the process recovers when it is back.
    return create_engine(
        url, pool_pre_ping=True, pool_timeout=WAIT_SECONDS, connect_args={"connect_timeout": WAIT_SECONDS}
    )


def _sqlite_connect(dbapi_connection, _record):
    # Let SQLAlchemy's "begin" event issue BEGIN itself (see _sqlite_begin); the driver's own
    # transaction handling would start write transactions too late to wait for the lock.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")  # off by default, per connection
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_LOCK_WAIT_SECONDS * 1000}")
    # WAL lets readers go on while one writer writes; NORMAL is durable across process crashes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection):
    # A write transaction takes the write lock at BEGIN, where busy_timeout can wait for it; taken
    # later (at the first UPDATE) a conflicting writer fails at once with "database is locked".
    immediate = connection.get_execution_options().get("write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def writing() -> bool:
    return request.method in WRITE_METHODS


def session() -> Session:
    """The request's session, opened on first use; writing requests open a write transaction."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["course_api.sessionmaker"]()
        if writing():
            g.db_session.connection(execution_options={"write": True})
    return g.db_session


@contextmanager
def own_transaction() -> Iterator[Session]:
    """A session apart from the request's, for a short write that is committed on its own.

    Like the request's session of a writing request it asks for a write transaction from the start
    (on SQLite BEGIN IMMEDIATE, which waits for the lock instead of failing halfway through).
    """
    with current_app.extensions["course_api.sessionmaker"]() as db:
        db.connection(execution_options={"write": True})
        yield db


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


def after_transaction(callback) -> None:
    """Run `callback` once the request's transaction has ended, whether it committed or not."""
    g.setdefault("after_transaction", []).append(callback)


def discard_session(_exc=None):
    db = g.pop("db_session", None)
    if db is not None:
        db.rollback()
        db.close()
    for callback in g.pop("after_transaction", []):
        try:
            callback()
        except Exception:
            # Clean-up work: the answer stands, and the next run of the same clean-up catches up.
            log.exception("after-transaction work failed")
