"""What every model shares: naming of constraints, id and time types, and the comparison form of names."""

import hashlib
import re
import unicodedata
from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, TypeDecorator
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names let Alembic migrations refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Ids are 64-bit as the spec says; SQLite needs INTEGER for its rowid primary keys.
ID = BigInteger().with_variant(Integer, "sqlite")
# Table options of every table with an `id`: without AUTOINCREMENT SQLite gives the id of the newest
# deleted row to the next one, and a tag such as "s5-r1" kept from the deleted row would match the new
# one. PostgreSQL's sequences never go back.
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {int: ID}


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime, also on SQLite, which stores no offset."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): characters that show nothing
# (zero-width spaces and joiners, bidi controls, variation selectors, tags...). Python's unicodedata
# does not expose the property, hence the list.
_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f-\u1160\u17b4-\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
# The width of `name_key` columns: a SHA-256 digest in hex.
NAME_KEY_LENGTH = 64


def comparable_name(name: str) -> str:
    """The form in which two names are the same: NFKC, without invisible characters, case-folded,
    without surrounding whitespace. Empty for a name that shows nothing.

    Case folding can undo the normalisation (e.g. of some Greek letters with marks), hence NFKC twice.
    Whitespace (`str.isspace`) is stripped last, once no invisible character sits between it and the end.
    """
    visible = _IGNORABLE.sub("", unicodedata.normalize("NFKC", name))
    return unicodedata.normalize("NFKC", visible.casefold()).strip()


def name_key(name: str) -> str:
    """What unique indexes compare: a digest of `comparable_name`, so that every name fits the column.

    A 255-character name can grow 18-fold under NFKC (U+FDFA) and 2- or 3-fold under case folding; a
    digest also keeps the index rows far below PostgreSQL's limit for a B-tree entry.
    """
    return hashlib.sha256(comparable_name(name).encode()).hexdigest()
