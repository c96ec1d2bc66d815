"""merge the domain branches (ledger, claims, tasks, rewards) into one head

Revision ID: f6merge000001
Revises: b2ledger0001, c3claims0001, d4tasks00001, e5rewards0001
Create Date: 2026-11-22 03:20:00

"""

# revision identifiers, used by Alembic.
revision = "f6merge000001"
down_revision = ("b2ledger0001", "c3claims0001", "d4tasks00001", "e5rewards0001")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
