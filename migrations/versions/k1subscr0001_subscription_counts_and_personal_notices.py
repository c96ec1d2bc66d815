"""subscription counts and personal notices

Acceptances of subscribe messages counted per user and kind, and one personal notice per
outbox event, user and kind: the state of record of a subscribe message
(server/notify/personal_send.py).

Revision ID: k1subscr0001
Revises: l1display001
Create Date: 2026-12-08 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import server.db.types  # noqa: F401 - custom column types


# revision identifiers, used by Alembic.
revision = 'k1subscr0001'
down_revision = 'l1display001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('subscription_counts',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('updated_at', server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('count >= 0', name=op.f('ck_subscription_counts_count_non_negative')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_subscription_counts_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_subscription_counts'))
    )
    op.create_table('personal_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('consent_spent', sa.Boolean(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.Column('sent_at', server.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending','sent','no_consent','refused','no_openid','dead')", name=op.f('ck_personal_notices_status_known')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_personal_notices_attempts_non_negative')),
    sa.ForeignKeyConstraint(['event_id'], ['outbox_events.id'], name=op.f('fk_personal_notices_event_id_outbox_events')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_personal_notices_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_personal_notices')),
    sa.UniqueConstraint('event_id', 'user_id', 'kind', name=op.f('uq_personal_notices_event_id_user_id_kind'))
    )
    with op.batch_alter_table('personal_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_personal_notices_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_personal_notices_due', ['status', 'next_attempt_at'], unique=False)


def downgrade():
    with op.batch_alter_table('personal_notices', schema=None) as batch_op:
        batch_op.drop_index('ix_personal_notices_due')
        batch_op.drop_index(batch_op.f('ix_personal_notices_user_id'))

    op.drop_table('personal_notices')
    op.drop_table('subscription_counts')
