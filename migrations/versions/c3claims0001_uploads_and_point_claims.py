"""uploads and point claims

Revision ID: c3claims0001
Revises: 38edc2559647
Create Date: 2026-11-22 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text  # noqa: F401 - used by rendered JSONB columns

import server.db.types  # noqa: F401 - custom column types
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'c3claims0001'
down_revision = '38edc2559647'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=128), nullable=False),
    sa.Column('attached_type', sa.String(length=32), nullable=True),
    sa.Column('attached_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_uploads_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_uploads')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_uploads_storage_key'))
    )
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.create_index('ix_uploads_attached', ['attached_type', 'attached_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_uploads_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_uploads_owner_id'), ['owner_id'], unique=False)

    op.create_table('point_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('claimant_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('photo_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('content_verdict', sa.String(length=16), nullable=False),
    sa.Column('content_label', sa.Integer(), nullable=True),
    sa.Column('item_version_id', sa.Integer(), nullable=True),
    sa.Column('points', sa.Integer(), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', server.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.String(length=200), nullable=True),
    sa.Column('ledger_entry_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending','flagged','approved','rejected')", name=op.f('ck_point_claims_status_known')),
    sa.ForeignKeyConstraint(['category_id'], ['point_categories.id'], name=op.f('fk_point_claims_category_id_point_categories')),
    sa.ForeignKeyConstraint(['claimant_id'], ['users.id'], name=op.f('fk_point_claims_claimant_id_users')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_point_claims_community_id_communities')),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_point_claims_decided_by_users')),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_point_claims_grid_id_grids')),
    sa.ForeignKeyConstraint(['item_id'], ['point_items.id'], name=op.f('fk_point_claims_item_id_point_items')),
    sa.ForeignKeyConstraint(['item_version_id'], ['point_item_versions.id'], name=op.f('fk_point_claims_item_version_id_point_item_versions')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_point_claims_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_claims'))
    )
    with op.batch_alter_table('point_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_point_claims_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_point_claims_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_point_claims_occurred_on'), ['occurred_on'], unique=False)
        batch_op.create_index('ix_point_claims_queue', ['community_id', 'status', 'id'], unique=False)
        batch_op.create_index('ix_point_claims_person_item_day', ['claimant_id', 'item_id', 'occurred_on'], unique=False)
        batch_op.create_index('ix_point_claims_org_item_day', ['organisation_id', 'item_id', 'occurred_on'], unique=False)


def downgrade():
    with op.batch_alter_table('point_claims', schema=None) as batch_op:
        batch_op.drop_index('ix_point_claims_org_item_day')
        batch_op.drop_index('ix_point_claims_person_item_day')
        batch_op.drop_index('ix_point_claims_queue')
        batch_op.drop_index(batch_op.f('ix_point_claims_occurred_on'))
        batch_op.drop_index(batch_op.f('ix_point_claims_grid_id'))
        batch_op.drop_index(batch_op.f('ix_point_claims_category_id'))

    op.drop_table('point_claims')
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_uploads_owner_id'))
        batch_op.drop_index(batch_op.f('ix_uploads_created_at'))
        batch_op.drop_index('ix_uploads_attached')

    op.drop_table('uploads')
