"""The ledger service: credit, debit, hold, release, settle, reverse, idempotency, constraints."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from server.db.session import db
from server.db.types import utcnow
from server.http.errors import NotFound, Unprocessable
from server.points import ledger
from server.points.ledger_models import Account, LedgerEntry, PeriodTotal
from tests.ledger_helpers import check_invariants, demo_community_id, org_id_of, user_id_of


@pytest.fixture
def acct(seeded, ctx):
    """A fresh account of resident-5 in the demo community."""
    account = ledger.account_for_user(demo_community_id(), user_id_of("resident-5"))
    db.session.commit()
    return account


def _credit(account, amount, key, **kw):
    kw.setdefault("reason", "志愿服务：垃圾分类志愿督导")
    kw.setdefault("cause_type", "claim")
    kw.setdefault("cause_id", key)
    return ledger.credit(account, amount, idempotency_key=key, **kw)


def _debit(account, amount, key, **kw):
    kw.setdefault("reason", "兑换：洗衣液一瓶")
    kw.setdefault("cause_type", "redemption")
    kw.setdefault("cause_id", key)
    return ledger.debit(account, amount, idempotency_key=key, **kw)


def _hold(account, amount, key, **kw):
    kw.setdefault("reason", "预约兑换：大米 5kg")
    kw.setdefault("cause_type", "redemption")
    kw.setdefault("cause_id", key)
    return ledger.hold(account, amount, idempotency_key=key, **kw)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_accounts_are_get_or_create(acct):
    again = ledger.account_for_user(acct.community_id, acct.holder_id)
    assert again.id == acct.id
    org = ledger.account_for_organisation(acct.community_id, org_id_of("幸福路小学"))
    assert org.holder_type == "organisation" and org.id != acct.id
    db.session.commit()
    assert _count(Account) == 2


def test_credit_posts_once_per_key(acct):
    first = _credit(acct, 10, "claim:1")
    db.session.commit()
    assert (acct.balance, acct.earned, first.balance_after, first.amount) == (10, 10, 10, 10)
    assert first.rank_kinds == "person" and first.reason == "志愿服务：垃圾分类志愿督导"

    replay = _credit(acct, 10, "claim:1")
    db.session.commit()
    assert replay.id == first.id
    db.session.refresh(acct)
    assert (acct.balance, acct.earned) == (10, 10) and _count(LedgerEntry) == 1

    with pytest.raises(ledger.IdempotencyConflict) as exc:
        _credit(acct, 20, "claim:1")
    assert exc.value.status == 409 and exc.value.code == "idempotency_conflict"
    db.session.rollback()
    other = ledger.account_for_user(acct.community_id, user_id_of("resident-6"))
    with pytest.raises(ledger.IdempotencyConflict):
        _credit(other, 10, "claim:1")
    db.session.rollback()
    db.session.refresh(acct)
    assert acct.balance == 10 and _count(LedgerEntry) == 1
    check_invariants(db.session)


def test_credit_updates_period_totals_for_party_members(seeded, ctx):
    cid = demo_community_id()
    party = ledger.account_for_user(cid, user_id_of("resident-1"))  # party member
    entry = _credit(party, 20, "claim:p1")
    db.session.commit()
    assert entry.rank_kinds == "person,party_member"
    rows = db.session.execute(
        select(PeriodTotal.kind, PeriodTotal.points).where(PeriodTotal.account_id == party.id)
    ).all()
    assert sorted(rows) == [("party_member", 20), ("person", 20)]


def test_grid_workers_rank_on_service_only(seeded, ctx):
    grid = ledger.account_for_user(demo_community_id(), user_id_of("grid-1"))
    assert _credit(grid, 5, "svc:1", cause_type="service_log").rank_kinds == "person,grid_worker"
    assert _credit(grid, 5, "claim:g1").rank_kinds == "person"
    db.session.commit()


def test_debit_refuses_beyond_available_and_changes_nothing(acct):
    _credit(acct, 30, "c1")
    db.session.commit()
    with pytest.raises(ledger.InsufficientPoints) as exc:
        _debit(acct, 31, "d1")
    assert exc.value.code == "insufficient_points"
    assert exc.value.details == {"available": 30, "requested": 31}
    db.session.rollback()
    entry = _debit(acct, 30, "d2")
    db.session.commit()
    assert (entry.amount, entry.balance_after, acct.balance, acct.earned) == (-30, 0, 0, 30)
    assert _debit(acct, 30, "d2").id == entry.id  # replay succeeds even though balance is 0
    with pytest.raises(ledger.IdempotencyConflict):
        _debit(acct, 5, "d2")
    db.session.rollback()
    check_invariants(db.session)


@pytest.mark.parametrize("amount", [0, -1, ledger.MAX_AMOUNT + 1, 10**18, True, 1.5, "10", None])
def test_bad_amounts_are_refused(acct, amount):
    for op in (_credit, _debit, _hold):
        with pytest.raises(Unprocessable) as exc:
            op(acct, amount, f"bad:{op.__name__}")
        assert exc.value.code == "invalid_amount"
    db.session.rollback()
    assert _count(LedgerEntry) == 0
    db.session.refresh(acct)
    assert (acct.balance, acct.held, acct.earned) == (0, 0, 0)


def test_bad_reason_key_and_unknown_account(acct):
    with pytest.raises(Unprocessable):
        _credit(acct, 5, "r1", reason="")
    with pytest.raises(Unprocessable):
        _credit(acct, 5, "r1", reason="长" * 201)
    with pytest.raises(Unprocessable):
        _credit(acct, 5, "k" * 161)
    with pytest.raises(NotFound):
        _credit(999999, 5, "ghost")
    db.session.rollback()
    assert _count(LedgerEntry) == 0


def test_hold_release_settle_expire(acct):
    _credit(acct, 100, "c1")
    h1 = _hold(acct, 60, "h1")
    db.session.commit()
    assert (acct.balance, acct.held, acct.available) == (100, 60, 40)
    assert _hold(acct, 60, "h1").id == h1.id  # replay
    with pytest.raises(ledger.InsufficientPoints):
        _hold(acct, 41, "h2")
    with pytest.raises(ledger.InsufficientPoints):
        _debit(acct, 41, "d1")
    db.session.rollback()

    released = ledger.release(h1, reason="取消预约")
    db.session.commit()
    db.session.refresh(acct)
    assert released.status == "released" and (acct.balance, acct.held) == (100, 0)
    with pytest.raises(ledger.HoldNotPending) as exc:
        ledger.settle(h1.id, reason="核销")
    assert exc.value.details["status"] == "released"
    db.session.rollback()

    h2 = _hold(acct, 30, "h2")
    entry = ledger.settle(h2, reason="兑换核销：大米 5kg")
    db.session.commit()
    db.session.refresh(acct)
    assert (entry.kind, entry.amount, entry.balance_after, entry.hold_id) == (
        "settle",
        -30,
        70,
        h2.id,
    )
    assert (acct.balance, acct.held, acct.earned) == (70, 0, 100)
    with pytest.raises(ledger.HoldNotPending):
        ledger.release(h2, reason="取消")
    db.session.rollback()

    h3 = _hold(acct, 10, "h3", expires_at=utcnow() - timedelta(minutes=1))
    _hold(acct, 10, "h4", expires_at=utcnow() + timedelta(hours=1))
    db.session.commit()
    assert ledger.expire_due_holds() == 1
    db.session.commit()
    db.session.refresh(h3)
    db.session.refresh(acct)
    assert h3.status == "expired" and acct.held == 10
    with pytest.raises(NotFound):
        ledger.release(987654, reason="x")
    db.session.rollback()
    check_invariants(db.session)


def test_a_replayed_hold_the_account_could_cover_again_holds_once(acct):
    _credit(acct, 200, "c1")
    first = _hold(acct, 60, "h1")
    db.session.commit()
    # Enough is available for a second hold of 60: the key alone must make it a replay.
    assert _hold(acct, 60, "h1").id == first.id
    db.session.commit()
    db.session.refresh(acct)
    assert (acct.balance, acct.held) == (200, 60)
    with pytest.raises(ledger.IdempotencyConflict):
        _hold(acct, 70, "h1")
    db.session.rollback()
    db.session.refresh(acct)
    assert acct.held == 60
    check_invariants(db.session)


def test_reverse_rules(acct):
    credit = _credit(acct, 50, "c1")
    deduction = _debit(acct, 20, "d1", kind="deduction", cause_type="adjustment")
    db.session.commit()
    assert acct.balance == 30
    with pytest.raises(ledger.InsufficientPoints):  # 30 left, cannot take back 50
        ledger.reverse(credit, reason="误发", idempotency_key="rev:c1", actor_id=None)
    db.session.rollback()
    back = ledger.reverse(deduction, reason="扣分有误", idempotency_key="rev:d1", actor_id=1)
    db.session.commit()
    db.session.refresh(acct)
    assert (back.amount, acct.balance, acct.earned) == (20, 50, 50)
    rev = ledger.reverse(credit, reason="误发", idempotency_key="rev:c1", actor_id=1)
    db.session.commit()
    db.session.refresh(acct)
    assert (rev.amount, rev.rank_month, acct.balance, acct.earned) == (-50, credit.rank_month, 0, 0)
    assert ledger.reverse(credit, reason="误发", idempotency_key="rev:c1", actor_id=1).id == rev.id
    with pytest.raises(ledger.AlreadyReversed):
        ledger.reverse(credit, reason="再次", idempotency_key="rev:c1:again", actor_id=1)
    db.session.rollback()
    with pytest.raises(ledger.EntryNotReversible):
        ledger.reverse(rev, reason="冲正的冲正", idempotency_key="rev:rev", actor_id=1)
    db.session.rollback()
    totals = db.session.scalar(
        select(func.sum(PeriodTotal.points)).where(PeriodTotal.account_id == acct.id)
    )
    assert totals == 0
    check_invariants(db.session)


def test_entries_are_append_only_and_checks_hold(acct):
    entry = _credit(acct, 10, "c1")
    db.session.commit()
    with pytest.raises(DBAPIError):
        db.session.execute(
            text("UPDATE ledger_entries SET amount = 999 WHERE id = :id"), {"id": entry.id}
        )
    db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError):
            db.session.execute(text("DELETE FROM ledger_entries WHERE id = :id"), {"id": entry.id})
        db.session.rollback()
    for bad in ("balance = -1", "held = 11", "held = -1"):
        with pytest.raises(IntegrityError):
            db.session.execute(
                text(f"UPDATE point_accounts SET {bad} WHERE id = :id"), {"id": acct.id}
            )
        db.session.rollback()
    assert db.session.get(LedgerEntry, entry.id).amount == 10
