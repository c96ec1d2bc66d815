"""The ledger under real concurrency: PostgreSQL, threads released together by a Barrier."""

import threading

import pytest
from sqlalchemy import func, select

from server.db.session import db
from server.http.errors import AppError
from server.points import ledger
from server.points.ledger_models import Account, Hold, LedgerEntry
from tests.ledger_helpers import check_invariants, demo_community_id, user_id_of

pytestmark = pytest.mark.postgres


def _run_threads(app, n, work):
    barrier = threading.Barrier(n)
    errors = []

    def runner(i):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                work(i)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors


def _attempt(fn):
    """Run one operation in its own transaction; refusals roll back and count as outcomes."""
    try:
        result = fn()
        db.session.commit()
        return result
    except AppError as exc:
        db.session.rollback()
        return exc


@pytest.fixture
def account_id(app, seeded):
    with app.app_context():
        account = ledger.account_for_user(demo_community_id(), user_id_of("resident-7"))
        ledger.credit(
            account,
            200,
            reason="初始积分",
            idempotency_key="seed:200",
            cause_type="adjustment",
            cause_id="seed",
        )
        db.session.commit()
        yield account.id
        db.session.remove()


def test_fifty_threads_mixed_operations_keep_invariants(app, account_id, query):
    kw = {"cause_type": "claim", "cause_id": "x"}

    def work(i):
        acct = db.session.get(Account, account_id)
        credit = _attempt(
            lambda: ledger.credit(acct, 10, reason="志愿服务", idempotency_key=f"c:{i // 2}", **kw)
        )
        _attempt(lambda: ledger.debit(acct, 7, reason="兑换", idempotency_key=f"d:{i}", **kw))
        hold = _attempt(lambda: ledger.hold(acct, 5, reason="预约", idempotency_key=f"h:{i}", **kw))
        if isinstance(hold, Hold):
            if i % 3 == 0:
                _attempt(lambda: ledger.settle(hold.id, reason="核销"))
            elif i % 3 == 1:
                _attempt(lambda: ledger.release(hold.id, reason="取消"))
            _attempt(lambda: ledger.expire(hold.id))
        if isinstance(credit, LedgerEntry) and i % 4 == 0:
            _attempt(
                lambda: ledger.reverse(
                    credit.id, reason="冲正", idempotency_key=f"r:{credit.id}", actor_id=None
                )
            )
        _attempt(lambda: ledger.debit(acct, 400, reason="大额", idempotency_key=f"big:{i}", **kw))

    _run_threads(app, 50, work)

    def verify(session):
        check_invariants(session)
        account = session.get(Account, account_id)
        keys = session.scalars(select(LedgerEntry.idempotency_key)).all()
        assert len(keys) == len(set(keys))
        assert len([k for k in keys if k.startswith("c:")]) == 25  # 50 threads, 25 keys
        assert account.held == 0  # every hold settled, released or expired
        earned = session.scalar(
            select(func.sum(LedgerEntry.amount)).where(
                LedgerEntry.kind.in_(("credit", "bonus", "import"))
                | ((LedgerEntry.kind == "reversal") & (LedgerEntry.rank_kinds != ""))
            )
        )
        assert account.earned == earned
        statuses = session.scalars(select(Hold.status)).all()
        assert "pending" not in statuses and len(statuses) >= 1
        return account.balance

    assert query(verify) >= 0


def test_concurrent_replays_post_once(app, account_id, query):
    def work(i):
        acct = db.session.get(Account, account_id)
        entry = _attempt(
            lambda: ledger.credit(
                acct,
                15,
                reason="任务完成",
                idempotency_key="same",
                cause_type="task_attendance",
                cause_id=1,
            )
        )
        assert isinstance(entry, LedgerEntry), entry

    _run_threads(app, 20, work)
    assert query(lambda s: s.get(Account, account_id).balance) == 215
    assert query(lambda s: s.scalar(select(func.count()).select_from(LedgerEntry))) == 2
    query(check_invariants)


def test_hold_resolves_exactly_once(app, account_id, query):
    with app.app_context():
        acct = db.session.get(Account, account_id)
        hold_ids = [
            ledger.hold(
                acct,
                10,
                reason="预约",
                idempotency_key=f"h{n}",
                cause_type="redemption",
                cause_id=n,
            ).id
            for n in range(10)
        ]
        db.session.commit()
        db.session.remove()
    outcomes = []

    def work(i):
        hold_id = hold_ids[i % 10]
        action = (
            lambda: ledger.release(hold_id, reason="取消"),
            lambda: ledger.settle(hold_id, reason="核销"),
            lambda: ledger.expire(hold_id),
        )[i // 10]
        outcomes.append((hold_id, not isinstance(_attempt(action), AppError)))

    _run_threads(app, 30, work)
    wins = {}
    for hold_id, won in outcomes:
        wins[hold_id] = wins.get(hold_id, 0) + int(won)
    assert wins == {h: 1 for h in hold_ids}
    query(check_invariants)
    settled = query(lambda s: s.scalar(select(func.count()).where(Hold.status == "settled")))
    entries = query(lambda s: s.scalar(select(func.count()).where(LedgerEntry.kind == "settle")))
    assert settled == entries
