"""Alembic environment: the URL comes from the caller or from DATABASE_URL."""

from alembic import context
from sqlalchemy import event

from api.config import Settings
from api.database import make_engine
from models import Base

config = context.config
url = config.attributes.get("database_url") or Settings().database_url


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def _sqlite_foreign_keys_off(dbapi_connection, _record) -> None:
    # Batch mode rebuilds a table by dropping it; with foreign keys on, SQLite would first delete the
    # rows of other tables that refer to it (ON DELETE CASCADE). The pragma only works outside a
    # transaction, hence at connect; migrations that rebuild tables run PRAGMA foreign_key_check.
    dbapi_connection.execute("PRAGMA foreign_keys=OFF")


def run_migrations_online() -> None:
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_foreign_keys_off)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
