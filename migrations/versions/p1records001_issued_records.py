"""issued records

证明核验: the snapshot of each issued yearly volunteer record, found by its random serial.
Also merges the two heads this branch started from (the lead rechains at merge).

Revision ID: p1records001
Revises: o1resub00001
Create Date: 2026-12-07 10:37:48.245075

"""
from alembic import op
import sqlalchemy as sa

import server.db.types  # noqa: F401 - custom column types


# revision identifiers, used by Alembic.
revision = 'p1records001'
down_revision = 'o1resub00001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('issued_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('community_name', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('services', sa.Integer(), nullable=False),
    sa.Column('issued_at', server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_issued_records_community_id_communities')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_issued_records_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issued_records')),
    sa.UniqueConstraint('serial', name=op.f('uq_issued_records_serial'))
    )
    with op.batch_alter_table('issued_records', schema=None) as batch_op:
        batch_op.create_index('ix_issued_records_user_id_year', ['user_id', 'year'], unique=False)



def downgrade():
    with op.batch_alter_table('issued_records', schema=None) as batch_op:
        batch_op.drop_index('ix_issued_records_user_id_year')

    op.drop_table('issued_records')
