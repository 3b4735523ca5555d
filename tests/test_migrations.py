"""The migrations build exactly the schema the models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from models import Base

# Migration 0005's search index lives outside the models: an FTS5 table (and its shadow tables) on
# SQLite, a GIN trigram index on PostgreSQL.
SEARCH_INDEX = ("courses_search", "ix_courses_search_text_trgm")


def outside_the_models(obj, name, kind, reflected, compare_to):
    return not (reflected and name and name.startswith(SEARCH_INDEX))


def test_migrated_schema_matches_models(app):
    with app.app.extensions["course_api.engine"].connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": outside_the_models})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_unique_names_are_enforced_by_the_database(db, make, alice):
    """The index, not only the handler, refuses a second live course whose name differs only in case."""
    make.course(alice, name="École du soir")
    with pytest.raises(IntegrityError):
        make.course(alice, name="ÉCOLE DU SOIR")
