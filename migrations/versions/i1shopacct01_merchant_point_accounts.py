"""point accounts: shops (信用店铺) hold accounts of their own

Revision ID: i1shopacct01
Revises: h9grid000001
Create Date: 2026-12-07 04:20:00

A shop that fulfils a wish earns to its own account and is ranked among shops (kind
"merchant"), as organisations are. Only the CHECK on holder_type changes. On SQLite Alembic's
batch mode rebuilds the table (migrations/env.py turns foreign keys off around it).
"""

from alembic import op

revision = "i1shopacct01"
down_revision = "h9grid000001"
branch_labels = None
depends_on = None

NAME = "ck_point_accounts_holder_type_known"


def _holder_check(holder_types: str) -> None:
    with op.batch_alter_table("point_accounts") as batch:
        batch.drop_constraint(op.f(NAME), type_="check")
        batch.create_check_constraint(op.f(NAME), f"holder_type IN ({holder_types})")


def upgrade():
    _holder_check("'user','organisation','merchant'")


def downgrade():
    # Refused by the database while a shop's account exists: its points are not thrown away.
    _holder_check("'user','organisation'")
