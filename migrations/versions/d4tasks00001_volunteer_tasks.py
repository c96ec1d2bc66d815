"""volunteer tasks: settings, tasks, sign-ups, attendance

Revision ID: d4tasks00001
Revises: 38edc2559647
Create Date: 2026-11-22 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text  # noqa: F401 - used by rendered JSONB columns

import server.db.types  # noqa: F401 - custom column types
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "d4tasks00001"
down_revision = "38edc2559647"
branch_labels = None
depends_on = None

UTC = server.db.types.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade():
    op.create_table(
        "task_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("organiser_roles", JSON, nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_task_settings_community_id_communities"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_task_settings_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_settings")),
        sa.UniqueConstraint("community_id", name=op.f("uq_task_settings_community_id")),
    )

    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("organiser_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("reward_kind", sa.String(length=8), nullable=False),
        sa.Column("point_item_id", sa.Integer(), nullable=True),
        sa.Column("points_per_hour", sa.Integer(), nullable=True),
        sa.Column("points_cap", sa.Integer(), nullable=True),
        sa.Column("starts_at", UTC, nullable=False),
        sa.Column("ends_at", UTC, nullable=False),
        sa.Column("signup_deadline", UTC, nullable=False),
        sa.Column("cancel_deadline", UTC, nullable=False),
        sa.Column("place_name", sa.String(length=64), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("radius_m", sa.Integer(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("confirmed_count", sa.Integer(), nullable=False),
        sa.Column("waitlisted_count", sa.Integer(), nullable=False),
        sa.Column("signup_seq", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("audience_grid_id", sa.Integer(), nullable=True),
        sa.Column("audience_party_kind", sa.String(length=8), nullable=True),
        sa.Column("cover_upload_id", sa.Integer(), nullable=True),
        sa.Column("cover_url", sa.String(length=512), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cancel_reason", sa.String(length=200), nullable=True),
        sa.Column("cancelled_at", UTC, nullable=True),
        sa.Column("completed_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.CheckConstraint(
            "capacity > 0 AND capacity <= 10000", name=op.f("ck_tasks_capacity_range")
        ),
        sa.CheckConstraint(
            "confirmed_count >= 0 AND confirmed_count <= capacity",
            name=op.f("ck_tasks_seats_within_capacity"),
        ),
        sa.CheckConstraint("waitlisted_count >= 0", name=op.f("ck_tasks_waitlist_nonnegative")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_tasks_window_ordered")),
        sa.CheckConstraint(
            "reward_kind IN ('item','hours')", name=op.f("ck_tasks_reward_kind_known")
        ),
        sa.CheckConstraint(
            "audience IN ('everyone','party_members','grid')", name=op.f("ck_tasks_audience_known")
        ),
        sa.CheckConstraint(
            "status IN ('published','cancelled','completed')", name=op.f("ck_tasks_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_tasks_community_id_communities")
        ),
        sa.ForeignKeyConstraint(
            ["organiser_id"], ["users.id"], name=op.f("fk_tasks_organiser_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["point_item_id"], ["point_items.id"], name=op.f("fk_tasks_point_item_id_point_items")
        ),
        sa.ForeignKeyConstraint(
            ["audience_grid_id"], ["grids.id"], name=op.f("fk_tasks_audience_grid_id_grids")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tasks_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tasks_organiser_id"), ["organiser_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tasks_starts_at"), ["starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_tasks_status"), ["status"], unique=False)

    op.create_table(
        "task_signups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("signed_up_at", UTC, nullable=False),
        sa.Column("promoted_at", UTC, nullable=True),
        sa.Column("cancelled_at", UTC, nullable=True),
        sa.CheckConstraint(
            "status IN ('confirmed','waitlisted','cancelled','walk_in')",
            name=op.f("ck_task_signups_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_signups_task_id_tasks")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_task_signups_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_signups")),
        sa.UniqueConstraint("task_id", "user_id", name=op.f("uq_task_signups_task_id_user_id")),
    )
    with op.batch_alter_table("task_signups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_signups_task_id"), ["task_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_signups_user_id"), ["user_id"], unique=False)

    op.create_table(
        "task_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("checkin_at", UTC, nullable=False),
        sa.Column("checkout_at", UTC, nullable=True),
        sa.Column("checkin_latitude", sa.Float(), nullable=True),
        sa.Column("checkin_longitude", sa.Float(), nullable=True),
        sa.Column("checkout_latitude", sa.Float(), nullable=True),
        sa.Column("checkout_longitude", sa.Float(), nullable=True),
        sa.Column("marked_by", sa.Integer(), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("points", sa.Integer(), nullable=True),
        sa.Column("ledger_entry_id", sa.Integer(), nullable=True),
        sa.Column("credited_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.CheckConstraint(
            "method IN ('scan','manual')", name=op.f("ck_task_attendance_method_known")
        ),
        sa.CheckConstraint(
            "minutes IS NULL OR minutes >= 0", name=op.f("ck_task_attendance_minutes_nonnegative")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_attendance_task_id_tasks")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_task_attendance_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["marked_by"], ["users.id"], name=op.f("fk_task_attendance_marked_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_attendance")),
        sa.UniqueConstraint("task_id", "user_id", name=op.f("uq_task_attendance_task_id_user_id")),
    )
    with op.batch_alter_table("task_attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_attendance_task_id"), ["task_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_attendance_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_task_attendance_credited_at"), ["credited_at"], unique=False
        )


def downgrade():
    op.drop_table("task_attendance")
    op.drop_table("task_signups")
    op.drop_table("tasks")
    op.drop_table("task_settings")
