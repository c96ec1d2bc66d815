"""merge the grid branches (service logs, reports, wishes) into one head

Revision ID: h8merge000001
Revises: h8svclog0001, h8report0001, h8wishes0001
Create Date: 2026-12-07 02:00:00

"""

revision = "h8merge000001"
down_revision = ("h8svclog0001", "h8report0001", "h8wishes0001")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
