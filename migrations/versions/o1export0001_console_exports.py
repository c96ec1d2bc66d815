"""console exports

导出任务: the console's background exports (a list's filter, status, row count, stored file).

Revision ID: o1export0001
Revises: n1dashbd0001
Create Date: 2026-12-07 10:40:00

"""
from alembic import op
import sqlalchemy as sa

import server.db.types  # noqa: F401 - custom column types


# revision identifiers, used by Alembic.
revision = 'o1export0001'
down_revision = 'n1dashbd0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('console_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('query', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=True),
    sa.Column('storage_key', sa.String(length=128), nullable=True),
    sa.Column('error', sa.String(length=200), nullable=True),
    sa.Column('created_at', server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', server.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', server.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_console_exports_community_id_communities')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_console_exports_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_exports'))
    )
    op.create_index('ix_console_exports_user_id_id', 'console_exports', ['user_id', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_console_exports_user_id_id', table_name='console_exports')
    op.drop_table('console_exports')
