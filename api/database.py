"""The engine, and the one session each request works in."""

import fcntl
import logging
import threading
import weakref
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


def make_engine(url: str, connections: int = 5) -> Engine:
    """An engine whose pool keeps `connections` open: one per thread that runs requests, so none is
    closed and reopened under load."""
    pool = {"pool_size": connections, "max_overflow": 10}
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_LOCK_WAIT_SECONDS}, **pool
        )
        gate = WriterGate(engine.url.database)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", gate.begin)
        event.listen(engine, "rollback", gate.end)
        event.listen(engine.pool, "checkin", gate.checked_in)
        return engine
    # pre-ping drops connections that died with the server, so the process recovers when it is back.
    return create_engine(
        url, pool_pre_ping=True, pool_timeout=WAIT_SECONDS, connect_args={"connect_timeout": WAIT_SECONDS}, **pool
    )


def _sqlite_connect(dbapi_connection, _record):
    # Let SQLAlchemy's "begin" event issue BEGIN itself (see WriterGate.begin); the driver's own
    # transaction handling would start write transactions too late to wait for the lock.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")  # off by default, per connection
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_LOCK_WAIT_SECONDS * 1000}")
    # WAL lets readers go on while one writer writes; NORMAL is durable across process crashes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class WriterGate:
    """SQLite's one write lock, taken at BEGIN, with a fair queue in front of it.

    A write transaction takes the lock at BEGIN IMMEDIATE, where busy_timeout can wait for it; taken
    later (at the first UPDATE) a conflicting writer fails at once with "database is locked". But
    SQLite's waiters poll, sleeping up to 100 ms between tries, so under load a waiter could lose to
    newcomers for seconds. Writers therefore queue here first: the threads of a process on a lock,
    the processes on an exclusive flock of a file beside the database; the kernel wakes the next one
    as soon as the previous writer's connection is back in the pool.
    """

    HELD = "holds_writer_gate"

    def __init__(self, database: str | None):
        self._threads = threading.Lock()
        self._file = None
        if database and database != ":memory:" and not database.startswith("file:"):
            # Open as long as the gate lives, and closed with it: an app built and dropped (the tests
            # build hundreds) leaks no file.
            self._file = open(f"{database}-writer.lock", "a")
            weakref.finalize(self, self._file.close)

    def begin(self, connection):
        immediate = connection.get_execution_options().get("write", False)
        # A timeout only means queueing at SQLite's own lock instead, as without the gate.
        if immediate and self._threads.acquire(timeout=SQLITE_LOCK_WAIT_SECONDS):
            if self._file is not None:
                fcntl.flock(self._file, fcntl.LOCK_EX)
            connection.info[self.HELD] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        except BaseException:
            self.end(connection)
            raise

    def end(self, connection):
        self.checked_in(None, connection)

    def checked_in(self, _dbapi_connection, record):
        # After COMMIT or ROLLBACK the session hands its connection back: the next writer may go.
        if record is not None and record.info.pop(self.HELD, False):
            if self._file is not None:
                fcntl.flock(self._file, fcntl.LOCK_UN)
            self._threads.release()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def writing() -> bool:
    return request.method in WRITE_METHODS and not g.get("read_only", False)


def session() -> Session:
    """The request's session, opened on first use; writing requests open a write transaction."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["course_api.sessionmaker"]()
        if writing():
            g.db_session.connection(execution_options={"write": True})
    return g.db_session


@contextmanager
def read_only() -> Iterator[None]:
    """Run the request's queries inside the block in a read transaction that ends with it.

    For checks a writing request makes before slow work that must not hold the write lock; the
    request's write transaction begins afterwards, at its next query, and checks again.
    """
    g.read_only = True
    try:
        yield
    finally:
        g.read_only = False
        db = g.pop("db_session", None)
        if db is not None:
            db.rollback()
            db.close()


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
