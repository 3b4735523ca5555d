"""revisions of courses and sections, for ETags and If-Match

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("courses", "sections"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    for table in ("sections", "courses"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("revision")
