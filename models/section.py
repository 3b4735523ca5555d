from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import NEVER_REUSE_IDS, Base, UTCDateTime, utcnow
from models.lesson import Lesson


class Section(Base):
    """A section of a course; `position` is the only record of its place in the course."""

    __tablename__ = "sections"
    __table_args__ = (
        CheckConstraint("drip_delay >= 0 AND drip_delay <= 3650", name="drip_delay_range"),
        CheckConstraint("position >= 0", name="position_not_negative"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    drip_delay: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    dripped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    position: Mapped[int] = mapped_column(Integer)
    # Bumped on every change of the section; the ETag is derived from it.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Loaded when read, or with the loader options of the requests that show lessons.
    lessons: Mapped[list[Lesson]] = relationship(
        order_by=Lesson.position, cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def lessons_order(self) -> list[int]:
        return [lesson.id for lesson in self.lessons]
