from datetime import datetime

from sqlalchemy import Boolean, ColumnElement, String, and_, false, true
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from models.base import NEVER_REUSE_IDS, Base, UTCDateTime, utcnow


class User(Base):
    __tablename__ = "users"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(255), unique=True)
    real_name: Mapped[str] = mapped_column(String(255), default="")
    avatar: Mapped[str | None] = mapped_column(String(2048))
    community_badge: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @hybrid_property
    def active(self) -> bool:
        """A user the API acts for: active and not deleted. The same test in Python and in SQL."""
        return self.is_active and not self.deleted

    @active.inplace.expression
    @classmethod
    def _active_expression(cls) -> ColumnElement[bool]:
        return and_(cls.is_active.is_(True), cls.deleted.is_(False))
