"""an index for substring search over courses' case-folded name and description

Revision ID: 0005
Revises: 0004

`search` looks for a substring anywhere in `courses.search_text`, which a B-tree index cannot
help with. SQLite gets an FTS5 table with the trigram tokenizer, kept in step with `courses` by
triggers; PostgreSQL a GIN trigram index (pg_trgm), which its planner uses for LIKE '%...%'.
Both serve terms of three characters or more; shorter ones still scan.
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SQLITE = [
    # The text is case-folded before it is stored and searched, so the index compares it as it is.
    "CREATE VIRTUAL TABLE courses_search USING fts5("
    "search_text, content='courses', content_rowid='id', tokenize='trigram case_sensitive 1')",
    "INSERT INTO courses_search(rowid, search_text) SELECT id, search_text FROM courses",
    "CREATE TRIGGER courses_search_insert AFTER INSERT ON courses BEGIN "
    "INSERT INTO courses_search(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER courses_search_delete AFTER DELETE ON courses BEGIN "
    "INSERT INTO courses_search(courses_search, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER courses_search_update AFTER UPDATE OF search_text ON courses BEGIN "
    "INSERT INTO courses_search(courses_search, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO courses_search(rowid, search_text) VALUES (new.id, new.search_text); END",
]
POSTGRESQL = [
    # pg_trgm is a trusted extension: the database's owner may create it.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_courses_search_text_trgm ON courses USING gin (search_text gin_trgm_ops)",
]


def upgrade() -> None:
    for statement in SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRESQL:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER courses_search_{trigger}")
        op.execute("DROP TABLE courses_search")
    else:
        op.execute("DROP INDEX ix_courses_search_text_trgm")
