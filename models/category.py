from sqlalchemy import Boolean, CheckConstraint, Index, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column, validates

from models.base import NAME_KEY_LENGTH, NEVER_REUSE_IDS, Base, name_key


class Category(Base):
    __tablename__ = "categories"
    __table_args__ = (CheckConstraint('"order" >= 0', name="order_not_negative"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(NAME_KEY_LENGTH), unique=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    # Left out of the list a client asks for with `active=true`; still shown on the courses filed under it.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The manual sort key of the category list (then the name).
    order: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @validates("name")
    def _keep_name_key(self, _key, name: str) -> str:
        self.name_key = name_key(name)
        return name


Index("ix_categories_order_name", Category.order, Category.name)
