"""dashboard indexes

The console dashboard reads a month of claim decisions per item and the points redeemed per
month from these indexes instead of scanning point_claims and redemptions.

Revision ID: n1dashbd0001
Revises: m1console001
Create Date: 2026-12-07 08:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'n1dashbd0001'
down_revision = 'm1console001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_point_claims_decided',
        'point_claims',
        ['community_id', 'decided_at'],
        unique=False,
        postgresql_include=['status', 'item_id', 'points'],
    )
    op.create_index(
        'ix_redemptions_community_redeemed',
        'redemptions',
        ['community_id', 'redeemed_at', 'points'],
        unique=False,
    )


def downgrade():
    op.drop_index('ix_redemptions_community_redeemed', table_name='redemptions')
    op.drop_index('ix_point_claims_decided', table_name='point_claims')
