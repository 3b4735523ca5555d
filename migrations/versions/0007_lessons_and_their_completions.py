"""lessons, who completed them, and when each membership began

Revision ID: 0007
Revises: 0006

`course_memberships.joined_at` starts as the row's `created_at`: until now a membership began
when its row was made, and a change of role kept the row.
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "lessons",
        sa.Column("id", ID, nullable=False),
        sa.Column("course_id", ID, nullable=False),
        sa.Column("section_id", ID, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=10), server_default="lesson", nullable=False),
        sa.Column("status", sa.String(length=10), server_default="draft", nullable=False),
        sa.Column("comments_enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("html", sa.Text(), server_default="", nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("created_by_id", ID, nullable=False),
        sa.CheckConstraint("status IN ('draft', 'published')", name=op.f("ck_lessons_status_known")),
        sa.CheckConstraint("type IN ('lesson', 'quiz')", name=op.f("ck_lessons_type_known")),
        sa.CheckConstraint("position >= 0", name=op.f("ck_lessons_position_not_negative")),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_lessons_course_id_courses"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_lessons_created_by_id_users")),
        sa.ForeignKeyConstraint(
            ["section_id"], ["sections.id"], name=op.f("fk_lessons_section_id_sections"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lessons")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_lessons_course_id"), "lessons", ["course_id"])
    op.create_index(op.f("ix_lessons_created_by_id"), "lessons", ["created_by_id"])
    op.create_index(op.f("ix_lessons_section_id"), "lessons", ["section_id"])

    op.create_table(
        "lesson_completions",
        sa.Column("id", ID, nullable=False),
        sa.Column("lesson_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("course_id", ID, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_lesson_completions_course_id_courses"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"], ["lessons.id"], name=op.f("fk_lesson_completions_lesson_id_lessons"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_lesson_completions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_completions")),
        sa.UniqueConstraint("lesson_id", "user_id", name="uq_lesson_completions_lesson_user"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_lesson_completions_course_user", "lesson_completions", ["course_id", "user_id"])
    op.create_index(op.f("ix_lesson_completions_user_id"), "lesson_completions", ["user_id"])

    with op.batch_alter_table("course_memberships") as batch:
        batch.add_column(sa.Column("joined_at", TIME, nullable=True))
    op.execute("UPDATE course_memberships SET joined_at = created_at")
    # SQLite rebuilds the table for this; without the option the copy would lose AUTOINCREMENT.
    with op.batch_alter_table("course_memberships", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.alter_column("joined_at", existing_type=TIME, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("course_memberships") as batch:
        batch.drop_column("joined_at")
    op.drop_table("lesson_completions")
    op.drop_table("lessons")
