"""Reserve losing a race on PostgreSQL: each step's gate re-checks the row it waited for.

A blocker changes one row in a transaction of its own; the reservation starts meanwhile (its
read sees the old row and passes), reaches that row and waits for its lock; the blocker
commits. Under READ COMMITTED the waiting UPDATE re-checks its WHERE on the committed row, so
the step refuses, and the whole reservation rolls back: no redemption, counter, hold, held
points, stock or event is kept, and the resident hears what the state now says.
"""

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from server.db.session import db
from server.db.types import utcnow
from server.http.errors import AppError
from server.outbox.models import OutboxEvent
from server.platform.localtime import local_today
from server.points.ledger import Account, Hold
from server.rewards import redemption as service
from server.rewards.models import Offer, Redemption, RedemptionCounter
from server.rewards.periods import period_key
from tests.ledger_helpers import check_invariants
from tests.rewards.test_rewards_support import (
    demo_community_id,
    give_points,
    make_offer,
    user_id,
)

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("write_path")]


def _written(query) -> tuple:
    """Everything a reservation writes, counted."""
    return query(
        lambda s: (
            s.scalar(select(func.count(Redemption.id))),
            s.scalar(select(func.count(Hold.id))),
            s.scalar(select(func.coalesce(func.sum(Account.held), 0))),
            s.scalar(select(func.coalesce(func.sum(Offer.stock), 0))),
            s.scalar(select(func.coalesce(func.sum(RedemptionCounter.used), 0))),
            s.scalar(
                select(func.count(OutboxEvent.id)).where(
                    OutboxEvent.event_type == "redemption.reserved"
                )
            ),
        )
    )


def _wait_until_blocked(query, timeout: float = 10.0) -> None:
    """Until another backend of this database waits for a lock."""
    sql = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if query(lambda s: s.scalar(sql)):
            return
        time.sleep(0.02)
    raise AssertionError("nobody waited for the lock")


def _race(app, query, uid: int, offer: int, *blocker, client_key=None):
    """Reserve while `blocker` (uncommitted, in a transaction of its own) holds a row; the
    reservation's answer: (created, reservation) or the refusal's code."""
    answers = []

    def reserve():
        with app.app_context():
            try:
                answers.append(service.reserve(uid, offer, client_key=client_key))
            except AppError as error:
                answers.append(error.code)
            finally:
                db.session.remove()

    with app.app_context():
        for stmt in blocker:
            if isinstance(stmt, Redemption):
                db.session.add(stmt)
                db.session.flush()
            else:
                db.session.execute(stmt)
        thread = threading.Thread(target=reserve)
        thread.start()
        _wait_until_blocked(query)
        db.session.commit()
        db.session.remove()
    thread.join(timeout=30)
    return answers[0]


def _setup(app, query, **offer_fields):
    offer = make_offer(app, points_cost=30, stock=5, limit_per_person=2, **offer_fields)
    give_points(app, "resident-1", 100)
    return user_id(query, "resident-1"), offer


def _invariants(app):
    with app.app_context():
        check_invariants(db.session)
        db.session.remove()


def test_the_last_item_taken_meanwhile_rolls_every_step_back(app, seeded, query):
    uid, offer = _setup(app, query)
    with app.app_context():
        db.session.execute(update(Offer).where(Offer.id == offer).values(stock=1))
        db.session.commit()
        db.session.remove()
    before = _written(query)
    taken = update(Offer).where(Offer.id == offer).values(stock=Offer.stock - 1)
    assert _race(app, query, uid, offer, taken) == "out_of_stock"
    counts = list(before)
    counts[3] -= 1  # the blocker's own stock change
    assert _written(query) == tuple(counts)
    _invariants(app)


def test_an_offer_withdrawn_meanwhile_is_refused_by_the_gate(app, seeded, query):
    uid, offer = _setup(app, query)
    before = _written(query)
    withdrawn = update(Offer).where(Offer.id == offer).values(active=False)
    assert _race(app, query, uid, offer, withdrawn) == "offer_inactive"
    assert _written(query) == before


def test_points_spent_meanwhile_roll_the_limit_slot_back(app, seeded, query):
    uid, offer = _setup(app, query)
    before = _written(query)
    spent = update(Account).where(Account.holder_id == uid).values(held=Account.balance)
    assert _race(app, query, uid, offer, spent) == "insufficient_points"
    counts = list(before)
    counts[2] += 100  # the blocker's own held change
    assert _written(query) == tuple(counts)  # no counter, hold, row, stock or event kept


def test_a_limit_used_up_meanwhile_rolls_every_step_back(app, seeded, query):
    uid, offer = _setup(app, query)
    month = period_key(local_today(), "month")
    with app.app_context():
        db.session.add(RedemptionCounter(user_id=uid, offer_id=offer, period_key=month, used=1))
        db.session.commit()
        db.session.remove()
    before = _written(query)
    used_up = update(RedemptionCounter).where(RedemptionCounter.user_id == uid).values(used=2)
    assert _race(app, query, uid, offer, used_up) == "limit_reached"
    counts = list(before)
    counts[4] += 1  # the blocker's own counter change
    assert _written(query) == tuple(counts)


def test_a_double_tap_committed_meanwhile_is_replayed(app, seeded, query):
    """The first tap's row is uncommitted when the second inserts: the second waits on the
    unique key, then replays the first answer."""
    uid, offer = _setup(app, query)
    now = utcnow()
    first = Redemption(
        community_id=demo_community_id(query),
        user_id=uid,
        offer_id=offer,
        merchant_id=query(lambda s: s.get(Offer, offer).merchant_id),
        points=30,
        period_key=period_key(local_today(now), "month"),
        counted=False,
        client_key="tap",
        expires_at=now + timedelta(days=7),
        created_at=now,
    )
    replayed, created = _race(app, query, uid, offer, first, client_key="tap")
    assert not created and replayed.status == "reserved"
    assert query(lambda s: s.scalar(select(func.count(Redemption.id)))) == 1
    # Only the first tap's row: the second took no slot, hold, held points or stock.
    assert _written(query)[1:3] == (0, 0) and _written(query)[4] == 0
    assert query(lambda s: s.get(Offer, offer).stock) == 5
