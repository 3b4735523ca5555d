"""name keys that fit and see through Unicode variants; ids that SQLite never gives twice

Revision ID: 0006
Revises: 0005

* `courses.name_key` and `categories.name_key` become the SHA-256 digest of the name's comparison
  form (`models.base.name_key`: NFKC, default-ignorable characters removed, case-folded, stripped),
  64 characters, and every existing row's key is computed again. Two live rows whose names were
  distinct before but are the same name now cannot both hold that key: the older keeps it, each later
  one gets `clash-<id>`, which no name can produce, until it is renamed. Nothing is deleted or renamed.
* On SQLite every table with an `id` is rebuilt with AUTOINCREMENT, so the id of a deleted row is never
  given again (PostgreSQL's sequences never go back). Ids freed by rows deleted before this migration,
  above the highest id still present, may still be given once.

Rebuilding a table on SQLite means copying it, dropping it and renaming the copy. This needs foreign
keys off (migrations/env.py turns them off for migrations): with them on, dropping `courses` would
delete, by ON DELETE CASCADE, every section, membership and category link. The triggers of `courses`
(the search index of 0005) go with the dropped table and are created again from their own SQL;
indexes, partial ones included, are reflected and rebuilt by Alembic's batch mode.

The key function is imported from the models on purpose: the stored keys must be exactly what the
application computes, and a later change of that function needs a migration of its own anyway.
"""

import sqlalchemy as sa
from alembic import op

from models.base import NAME_KEY_LENGTH, name_key

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID_TABLES = ("users", "categories", "courses", "course_memberships", "sections", "idempotency_keys")
# Tables with a name key, its width before this migration, and whether deleted rows may share keys.
KEYED = {"courses": (255, True), "categories": (100, False)}
# A key no row holds before or after: old keys are case-folded (no capital letters), new ones digests
# or `clash-<id>`. Writing it first lets the final keys go in one by one without ever meeting a stale one.
PLACEHOLDER_PREFIX = "MIGRATING-"


def upgrade() -> None:
    for table, (_, soft_deleted) in KEYED.items():
        _store_keys(table, name_key, NAME_KEY_LENGTH, soft_deleted)
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(autoincrement=True, key_lengths={table: NAME_KEY_LENGTH for table in KEYED})
    else:
        for table, (old_length, _) in KEYED.items():
            op.alter_column(table, "name_key", type_=sa.String(NAME_KEY_LENGTH), existing_type=sa.String(old_length))


def downgrade() -> None:
    old_lengths = {table: old_length for table, (old_length, _) in KEYED.items()}
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(autoincrement=False, key_lengths=old_lengths)
    else:
        for table, length in old_lengths.items():
            op.alter_column(table, "name_key", type_=sa.String(length), existing_type=sa.String(NAME_KEY_LENGTH))
    for table, (old_length, soft_deleted) in KEYED.items():
        _store_keys(table, str.casefold, old_length, soft_deleted)


def _store_keys(table: str, key, length: int, soft_deleted: bool) -> None:
    """Give every row of `table` the key `key(name)`, keeping unique keys unique (see the docstring)."""
    bind = op.get_bind()
    columns = [sa.column("id"), sa.column("name"), sa.column("name_key")]
    rows = sa.table(table, *columns, *([sa.column("deleted")] if soft_deleted else []))
    found = bind.execute(sa.select(rows).order_by(rows.c.id)).all()
    taken, keys = set(), []
    for row in found:
        new = key(row.name)
        # Deleted courses are outside the unique index: they may share a key.
        if not (soft_deleted and row.deleted):
            if new in taken or len(new) > length:
                new = f"clash-{row.id}"
            taken.add(new)
        keys.append({"row_id": row.id, "key": new})
    placeholder = sa.literal(PLACEHOLDER_PREFIX) + sa.cast(rows.c.id, sa.String(20))
    bind.execute(rows.update().values(name_key=placeholder))
    if keys:
        bind.execute(
            rows.update().where(rows.c.id == sa.bindparam("row_id")).values(name_key=sa.bindparam("key")), keys
        )


def _rebuild(autoincrement: bool, key_lengths: dict[str, int]) -> None:
    """Recreate every table with an id on SQLite, with or without AUTOINCREMENT."""
    bind = op.get_bind()
    for table in ID_TABLES:
        triggers = bind.execute(
            sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :table"), {"table": table}
        ).scalars()
        triggers = triggers.all()
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ) as batch:
            if table in key_lengths:
                batch.alter_column("name_key", type_=sa.String(key_lengths[table]))
        for trigger in triggers:
            op.execute(trigger)
    if bind.execute(sa.text("SELECT 1 FROM sqlite_master WHERE name = 'courses_search'")).first():
        # Rowids are the course ids, which the copy kept; rebuilding the index costs little and
        # leaves nothing to chance.
        op.execute("INSERT INTO courses_search(courses_search) VALUES ('rebuild')")
    broken = bind.execute(sa.text("PRAGMA foreign_key_check")).all()
    if broken:
        raise RuntimeError(f"rebuilding the tables broke foreign keys: {broken}")
