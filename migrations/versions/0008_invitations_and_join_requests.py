"""invitations and join requests are memberships too

Revision ID: 0008
Revises: 0007

A course membership may now also be `invited` (an editor asked the user to join) or `requested` (the
user asked to join a private course). Both are waiting for an answer and give no access.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

NAME = "ck_course_memberships_role_known"
ROLES = "role IN ('manager', 'joined', 'invited', 'requested')"
OLD_ROLES = "role IN ('manager', 'joined')"


def _replace_check(condition: str) -> None:
    # SQLite rebuilds the table for this; without the option the copy would lose AUTOINCREMENT.
    with op.batch_alter_table("course_memberships", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_constraint(op.f(NAME), type_="check")
        batch.create_check_constraint(op.f(NAME), sa.text(condition))


def upgrade() -> None:
    _replace_check(ROLES)


def downgrade() -> None:
    # Waiting invitations and requests have no place in the old schema.
    op.execute("DELETE FROM course_memberships WHERE role IN ('invited', 'requested')")
    _replace_check(OLD_ROLES)
