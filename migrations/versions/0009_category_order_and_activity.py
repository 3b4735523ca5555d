"""categories have an order and may be inactive

Revision ID: 0009
Revises: 0008

As on the platform, a category carries `order` (the manual sort key of its list) and `active` (an
inactive category stays on its courses but is left out of `GET /category/?active=true`, which the
web front end asks for). Existing categories become active, with order 0.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("categories", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("order", sa.Integer(), nullable=False, server_default="0"))
        batch.create_check_constraint(op.f("ck_categories_order_not_negative"), sa.text('"order" >= 0'))
    op.create_index(op.f("ix_categories_order_name"), "categories", ["order", "name"])


def downgrade() -> None:
    op.drop_index(op.f("ix_categories_order_name"), table_name="categories")
    with op.batch_alter_table("categories", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_constraint(op.f("ck_categories_order_not_negative"), type_="check")
        batch.drop_column("order")
        batch.drop_column("active")
