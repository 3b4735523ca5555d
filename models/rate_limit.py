from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class RateLimitWindow(Base):
    """How many requests of one class one subject made in one fixed window (api/rules/rate_limits.py).

    Times are whole seconds since the epoch: the window's start is a multiple of its length, so every
    worker and every instance computes the same key for the same moment, and the row is counted by one
    atomic upsert. A row is useless once `expires_at` has passed, and deleted then.
    """

    __tablename__ = "rate_limit_windows"

    # `reads`, `writes` or `pictures`.
    bucket: Mapped[str] = mapped_column(String(16), primary_key=True)
    # `user:<id>` for a token's user, `address:<client address>` for anonymous calls.
    subject: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_start: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    expires_at: Mapped[int] = mapped_column(index=True)
    hits: Mapped[int] = mapped_column(Integer)
