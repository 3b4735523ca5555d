from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
    select,
    text,
    true,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship, validates

from models.base import NAME_KEY_LENGTH, NEVER_REUSE_IDS, Base, UTCDateTime, name_key, utcnow
from models.category import Category
from models.section import Section
from models.user import User

COURSE_TYPES = ("self-paced", "structured", "scheduled")
PRIVACIES = ("", "open", "private", "secret")
MEMBER_ROLES = ("manager", "joined", "invited", "requested")
# Between the name and the description in `Course.search_text`.
SEARCH_SEPARATOR = "\x1f"

course_categories = Table(
    "course_categories",
    Base.metadata,
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
)

# Names and slugs only need to be unique among live courses: a deleted course frees them.
_live = text("deleted = false")


class Course(Base):
    __tablename__ = "courses"
    __table_args__ = (
        CheckConstraint(f"type IN {COURSE_TYPES}", name="type_known"),
        CheckConstraint(f"privacy IN {PRIVACIES}", name="privacy_known"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    # Computed in Python (models.base.name_key), so "École" and "ÉCOLE" clash on every database, not
    # only where lower() knows Unicode.
    name_key: Mapped[str] = mapped_column(String(NAME_KEY_LENGTH))
    slug: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    type: Mapped[str] = mapped_column(String(20))
    privacy: Mapped[str] = mapped_column(String(10), default="", server_default="")
    enforce_lessons_order: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    new_comment_notification_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    hide_member_count: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    meta_title: Mapped[str | None] = mapped_column(String(255))
    meta_description: Mapped[str | None] = mapped_column(String(1000))
    og_title: Mapped[str | None] = mapped_column(String(255))
    og_description: Mapped[str | None] = mapped_column(String(1000))
    og_image: Mapped[str | None] = mapped_column(String(2048))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Bumped on every change of the course, reordering its sections included; the ETag is derived from it.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # The course picture's rendition files share this name (see api/pictures/course_pictures.py); null: no picture.
    image_digest: Mapped[str | None] = mapped_column(String(64))

    created_by: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    categories: Mapped[list[Category]] = relationship(
        secondary=course_categories, order_by=(Category.name, Category.id), lazy="selectin"
    )
    sections: Mapped[list[Section]] = relationship(
        order_by=Section.position, lazy="selectin", cascade="all, delete-orphan", passive_deletes=True
    )

    # Case-folded name and description, so search ignores case beyond ASCII on every database.
    search_text: Mapped[str] = mapped_column(Text, default="")

    @validates("name", "description")
    def _keep_derived_text(self, key, value: str) -> str:
        if key == "name":
            self.name_key = name_key(value)
        name = value if key == "name" else self.name or ""
        description = value if key == "description" else self.description or ""
        # A unit separator keeps a search from matching across the two (SQLite LIKE stops at NUL).
        self.search_text = f"{name}{SEARCH_SEPARATOR}{description}".casefold()
        return value

    @property
    def sections_order(self) -> list[int]:
        return [section.id for section in self.sections]


Index("uq_courses_live_name", Course.name_key, unique=True, sqlite_where=_live, postgresql_where=_live)
Index("uq_courses_live_slug", Course.slug, unique=True, sqlite_where=_live, postgresql_where=_live)


class CourseMembership(Base):
    """A user's role in a course other than creator (the creator is `Course.created_by`)."""

    __tablename__ = "course_memberships"
    __table_args__ = (
        UniqueConstraint("course_id", "user_id", name="uq_course_memberships_course_user"),
        CheckConstraint(f"role IN {MEMBER_ROLES}", name="role_known"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the user became a member; a change of role keeps it. A `structured` course's sections
    # open `drip_delay` days after it.
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# How many members (`joined`) and managers the course has, its creator aside: a correlated subquery in
# the course's own SELECT, so that showing it costs no statement of its own, in a listing neither.
Course.member_count = column_property(
    select(func.count())
    .where(CourseMembership.course_id == Course.id, CourseMembership.role.in_(("manager", "joined")))
    .correlate_except(CourseMembership)
    .scalar_subquery()
)
