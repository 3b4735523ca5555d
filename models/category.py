from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, validates

from models.base import NAME_KEY_LENGTH, NEVER_REUSE_IDS, Base, name_key


class Category(Base):
    __tablename__ = "categories"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(NAME_KEY_LENGTH), unique=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)

    @validates("name")
    def _keep_name_key(self, _key, name: str) -> str:
        self.name_key = name_key(name)
        return name
