"""points ledger: accounts, entries, holds, period totals, idempotency records

Revision ID: b2ledger0001
Revises: 38edc2559647
Create Date: 2026-11-22 10:00:00

"""
from alembic import op
import sqlalchemy as sa

import server.db.types  # noqa: F401 - custom column types

# revision identifiers, used by Alembic.
revision = 'b2ledger0001'
down_revision = '38edc2559647'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
UTC = server.db.types.UTCDateTime(timezone=True)


def upgrade():
    op.create_table('point_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('holder_type', sa.String(length=16), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.Column('held', sa.BigInteger(), nullable=False),
    sa.Column('earned', sa.BigInteger(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    sa.CheckConstraint('balance >= 0', name=op.f('ck_point_accounts_balance_non_negative')),
    sa.CheckConstraint('held >= 0', name=op.f('ck_point_accounts_held_non_negative')),
    sa.CheckConstraint('held <= balance', name=op.f('ck_point_accounts_held_within_balance')),
    sa.CheckConstraint('earned >= 0', name=op.f('ck_point_accounts_earned_non_negative')),
    sa.CheckConstraint("holder_type IN ('user','organisation')", name=op.f('ck_point_accounts_holder_type_known')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_point_accounts_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_accounts')),
    sa.UniqueConstraint('community_id', 'holder_type', 'holder_id', name=op.f('uq_point_accounts_community_id_holder_type_holder_id'))
    )
    with op.batch_alter_table('point_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_point_accounts_community_id'), ['community_id'], unique=False)

    op.create_table('ledger_entries',
    sa.Column('id', BigId, nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('balance_after', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('cause_type', sa.String(length=32), nullable=False),
    sa.Column('cause_id', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('idempotency_key', sa.String(length=160), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('item_version_id', sa.Integer(), nullable=True),
    sa.Column('hold_id', sa.BigInteger(), nullable=True),
    sa.Column('reverses_entry_id', sa.BigInteger(), nullable=True),
    sa.Column('rank_month', sa.String(length=7), nullable=True),
    sa.Column('rank_kinds', sa.String(length=64), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.CheckConstraint('amount <> 0', name=op.f('ck_ledger_entries_amount_non_zero')),
    sa.CheckConstraint('balance_after >= 0', name=op.f('ck_ledger_entries_balance_after_non_negative')),
    sa.CheckConstraint("kind IN ('credit','bonus','import','debit','deduction','settle','reversal')", name=op.f('ck_ledger_entries_kind_known')),
    sa.ForeignKeyConstraint(['account_id'], ['point_accounts.id'], name=op.f('fk_ledger_entries_account_id_point_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_ledger_entries_idempotency_key')),
    sa.UniqueConstraint('reverses_entry_id', name=op.f('uq_ledger_entries_reverses_entry_id'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entries_account_id_id', ['account_id', 'id'], unique=False)

    op.create_table('point_holds',
    sa.Column('id', BigId, nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('cause_type', sa.String(length=32), nullable=False),
    sa.Column('cause_id', sa.String(length=64), nullable=False),
    sa.Column('idempotency_key', sa.String(length=160), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', UTC, nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('resolved_at', UTC, nullable=True),
    sa.Column('resolution_reason', sa.String(length=200), nullable=True),
    sa.Column('settle_entry_id', sa.BigInteger(), nullable=True),
    sa.CheckConstraint('amount > 0', name=op.f('ck_point_holds_amount_positive')),
    sa.CheckConstraint("status IN ('pending','released','settled','expired')", name=op.f('ck_point_holds_status_known')),
    sa.ForeignKeyConstraint(['account_id'], ['point_accounts.id'], name=op.f('fk_point_holds_account_id_point_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_holds')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_point_holds_idempotency_key'))
    )
    with op.batch_alter_table('point_holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_point_holds_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_point_holds_status_expires_at', ['status', 'expires_at'], unique=False)

    op.create_table('point_period_totals',
    sa.Column('id', BigId, nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['point_accounts.id'], name=op.f('fk_point_period_totals_account_id_point_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_period_totals')),
    sa.UniqueConstraint('account_id', 'kind', 'month', name=op.f('uq_point_period_totals_account_id_kind_month'))
    )
    with op.batch_alter_table('point_period_totals', schema=None) as batch_op:
        batch_op.create_index('ix_point_period_totals_rank', ['community_id', 'kind', 'month', 'points'], unique=False)

    op.create_table('idempotency_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('completed_at', UTC, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_records')),
    sa.UniqueConstraint('user_id', 'scope', 'key', name=op.f('uq_idempotency_records_user_id_scope_key'))
    )

    # Append-only ledger (DESIGN.md 4.1): edits of entries fail in the database itself.
    # SQLite guards UPDATE only, because the test suite empties tables with DELETE there;
    # PostgreSQL guards UPDATE and DELETE (TRUNCATE, used by the tests, fires no row trigger).
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("""
            CREATE FUNCTION ledger_entries_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'ledger entries are append-only (% refused)', TG_OP;
            END;
            $$ LANGUAGE plpgsql
        """)
        op.execute("""
            CREATE TRIGGER ledger_entries_append_only
            BEFORE UPDATE OR DELETE ON ledger_entries
            FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only()
        """)
    else:
        op.execute("""
            CREATE TRIGGER ledger_entries_append_only
            BEFORE UPDATE ON ledger_entries
            BEGIN
                SELECT RAISE(ABORT, 'ledger entries are append-only');
            END
        """)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS ledger_entries_append_only ON ledger_entries')
        op.execute('DROP FUNCTION IF EXISTS ledger_entries_append_only()')
    else:
        op.execute('DROP TRIGGER IF EXISTS ledger_entries_append_only')
    op.drop_table('idempotency_records')
    with op.batch_alter_table('point_period_totals', schema=None) as batch_op:
        batch_op.drop_index('ix_point_period_totals_rank')
    op.drop_table('point_period_totals')
    with op.batch_alter_table('point_holds', schema=None) as batch_op:
        batch_op.drop_index('ix_point_holds_status_expires_at')
        batch_op.drop_index(batch_op.f('ix_point_holds_account_id'))
    op.drop_table('point_holds')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entries_account_id_id')
    op.drop_table('ledger_entries')
    with op.batch_alter_table('point_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_point_accounts_community_id'))
    op.drop_table('point_accounts')
