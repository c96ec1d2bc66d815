"""The ledger under real concurrency: PostgreSQL, threads released together by a Barrier."""

import threading
import time

import pytest
from sqlalchemy import func, select

from server.db.session import db
from server.http.errors import AppError
from server.points import ledger
from server.points.ledger_models import Account, Hold, LedgerEntry
from tests.ledger_helpers import check_invariants, demo_community_id, service_step, user_id_of

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("write_path")]


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


_attempt = service_step  # one operation in its own transaction; refusals are outcomes


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


def test_concurrent_spenders_never_overdraw(app, account_id, query):
    """200 points, 20 spenders of 30 each (half debit, half hold): exactly 6 get through."""
    outcomes = []

    def work(i):
        acct = db.session.get(Account, account_id)
        op = ledger.debit if i % 2 else ledger.hold
        kw = {"reason": "兑换", "cause_type": "redemption", "cause_id": i}
        result = _attempt(lambda: op(acct, 30, idempotency_key=f"s:{i}", **kw))
        outcomes.append(type(result).__name__)

    _run_threads(app, 20, work)
    # Which six get through is the race's choice (all six may be debits, or all holds).
    assert outcomes.count("InsufficientPoints") == 14
    assert set(outcomes) <= {"Hold", "InsufficientPoints", "LedgerEntry"}
    balance, held = query(lambda s: (lambda a: (a.balance, a.held))(s.get(Account, account_id)))
    assert balance - held == 200 - 6 * 30
    query(check_invariants)


def test_concurrent_replays_of_one_hold_hold_once(app, account_id, query):
    ids = []

    def work(i):
        acct = db.session.get(Account, account_id)
        held = _attempt(
            lambda: ledger.hold(
                acct, 50, reason="预约", idempotency_key="tap", cause_type="redemption", cause_id=1
            )
        )
        assert isinstance(held, Hold), held
        ids.append(held.id)

    _run_threads(app, 20, work)
    assert len(set(ids)) == 1
    assert query(lambda s: s.get(Account, account_id).held) == 50
    query(check_invariants)


def test_a_settle_waiting_on_the_account_draws_its_entry_id_after_the_lock(app, account_id):
    """Entry ids follow balance_after: the settle's id is drawn once the account is its own.

    A credit holds the account row; a settle of one of its holds waits for it; the credit
    posts a second entry and commits. The settle's entry must come after both by id.
    """
    kw = {"reason": "志愿服务", "cause_type": "claim", "cause_id": "x"}
    with app.app_context():
        hold_id = ledger.hold(
            account_id, 30, reason="预约", idempotency_key="r1", cause_type="redemption", cause_id=1
        ).id
        db.session.commit()
        done = []

        def settle_in_another_transaction():
            with app.app_context():
                try:
                    done.append(ledger.settle(hold_id, reason="核销").id)
                    db.session.commit()
                finally:
                    db.session.remove()

        ledger.credit(account_id, 5, idempotency_key="c2", **kw)  # locks the account row
        waiting = threading.Thread(target=settle_in_another_transaction)
        waiting.start()
        time.sleep(0.5)  # the settle has resolved its hold and waits for the account
        assert not done
        ledger.credit(account_id, 5, idempotency_key="c3", **kw)
        db.session.commit()
        waiting.join(timeout=30)
        assert done
        rows = db.session.execute(
            select(LedgerEntry.id, LedgerEntry.amount, LedgerEntry.balance_after)
            .where(LedgerEntry.account_id == account_id)
            .order_by(LedgerEntry.id)
        ).all()
        assert [(amount, after) for _, amount, after in rows] == [
            (200, 200),
            (5, 205),
            (5, 210),
            (-30, 180),
        ]
        assert rows[-1].id == done[0]
        check_invariants(db.session)
        db.session.remove()
