"""Settle, verify and reserve in fewer round trips: the same rows, answers and refusals.

On PostgreSQL ledger.settle is one statement (ledger.settle_ctes), verification's whole write
is one statement built on it, and reserve inserts its row with the context read; SQLite runs
the same steps one statement at a time. These tests run on both and pin what the shortcuts
must not change: the rows written, the refusals (and that a refusal writes nothing), the
session state the ledger leaves behind, and entry ids in balance order.
"""

import threading
import time
from contextlib import contextmanager
from datetime import datetime

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.dialects.postgresql import psycopg

from server.db.audit import AuditLog
from server.db.session import db
from server.http.errors import NotFound, Unprocessable
from server.notify.models import OutboxEvent
from server.points import ledger
from server.points.ledger_models import Account, Hold, LedgerEntry
from server.rewards import hot_statements
from server.rewards.models import Offer, Redemption
from server.rewards.periods import local_today, period_key
from tests.conftest import error_code
from tests.ledger_helpers import check_invariants, demo_community_id, user_id_of
from tests.test_rewards_support import give_points, make_offer, redemption

R = "/api/v1/redemptions"
VERIFY = "/api/v1/merchant/verify"


@contextmanager
def _statements():
    """The SQL statements run inside the block (the app context's engine)."""
    seen = []

    def count(conn, cursor, statement, params, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


# ---------------------------------------------------------------- ledger.settle


@pytest.fixture
def acct(seeded, ctx):
    account = ledger.account_for_user(demo_community_id(), user_id_of("resident-5"))
    ledger.credit(
        account,
        100,
        reason="志愿服务",
        idempotency_key="c1",
        cause_type="claim",
        cause_id="c1",
    )
    db.session.commit()
    return account


def _hold(account, amount, key):
    return ledger.hold(
        account,
        amount,
        reason="兑换预约：大米",
        idempotency_key=key,
        cause_type="redemption",
        cause_id=key,
        actor_id=7,
    )


def test_settle_writes_what_the_steps_wrote_and_updates_the_session(acct):
    held = _hold(acct, 30, "r1")
    db.session.commit()
    assert held.status == "pending"  # loaded again after the commit, before counting
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
    assert stored.created_at == db.session.get(Hold, held.id).resolved_at
    assert db.session.get(Hold, held.id).settle_entry_id == entry.id
    check_invariants(db.session)


def test_settle_refuses_as_before_and_writes_nothing(acct):
    held = _hold(acct, 30, "r1")
    db.session.commit()
    ledger.release(held.id, reason="取消")
    db.session.commit()
    entries = db.session.scalar(select(func.count(LedgerEntry.id)))
    with pytest.raises(ledger.HoldNotPending) as refused:
        ledger.settle(held.id, reason="核销")
    assert refused.value.details == {"hold_id": held.id, "status": "released"}
    with pytest.raises(NotFound) as missing:
        ledger.settle(held.id + 1000, reason="核销")
    assert missing.value.code == "hold_not_found"
    with pytest.raises(Unprocessable):
        ledger.settle(held.id, reason=" ")
    db.session.rollback()
    assert db.session.scalar(select(func.count(LedgerEntry.id))) == entries
    db.session.refresh(acct)
    assert (acct.balance, acct.held) == (100, 0)


@pytest.mark.postgres
def test_a_settle_waiting_on_the_account_draws_its_entry_id_after_the_lock(app, acct):
    """Entry ids follow balance_after: the settle's id is drawn once the account is its own.

    A credit holds the account row; a settle of one of its holds waits for it; the credit
    posts a second entry and commits. The settle's entry must come after both by id.
    """
    held = _hold(acct, 30, "r1")
    db.session.commit()
    account_id, hold_id = acct.id, held.id
    done = []

    def settle_in_another_transaction():
        with app.app_context():
            try:
                done.append(ledger.settle(hold_id, reason="核销").id)
                db.session.commit()
            finally:
                db.session.remove()

    kw = {"reason": "志愿服务", "cause_type": "claim", "cause_id": "x"}
    ledger.credit(acct, 5, idempotency_key="c2", **kw)  # locks the account row until commit
    waiting = threading.Thread(target=settle_in_another_transaction)
    waiting.start()
    time.sleep(0.5)  # the settle has locked its hold and waits for the account
    assert not done
    ledger.credit(acct, 5, idempotency_key="c3", **kw)
    db.session.commit()
    waiting.join(timeout=30)
    assert done
    db.session.expire_all()
    rows = db.session.execute(
        select(LedgerEntry.id, LedgerEntry.amount, LedgerEntry.balance_after)
        .where(LedgerEntry.account_id == account_id)
        .order_by(LedgerEntry.id)
    ).all()
    assert [(amount, after) for _, amount, after in rows] == [
        (100, 100),
        (5, 105),
        (5, 110),
        (-30, 80),
    ]
    assert rows[-1].id == done[0]
    check_invariants(db.session)


# ---------------------------------------------------------------- verify


def _reserve(api, app, identity="resident-1", points=30):
    offer = make_offer(app, title="大米", points_cost=points, stock=5)
    give_points(app, identity, 100)
    made = api.post(R, identity, json={"offer_id": offer})
    assert made.status_code == 201, made.get_json()
    rid = made.get_json()["id"]
    token = api.get(f"{R}/{rid}/code", identity).get_json()["token"]
    return offer, rid, token


def _counts(query):
    return query(
        lambda s: (
            s.scalar(select(func.count(LedgerEntry.id))),
            s.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "redemption.verify")),
            s.scalar(
                select(func.count(OutboxEvent.id)).where(
                    OutboxEvent.event_type == "redemption.redeemed"
                )
            ),
        )
    )


def test_verify_is_two_statements_on_postgresql(api, app, seeded, query):
    offer, rid, token = _reserve(api, app)
    api.headers("merchant-1")
    with app.app_context():
        with _statements() as seen:
            assert api.post(VERIFY, "merchant-1", json={"token": token}).status_code == 200
        postgres = _postgres()
    # The scan (with the caller's active flag) and one write in autocommit; SQLite: BEGIN,
    # the scan, the guard, settle in 4 and the finish in 3.
    assert len(seen) == (2 if postgres else 10), seen
    r = redemption(query, rid)
    hold = query(lambda s: s.get(Hold, r.hold_id))
    entry = query(lambda s: s.get(LedgerEntry, r.debit_entry_id))
    assert hold.status == "settled" and hold.settle_entry_id == entry.id
    assert hold.resolved_at == entry.created_at >= r.redeemed_at
    assert (entry.hold_id, entry.amount, entry.actor_id, entry.reason) == (
        hold.id,
        -30,
        r.redeemed_by,
        "兑换：大米",
    )
    with app.app_context():
        check_invariants(db.session)


def test_the_profile_shows_a_verification_at_once(api, app, seeded, query):
    """On PostgreSQL the write commits outside the session: the profile version is bumped."""
    offer, rid, token = _reserve(api, app)

    def points():
        return api.get("/api/v1/me", "resident-1").get_json()["points"]

    assert points() == {"balance": 100, "held": 30, "available": 70}  # cached, with Redis
    assert api.post(VERIFY, "merchant-1", json={"token": token}).status_code == 200
    assert points() == {"balance": 70, "held": 0, "available": 70}


def test_verify_in_a_callers_transaction_commits_it(api, app, seeded, query):
    """A service caller's open transaction keeps the transactional path, on both databases."""
    from server.rewards import verify as service

    offer, rid, token = _reserve(api, app)
    with app.app_context():
        staff = user_id_of("merchant-1")  # opens the session's transaction
        assert db.session().in_transaction()
        verified = service.verify(staff, token)
        assert not db.session().in_transaction()  # committed
        db.session.remove()
    assert verified.status == "redeemed"
    assert redemption(query, rid).status == "redeemed"
    with app.app_context():
        check_invariants(db.session)


def test_a_hold_that_is_no_longer_pending_refuses_verify_and_writes_nothing(
    api, app, seeded, query
):
    offer, rid, token = _reserve(api, app)
    hold_id = redemption(query, rid).hold_id
    with app.app_context():  # out of band: the hold resolved while the redemption is reserved
        ledger.release(hold_id, reason="人工退回")
        db.session.commit()
    before = _counts(query)
    resp = api.post(VERIFY, "merchant-1", json={"token": token})
    assert resp.status_code == 409 and error_code(resp) == "hold_not_pending"
    assert resp.get_json()["error"]["details"] == {"hold_id": hold_id, "status": "released"}
    r = redemption(query, rid)
    assert (r.status, r.redeemed_at, r.redeemed_by, r.debit_entry_id) == (
        "reserved",
        None,
        None,
        None,
    )
    assert _counts(query) == before


def test_verify_refusals_after_the_scan_write_nothing(api, app, seeded, query):
    offer, rid, token = _reserve(api, app)
    with app.app_context():  # expired since it was reserved: the write re-checks
        db.session.execute(
            update(Redemption).where(Redemption.id == rid).values(expires_at=Redemption.created_at)
        )
        db.session.commit()
    before = _counts(query)
    resp = api.post(VERIFY, "merchant-1", json={"token": token})
    assert resp.status_code == 409 and error_code(resp) == "redemption_expired"
    assert _counts(query) == before
    assert query(lambda s: s.get(Hold, redemption(query, rid).hold_id)).status == "pending"


def test_verify_statement_stays_short_enough_for_psycopg_to_cache():
    """psycopg re-parses every statement over 4096 bytes on every execution."""
    dialect = psycopg.dialect()
    for name, stmt in (
        ("verify", hot_statements.statements("postgresql").verify_at_once[0]),
        ("reserve", hot_statements.statements("postgresql").reserve_inserting),
    ):
        assert len(str(stmt.compile(dialect=dialect)).encode()) <= 4096, name


# ---------------------------------------------------------------- reserve


def test_reserve_inserts_with_its_context_and_refusals_keep_nothing(api, app, seeded, query):
    offer = make_offer(app, points_cost=30, stock=2, limit_per_person=1, limit_period="quarter")
    give_points(app, "resident-1", 100)
    api.headers("resident-1")
    with app.app_context():
        with _statements() as seen:
            made = api.post(R, "resident-1", json={"offer_id": offer})
        postgres = _postgres()
    assert made.status_code == 201, made.get_json()
    # PostgreSQL: one autocommit statement (tests/test_reserve_at_once.py). SQLite: BEGIN,
    # context, insert, limit slot, hold (two) and the finish as three.
    assert len(seen) == (1 if postgres else 9), seen
    body = made.get_json()
    r = redemption(query, body["id"])
    today = local_today(datetime.fromisoformat(body["created_at"]))
    assert r.period_key == period_key(today, "quarter")
    assert r.counted is True and r.points == 30 and r.client_key is None

    rows = query(lambda s: s.scalar(select(func.count(Redemption.id))))
    give_points(app, "resident-2", 100)
    refused = api.post(R, "resident-1", json={"offer_id": offer})
    assert refused.status_code == 409 and error_code(refused) == "limit_reached"
    assert api.post(R, "resident-2", json={"offer_id": offer}).status_code == 201
    rows += 1
    refused = api.post(R, "resident-3", json={"offer_id": offer})
    assert refused.status_code == 409 and error_code(refused) == "out_of_stock"
    poor = make_offer(app, points_cost=500, stock=3)
    refused = api.post(R, "resident-1", json={"offer_id": poor})
    assert refused.status_code == 409 and error_code(refused) == "insufficient_points"
    assert query(lambda s: s.scalar(select(func.count(Redemption.id)))) == rows
    assert query(lambda s: s.get(Offer, poor).stock) == 3
    with app.app_context():
        check_invariants(db.session)


def test_a_replayed_key_inserts_nothing_new(api, app, seeded, query):
    offer = make_offer(app, points_cost=10, stock=5)
    give_points(app, "resident-1", 100)
    headers = {"Idempotency-Key": "one-trip-1"}
    first = api.post(R, "resident-1", json={"offer_id": offer}, headers=headers)
    again = api.post(R, "resident-1", json={"offer_id": offer}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    other = make_offer(app, points_cost=10, stock=5)
    reused = api.post(R, "resident-1", json={"offer_id": other}, headers=headers)
    assert reused.status_code == 422 and error_code(reused) == "idempotency_key_reused"
    assert query(lambda s: s.scalar(select(func.count(Redemption.id)))) == 1
    held = query(
        lambda s: s.scalar(select(func.sum(Account.held)).where(Account.holder_type == "user"))
    )
    assert held == 10


def test_a_refused_reserve_leaves_nothing_for_the_next_commit(app, seeded, query):
    """On PostgreSQL the row is written before the checks; the service itself takes it back."""
    from server.rewards import redemption as service

    offer = make_offer(app, points_cost=500, stock=3)
    give_points(app, "resident-1", 100)
    with app.app_context():
        with pytest.raises(ledger.InsufficientPoints):
            service.reserve(user_id_of("resident-1"), offer)
        db.session.commit()  # a careless caller commits whatever the session still holds
        db.session.remove()
    assert query(lambda s: s.scalar(select(func.count(Redemption.id)))) == 0
    assert query(lambda s: s.get(Offer, offer).stock) == 3
