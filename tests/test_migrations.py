"""The migrations build exactly the schema the models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from models import Base


def test_migrated_schema_matches_models(app):
    with app.app.extensions["course_api.engine"].connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_unique_names_are_enforced_by_the_database(db, make, alice):
    """The index, not only the handler, refuses a second live course whose name differs only in case."""
    make.course(alice, name="École du soir")
    with pytest.raises(IntegrityError):
        make.course(alice, name="ÉCOLE DU SOIR")
