from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import NEVER_REUSE_IDS, Base, UTCDateTime, utcnow
from models.user import User

# The platform's two kinds; the API refuses `quiz` until quizzes exist.
LESSON_TYPES = ("lesson", "quiz")
PUBLISHED = "published"
LESSON_STATUSES = ("draft", PUBLISHED)


class Lesson(Base):
    """A lesson of a section; `position` is its place in the section (the section's `lessons_order`).

    `course_id` repeats the section's course, so that the lessons and completions of a course are
    counted with one index lookup instead of a join through the sections.
    """

    __tablename__ = "lessons"
    __table_args__ = (
        CheckConstraint(f"type IN {LESSON_TYPES}", name="type_known"),
        CheckConstraint(f"status IN {LESSON_STATUSES}", name="status_known"),
        CheckConstraint("position >= 0", name="position_not_negative"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(10), default="lesson", server_default="lesson")
    status: Mapped[str] = mapped_column(String(10), default="draft", server_default="draft")
    comments_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The sanitised HTML (api/rules/lesson_html.py); only the lesson's own answers carry it, so
    # outlines of a course do not load it.
    html: Mapped[str] = mapped_column(Text, default="", server_default="", deferred=True)
    position: Mapped[int] = mapped_column(Integer)
    # Bumped on every change of the lesson; the ETag is derived from it.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)

    created_by: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    @property
    def medias(self) -> list[int]:
        # No media API exists yet, so a lesson holds none (the spec refuses any other value).
        return []


class LessonCompletion(Base):
    """A user completed a lesson. Absent: not completed."""

    __tablename__ = "lesson_completions"
    __table_args__ = (
        UniqueConstraint("lesson_id", "user_id", name="uq_lesson_completions_lesson_user"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# A member's completions in a course, and every member's for the dashboard, come from this index.
Index("ix_lesson_completions_course_user", LessonCompletion.course_id, LessonCompletion.user_id)
