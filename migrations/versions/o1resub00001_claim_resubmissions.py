"""claim resubmissions: a rejected claim is corrected and filed again, once

Revision ID: o1resub00001
Revises: o1export0001
Create Date: 2026-12-07 10:30:00

The new claim names the rejected one in `resubmitted_from`; the unique index is the
once-per-rejection guard. On SQLite Alembic's batch mode rebuilds the table for the foreign key.
"""

import sqlalchemy as sa
from alembic import op

revision = "o1resub00001"
down_revision = "o1export0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("point_claims") as batch:
        batch.add_column(sa.Column("resubmitted_from", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_point_claims_resubmitted_from_point_claims"),
            "point_claims",
            ["resubmitted_from"],
            ["id"],
        )
        batch.create_index(
            "ix_point_claims_resubmitted_from", ["resubmitted_from"], unique=True
        )


def downgrade():
    with op.batch_alter_table("point_claims") as batch:
        batch.drop_index("ix_point_claims_resubmitted_from")
        batch.drop_constraint(
            op.f("fk_point_claims_resubmitted_from_point_claims"), type_="foreignkey"
        )
        batch.drop_column("resubmitted_from")
