"""Ledger holds: hold, settle, release, expire, expire_due_holds - each resolves exactly once."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.db.session import db
from server.db.types import utcnow
from server.http.errors import NotFound, Unprocessable
from server.points import ledger
from server.points.ledger_models import Hold, LedgerEntry, PeriodTotal
from tests.ledger_helpers import (
    check_invariants,
    count_rows,
    demo_community_id,
    post_credit,
    post_debit,
    post_hold,
    user_id_of,
)

pytestmark = pytest.mark.usefixtures("write_path")


@pytest.fixture
def acct(seeded, ctx):
    """resident-5's account in the demo community, with 100 points."""
    account = ledger.account_for_user(demo_community_id(), user_id_of("resident-5"))
    post_credit(account, 100, "c1")
    db.session.commit()
    return account


def _state(account) -> tuple[int, int, int]:
    db.session.refresh(account)
    return account.balance, account.held, account.earned


def test_hold_reserves_available_points_once_per_key(acct):
    h1 = post_hold(acct, 60, "h1", actor_id=4)
    db.session.commit()
    assert (acct.balance, acct.held, acct.available) == (100, 60, 40)
    assert (h1.status, h1.amount, h1.actor_id, h1.resolved_at) == ("pending", 60, 4, None)
    assert post_hold(acct, 60, "h1").id == h1.id  # replay, though 40 could not cover it again
    with pytest.raises(ledger.InsufficientPoints) as exc:
        post_hold(acct, 41, "h2")
    assert exc.value.details == {"available": 40, "requested": 41}
    with pytest.raises(ledger.InsufficientPoints):
        post_debit(acct, 41, "d1")
    with pytest.raises(ledger.IdempotencyConflict):
        post_hold(acct, 30, "h1")
    other = ledger.account_for_user(acct.community_id, user_id_of("resident-6"))
    with pytest.raises(ledger.IdempotencyConflict):
        post_hold(other, 60, "h1")
    db.session.rollback()
    assert _state(acct) == (100, 60, 100) and count_rows(Hold) == 1
    check_invariants(db.session)


def test_a_replayed_hold_the_account_could_cover_again_holds_once(acct):
    post_credit(acct, 100, "c2")
    first = post_hold(acct, 60, "h1")
    db.session.commit()
    # Enough is available for a second hold of 60: the key alone must make it a replay.
    assert post_hold(acct, 60, "h1").id == first.id
    db.session.commit()
    assert _state(acct) == (200, 60, 200)
    with pytest.raises(ledger.IdempotencyConflict):
        post_hold(acct, 70, "h1")
    db.session.rollback()
    assert _state(acct)[1] == 60
    check_invariants(db.session)


def test_settle_debits_the_held_points_and_updates_the_session(acct):
    held = post_hold(acct, 30, "r1", actor_id=7)
    db.session.commit()
    assert held.status == "pending"  # loaded again after the commit
    entry = ledger.settle(held, reason=" 兑换：大米 ", actor_id=9)
    # The objects in the session carry the new state without being read again.
    assert (acct.balance, acct.held, acct.earned) == (70, 0, 100)
    assert held.status == "settled" and held.settle_entry_id == entry.id
    assert held.resolution_reason == "兑换：大米" and held.resolved_at is not None
    assert (entry.kind, entry.amount, entry.balance_after, entry.hold_id) == (
        "settle",
        -30,
        70,
        held.id,
    )
    assert (entry.account_id, entry.actor_id, entry.reason) == (acct.id, 9, "兑换：大米")
    assert (entry.cause_type, entry.cause_id) == ("redemption", "r1")
    assert entry.idempotency_key == f"hold:{held.id}:settle"
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(LedgerEntry, entry.id)
    assert (stored.amount, stored.balance_after, stored.rank_kinds, stored.rank_month) == (
        -30,
        70,
        "",
        None,
    )
    hold = db.session.get(Hold, held.id)
    assert (hold.status, hold.settle_entry_id) == ("settled", entry.id)
    assert stored.created_at == hold.resolved_at
    # A settle spends points; it does not lower a ranking.
    person = db.session.scalar(select(PeriodTotal.points).where(PeriodTotal.account_id == acct.id))
    assert person == 100
    check_invariants(db.session)


def test_settle_refusals_write_nothing(acct):
    held = post_hold(acct, 30, "r1")
    db.session.commit()
    ledger.release(held.id, reason="取消")
    db.session.commit()
    entries = count_rows(LedgerEntry)
    with pytest.raises(ledger.HoldNotPending) as refused:
        ledger.settle(held.id, reason="核销")
    assert refused.value.details == {"hold_id": held.id, "status": "released"}
    with pytest.raises(NotFound) as missing:
        ledger.settle(held.id + 1000, reason="核销")
    assert missing.value.code == "hold_not_found"
    with pytest.raises(Unprocessable):
        ledger.settle(held.id, reason=" ")
    db.session.rollback()
    assert count_rows(LedgerEntry) == entries
    assert _state(acct) == (100, 0, 100)


def test_release_gives_the_points_back_once(acct):
    held = post_hold(acct, 60, "h1")
    db.session.commit()
    released = ledger.release(held, reason=" 取消预约 ", actor_id=2)
    assert released is held  # the object in the session, brought up to date
    assert (held.status, held.resolution_reason) == ("released", "取消预约")
    assert (acct.balance, acct.held) == (100, 0)
    db.session.commit()
    assert _state(acct) == (100, 0, 100)
    for again in (
        lambda: ledger.release(held, reason="再次取消"),
        lambda: ledger.settle(held.id, reason="核销"),
        lambda: ledger.expire(held.id),
    ):
        with pytest.raises(ledger.HoldNotPending) as exc:
            again()
        assert exc.value.details["status"] == "released"
        db.session.rollback()
    with pytest.raises(NotFound):
        ledger.release(987654, reason="取消")
    with pytest.raises(Unprocessable):
        ledger.release(held.id, reason="")
    db.session.rollback()
    assert _state(acct) == (100, 0, 100) and count_rows(LedgerEntry) == 1
    check_invariants(db.session)


def test_expire_gives_the_points_back_and_loses_to_an_earlier_settle(acct):
    first = post_hold(acct, 40, "h1")
    second = post_hold(acct, 20, "h2")
    db.session.commit()
    expired = ledger.expire(first.id)
    db.session.commit()
    assert (expired.id, expired.status) == (first.id, "expired")
    assert expired.resolution_reason == "冻结已过期，积分已退回"
    assert _state(acct) == (100, 20, 100)
    ledger.settle(second, reason="核销")
    db.session.commit()
    with pytest.raises(ledger.HoldNotPending) as exc:
        ledger.expire(second.id)
    assert exc.value.details["status"] == "settled"
    db.session.rollback()
    assert _state(acct) == (80, 0, 100)
    check_invariants(db.session)


def test_expire_due_holds_expires_only_pending_holds_past_their_time(acct):
    now = utcnow()
    due = post_hold(acct, 10, "h1", expires_at=now - timedelta(minutes=1))
    post_hold(acct, 10, "h2", expires_at=now + timedelta(hours=1))
    post_hold(acct, 10, "h3")  # no expiry
    settled = post_hold(acct, 10, "h4", expires_at=now - timedelta(minutes=5))
    ledger.settle(settled, reason="核销")
    db.session.commit()
    assert ledger.expire_due_holds() == 1
    db.session.commit()
    db.session.refresh(due)
    assert due.status == "expired"
    assert _state(acct) == (90, 20, 100)
    assert ledger.expire_due_holds() == 0
    later = now + timedelta(hours=2)
    assert ledger.expire_due_holds(now=later) == 1  # h2's time has come
    db.session.commit()
    statuses = db.session.execute(select(Hold.idempotency_key, Hold.status)).all()
    assert sorted(statuses) == [
        ("h1", "expired"),
        ("h2", "expired"),
        ("h3", "pending"),
        ("h4", "settled"),
    ]
    check_invariants(db.session)


def test_expire_due_holds_works_in_batches(acct):
    past = utcnow() - timedelta(minutes=1)
    for n in range(5):
        post_hold(acct, 5, f"h{n}", expires_at=past)
    db.session.commit()
    assert ledger.expire_due_holds(limit=2) == 2
    assert ledger.expire_due_holds(limit=10) == 3
    db.session.commit()
    pending = db.session.scalar(select(func.count()).where(Hold.status == "pending"))
    assert pending == 0 and _state(acct) == (100, 0, 100)
