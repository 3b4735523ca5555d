"""Finding courses by text: what a search term matches, through the search index where one applies."""

from sqlalchemy import Integer, and_, func, or_, select, text

from api import database
from api.rules.access import seen_in_full_by
from models import Category, Course
from models.course import SEARCH_SEPARATOR


def search_matches(me, term: str):
    """Courses in whose text as the caller sees it `term` occurs.

    The index finds the candidates; where the caller sees only the minimal form, the match must also
    lie in the name, or repeated searches would spell out the hidden description.
    """
    return and_(_containing(term), or_(seen_in_full_by(me), _in_name(term)))


def _in_name(term: str):
    """The first occurrence of `term` in `search_text` starts before the separator, so it lies in the name:
    the spec's pattern keeps the separator (U+001F) out of terms, so a term cannot span it."""
    position = func.strpos if database.session().get_bind().dialect.name == "postgresql" else func.instr
    found = position(Course.search_text, term)
    return and_(found > 0, found < position(Course.search_text, SEARCH_SEPARATOR))


def _containing(term: str):
    """Courses whose name or description contains `term` (case-folded), through the search index
    of migration 0005 where it applies: PostgreSQL's trigram index serves LIKE itself, SQLite's FTS5
    table needs MATCH. Terms under three characters make no trigram and scan either way."""
    if len(term) >= 3 and database.session().get_bind().dialect.name == "sqlite":
        phrase = '"' + term.replace('"', '""') + '"'
        matching = text("SELECT rowid FROM courses_search WHERE courses_search MATCH :phrase")
        return Course.id.in_(matching.bindparams(phrase=phrase).columns(rowid=Integer))
    return Course.search_text.contains(term, autoescape=True)


def categories(active: bool | None, search: str | None, limit: int, offset: int) -> tuple[int, list[Category]]:
    """(count, page) of the categories, in their manual order, then by name; `active` and `search` narrow them."""
    criteria = []
    if active is not None:
        criteria.append(Category.active.is_(active))
    if search:
        criteria.append(func.lower(Category.name).contains(search.lower(), autoescape=True))
    db = database.session()
    count = db.scalar(select(func.count()).select_from(Category).where(*criteria))
    query = select(Category).where(*criteria).order_by(Category.order, Category.name, Category.id)
    return count, list(db.scalars(query.limit(limit).offset(offset)))
