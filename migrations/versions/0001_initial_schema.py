"""initial schema

Revision ID: 0001
Revises: 
"""

from alembic import op
import sqlalchemy as sa
import models.base

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('categories',
    sa.Column('id', ID, nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_key', sa.String(length=100), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_categories')),
    sa.UniqueConstraint('name_key', name=op.f('uq_categories_name_key')),
    sa.UniqueConstraint('slug', name=op.f('uq_categories_slug'))
    )
    op.create_table('users',
    sa.Column('id', ID, nullable=False),
    sa.Column('username', sa.String(length=255), nullable=False),
    sa.Column('real_name', sa.String(length=255), nullable=False),
    sa.Column('avatar', sa.String(length=2048), nullable=True),
    sa.Column('community_badge', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('is_staff', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('courses',
    sa.Column('id', ID, nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('name_key', sa.String(length=255), nullable=False),
    sa.Column('slug', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('privacy', sa.String(length=10), server_default='', nullable=False),
    sa.Column('enforce_lessons_order', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('new_comment_notification_enabled', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('hide_member_count', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('meta_title', sa.String(length=255), nullable=True),
    sa.Column('meta_description', sa.String(length=1000), nullable=True),
    sa.Column('og_title', sa.String(length=255), nullable=True),
    sa.Column('og_description', sa.String(length=1000), nullable=True),
    sa.Column('og_image', sa.String(length=2048), nullable=True),
    sa.Column('deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', ID, nullable=False),
    sa.CheckConstraint("privacy IN ('', 'open', 'private', 'secret')", name=op.f('ck_courses_privacy_known')),
    sa.CheckConstraint("type IN ('self-paced', 'structured', 'scheduled')", name=op.f('ck_courses_type_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_courses_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses'))
    )
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_courses_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_courses_deleted'), ['deleted'], unique=False)
    # Names and slugs are unique among live courses only: deleting a course frees them.
    live = sa.text('deleted = false')
    op.create_index('uq_courses_live_slug', 'courses', ['slug'], unique=True,
                    sqlite_where=live, postgresql_where=live)
    op.create_index('uq_courses_live_name', 'courses', ['name_key'], unique=True,
                    sqlite_where=live, postgresql_where=live)

    op.create_table('course_categories',
    sa.Column('course_id', ID, nullable=False),
    sa.Column('category_id', ID, nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_course_categories_category_id_categories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_categories_course_id_courses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('course_id', 'category_id', name=op.f('pk_course_categories'))
    )
    op.create_table('course_memberships',
    sa.Column('id', ID, nullable=False),
    sa.Column('course_id', ID, nullable=False),
    sa.Column('user_id', ID, nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('manager', 'joined')", name=op.f('ck_course_memberships_role_known')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_memberships_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_course_memberships_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_memberships')),
    sa.UniqueConstraint('course_id', 'user_id', name='uq_course_memberships_course_user')
    )
    with op.batch_alter_table('course_memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_memberships_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_course_memberships_user_id'), ['user_id'], unique=False)

    op.create_table('sections',
    sa.Column('id', ID, nullable=False),
    sa.Column('course_id', ID, nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('drip_delay', sa.Integer(), server_default='0', nullable=False),
    sa.Column('dripped_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('drip_delay >= 0 AND drip_delay <= 3650', name=op.f('ck_sections_drip_delay_range')),
    sa.CheckConstraint('position >= 0', name=op.f('ck_sections_position_not_negative')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_sections_course_id_courses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sections'))
    )
    with op.batch_alter_table('sections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sections_course_id'), ['course_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sections_course_id'))

    op.drop_table('sections')
    with op.batch_alter_table('course_memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_memberships_user_id'))
        batch_op.drop_index(batch_op.f('ix_course_memberships_course_id'))

    op.drop_table('course_memberships')
    op.drop_table('course_categories')
    op.drop_index('uq_courses_live_name', 'courses')
    op.drop_index('uq_courses_live_slug', 'courses')
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_deleted'))
        batch_op.drop_index(batch_op.f('ix_courses_created_by_id'))
        batch_op.drop_index(batch_op.f('ix_courses_created_at'))

    op.drop_table('courses')
    op.drop_table('users')
    op.drop_table('categories')
