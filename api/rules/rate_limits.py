"""How many requests a caller may make: fixed-window counters kept in the database.

Every worker and every instance counts in the same table, so a limit holds for the whole service;
nothing is counted in memory. A fixed window (a row per class, subject and window, its start a
multiple of the window's length) costs one atomic statement per request, needs no clock agreement
beyond the database rows' keys, and is what the RateLimit header fields describe (a quota per window
and the seconds until it resets). Its known weakness, up to twice the quota across the boundary of
two windows, is the price of that single statement; a sliding log would store a row per request,
and GCRA a conditional update whose refusal cannot also return the state in one portable statement.
"""

import math
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Engine

from api.config import RateLimit

# One statement, atomic on SQLite (3.35 or later, for RETURNING) and PostgreSQL alike: the first
# request of a window inserts its row, every later one adds to it and reads the new count.
_COUNT = text(
    "INSERT INTO rate_limit_windows (bucket, subject, window_start, expires_at, hits) "
    "VALUES (:bucket, :subject, :start, :expires, 1) "
    "ON CONFLICT (bucket, subject, window_start) DO UPDATE SET hits = rate_limit_windows.hits + 1 "
    "RETURNING hits"
)
# Rows of ended windows, through the index on expires_at: run when a window begins, so each row is
# deleted once, by some later request, and the table holds about one row per active subject and class.
_PRUNE = text("DELETE FROM rate_limit_windows WHERE expires_at <= :now")


@dataclass(frozen=True)
class Verdict:
    """A counted request: its class's limit, how many requests remain in the window, seconds until it ends."""

    bucket: str
    limit: RateLimit
    hits: int
    reset: int

    @property
    def allowed(self) -> bool:
        return self.hits <= self.limit.quota

    @property
    def remaining(self) -> int:
        return max(self.limit.quota - self.hits, 0)


class Limiter:
    """Counts requests per class and subject against the configured limits."""

    def __init__(self, engine: Engine, limits: dict[str, RateLimit]):
        self.engine = engine
        self.limits = limits

    def count(self, bucket: str, subject: str, now: float) -> Verdict:
        """Count one request of `bucket` by `subject` at `now` (seconds since the epoch), in a transaction of its own.

        Its own short transaction, committed before the request's work begins: on SQLite it takes the
        write lock (BEGIN IMMEDIATE, queued by the WriterGate) for one statement, never while a
        request holds it.
        """
        limit = self.limits[bucket]
        start = int(now) // limit.window * limit.window
        expires = start + limit.window
        with self.engine.connect() as connection:
            connection.execution_options(write=True)
            with connection.begin():
                hits = connection.execute(
                    _COUNT, {"bucket": bucket, "subject": subject, "start": start, "expires": expires}
                ).scalar_one()
                if hits == 1:
                    connection.execute(_PRUNE, {"now": start})
        return Verdict(bucket, limit, hits, max(math.ceil(expires - now), 1))
