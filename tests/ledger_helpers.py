"""Shared helpers for the ledger, adjustment, ranking and redemption tests."""

from sqlalchemy import func, select

from server.community.models import Community, Organisation
from server.db.session import db
from server.points import ledger
from server.points.ledger_models import Account, Hold, LedgerEntry
from server.wechat.emulator import stable_id
from tests.conftest import APPID


def demo_community_id() -> int:
    return db.session.scalar(select(Community.id).where(Community.code == "demo"))


def user_id_of(identity: str) -> int:
    from server.auth.models import User

    return db.session.scalar(
        select(User.id).where(User.openid == stable_id(APPID, identity, "openid"))
    )


def org_id_of(name: str) -> int:
    return db.session.scalar(select(Organisation.id).where(Organisation.name == name))


def check_invariants(session, account_ids=None) -> None:
    """Invariants 1-2 (docs/architecture.md) for every (given) account, read fresh."""
    stmt = select(Account)
    if account_ids is not None:
        stmt = stmt.where(Account.id.in_(account_ids))
    for account in session.scalars(stmt.execution_options(populate_existing=True)):
        total = session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                LedgerEntry.account_id == account.id
            )
        )
        pending = session.scalar(
            select(func.coalesce(func.sum(Hold.amount), 0)).where(
                Hold.account_id == account.id, Hold.status == "pending"
            )
        )
        assert account.balance == total, (account, account.balance, total)
        assert account.held == pending, (account, account.held, pending)
        assert 0 <= account.held <= account.balance
        last = session.scalar(
            select(LedgerEntry.balance_after)
            .where(LedgerEntry.account_id == account.id)
            .order_by(LedgerEntry.id.desc())
            .limit(1)
        )
        assert last is None or last == account.balance


def service_step(fn):
    """Run one service call and commit; a refusal (AppError) rolls back and is returned."""
    from server.http.errors import AppError

    try:
        result = fn()
        db.session.commit()
        return result
    except AppError as exc:
        db.session.rollback()
        return exc


def post_credit(account, amount, key, **kw):
    """ledger.credit with a claim's usual reason and cause."""
    kw.setdefault("reason", "志愿服务：垃圾分类志愿督导")
    kw.setdefault("cause_type", "claim")
    kw.setdefault("cause_id", key)
    return ledger.credit(account, amount, idempotency_key=key, **kw)


def post_debit(account, amount, key, **kw):
    """ledger.debit with a redemption's usual reason and cause."""
    kw.setdefault("reason", "兑换：洗衣液一瓶")
    kw.setdefault("cause_type", "redemption")
    kw.setdefault("cause_id", key)
    return ledger.debit(account, amount, idempotency_key=key, **kw)


def post_hold(account, amount, key, **kw):
    """ledger.hold with a reservation's usual reason and cause."""
    kw.setdefault("reason", "预约兑换：大米 5kg")
    kw.setdefault("cause_type", "redemption")
    kw.setdefault("cause_id", key)
    return ledger.hold(account, amount, idempotency_key=key, **kw)


def count_rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))
