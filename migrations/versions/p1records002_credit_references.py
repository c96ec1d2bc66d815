"""credit references

信用证明: references a holder issues for a bank (check code kept as a digest only) and the log
of every check of them.

Revision ID: p1records002
Revises: p1records001
Create Date: 2026-12-07 10:43:13.470283

"""
from alembic import op
import sqlalchemy as sa

import server.db.types  # noqa: F401 - custom column types


# revision identifiers, used by Alembic.
revision = 'p1records002'
down_revision = 'p1records001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('credit_references',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=32), nullable=False),
    sa.Column('code_digest', sa.String(length=64), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('holder_type', sa.String(length=16), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('issued_by', sa.Integer(), nullable=False),
    sa.Column('holder_name', sa.String(length=64), nullable=False),
    sa.Column('community_name', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('points_year', sa.Integer(), nullable=False),
    sa.Column('points_total', sa.Integer(), nullable=False),
    sa.Column('volunteer_minutes', sa.Integer(), nullable=True),
    sa.Column('rank_band', sa.String(length=16), nullable=False),
    sa.Column('member_since', sa.Date(), nullable=True),
    sa.Column('issued_at', server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('valid_until', server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', server.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_credit_references_community_id_communities')),
    sa.ForeignKeyConstraint(['issued_by'], ['users.id'], name=op.f('fk_credit_references_issued_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_references')),
    sa.UniqueConstraint('serial', name=op.f('uq_credit_references_serial'))
    )
    with op.batch_alter_table('credit_references', schema=None) as batch_op:
        batch_op.create_index('ix_credit_references_holder', ['community_id', 'holder_type', 'holder_id', 'id'], unique=False)

    op.create_table('credit_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference_id', sa.Integer(), nullable=False),
    sa.Column('checked_at', server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('client', sa.String(length=48), nullable=False),
    sa.ForeignKeyConstraint(['reference_id'], ['credit_references.id'], name=op.f('fk_credit_checks_reference_id_credit_references')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_checks'))
    )
    with op.batch_alter_table('credit_checks', schema=None) as batch_op:
        batch_op.create_index('ix_credit_checks_reference_id_id', ['reference_id', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('credit_checks', schema=None) as batch_op:
        batch_op.drop_index('ix_credit_checks_reference_id_id')

    op.drop_table('credit_checks')
    with op.batch_alter_table('credit_references', schema=None) as batch_op:
        batch_op.drop_index('ix_credit_references_holder')

    op.drop_table('credit_references')
