"""Reserve as ONE autocommit statement on PostgreSQL (server/rewards/reserve_at_once.py).

That statement commits whatever its checks let through before Python sees anything, so these
tests pin what it must never do: be laxer than the transactional path's checks, keep any step
when a later one loses a race, write anything the transactional path would not, or swallow an
error that is not its own. The same service on SQLite only has the transactional path.
"""

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import delete, event, func, select, text, update

from server.auth.models import User
from server.community.models import Membership
from server.db.session import db
from server.db.types import utcnow
from server.http.errors import AppError
from server.notify.models import OutboxEvent
from server.points.ledger_models import Account, Hold
from server.rewards import redemption as service
from server.rewards import reserve_at_once
from server.rewards.models import Merchant, Offer, Redemption, RedemptionCounter, RedemptionWindow
from server.rewards.periods import local_today, period_key
from tests.ledger_helpers import check_invariants, demo_community_id, user_id_of
from tests.test_rewards_support import give_points, make_offer

pytestmark = pytest.mark.postgres

R = "/api/v1/redemptions"


def _params(app, user_id: int, offer_id: int, client_key: str | None = None) -> dict:
    with app.app_context():  # the reservation's lifetime is a setting
        return service.at_once_params(user_id, offer_id, client_key, utcnow())


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


def _uid(app, identity: str) -> int:
    with app.app_context():
        try:
            return user_id_of(identity)
        finally:
            db.session.remove()


def _change(app, *statements) -> None:
    with app.app_context():
        for stmt in statements:
            db.session.execute(stmt)
        db.session.commit()
        db.session.remove()


def _one_statement(app, params: dict):
    with app.app_context():
        try:
            return reserve_at_once.run(params)
        finally:
            db.session.remove()


# ---------------------------------------------------------------- never laxer than Python


def _inactive(app, offer):
    _change(app, update(User).where(User.id == _uid(app, "resident-1")).values(is_active=False))
    return "resident-1", offer, None, "token_invalid"


def _not_a_member(app, offer):
    uid = _uid(app, "resident-1")
    _change(app, delete(Membership).where(Membership.user_id == uid))
    return "resident-1", offer, None, "not_a_member"


def _no_such_offer(app, offer):
    return "resident-1", offer + 1000, None, "offer_not_found"


def _merchant_suspended(app, offer):
    merchant = select(Offer.merchant_id).where(Offer.id == offer).scalar_subquery()
    _change(app, update(Merchant).where(Merchant.id == merchant).values(status="suspended"))
    return "resident-1", offer, None, "merchant_unavailable"


def _inactive_offer(app, offer):
    _change(app, update(Offer).where(Offer.id == offer).values(active=False))
    return "resident-1", offer, None, "offer_inactive"


def _not_started(app, offer):
    tomorrow = local_today() + timedelta(days=1)
    _change(app, update(Offer).where(Offer.id == offer).values(valid_from=tomorrow))
    return "resident-1", offer, None, "offer_not_started"


def _ended(app, offer):
    yesterday = local_today() - timedelta(days=1)
    _change(app, update(Offer).where(Offer.id == offer).values(valid_until=yesterday))
    return "resident-1", offer, None, "offer_ended"


def _window_closed(app, offer):
    starts = local_today() + timedelta(days=10)
    window = RedemptionWindow(
        community_id=_community(app), starts_on=starts, ends_on=starts + timedelta(days=6), note=""
    )
    with app.app_context():
        db.session.add(window)
        db.session.commit()
        db.session.remove()
    return "resident-1", offer, None, "redemption_window_closed"


def _sold_out(app, offer):
    _change(app, update(Offer).where(Offer.id == offer).values(stock=0))
    return "resident-1", offer, None, "out_of_stock"


def _too_poor(app, offer):
    return "resident-2", offer, None, "insufficient_points"  # only resident-1 has points


def _limit_reached(app, offer):
    _change(app, update(Offer).where(Offer.id == offer).values(limit_per_person=1))
    counter = RedemptionCounter(
        user_id=_uid(app, "resident-1"),
        offer_id=offer,
        period_key=period_key(local_today(), "month"),
        used=1,
    )
    with app.app_context():
        db.session.add(counter)
        db.session.commit()
        db.session.remove()
    return "resident-1", offer, None, "limit_reached"


def _community(app) -> int:
    with app.app_context():
        try:
            return demo_community_id()
        finally:
            db.session.remove()


REFUSALS = [
    _inactive,
    _not_a_member,
    _no_such_offer,
    _merchant_suspended,
    _inactive_offer,
    _not_started,
    _ended,
    _window_closed,
    _sold_out,
    _too_poor,
    _limit_reached,
]


@pytest.mark.parametrize("scenario", REFUSALS, ids=lambda f: f.__name__.strip("_"))
def test_every_refusal_commits_nothing_and_leaves_the_answer_to_python(
    api, app, seeded, query, scenario
):
    offer = make_offer(app, points_cost=30, stock=5)
    give_points(app, "resident-1", 100)
    api.headers("resident-1"), api.headers("resident-2")  # log in before any user changes
    identity, offer_id, key, code = scenario(app, offer)
    before = _written(query)
    assert _one_statement(app, _params(app, _uid(app, identity), offer_id, key)) is None
    assert _written(query) == before
    resp = api.post(R, identity, json={"offer_id": offer_id})
    assert resp.status_code in (401, 403, 404, 409), resp.get_json()
    assert resp.get_json()["error"]["code"] == code
    assert _written(query) == before


def test_a_key_seen_before_replays_through_python(api, app, seeded, query):
    offer = make_offer(app, points_cost=30, stock=5)
    give_points(app, "resident-1", 100)
    headers = {"Idempotency-Key": "tap-1"}
    first = api.post(R, "resident-1", json={"offer_id": offer}, headers=headers)
    assert first.status_code == 201
    before = _written(query)
    assert _one_statement(app, _params(app, _uid(app, "resident-1"), offer, "tap-1")) is None
    again = api.post(R, "resident-1", json={"offer_id": offer}, headers=headers)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert _written(query) == before


def test_a_first_reservation_without_an_account_takes_the_transactional_path(app, seeded, query):
    offer = make_offer(app, points_cost=30, stock=5)
    uid = _uid(app, "resident-3")  # never credited: no account in the community yet
    accounts = select(func.count(Account.id)).where(Account.holder_id == uid)
    assert query(lambda s: s.scalar(accounts)) == 0
    assert _one_statement(app, _params(app, uid, offer)) is None
    with app.app_context(), pytest.raises(AppError) as refused:
        service.reserve(uid, offer)
    assert refused.value.code == "insufficient_points"
    assert query(lambda s: s.scalar(accounts)) == 0


def test_open_boundaries_pass_the_statement(app, seeded, query):
    """A window that opens and closes today, an offer valid from and until today."""
    today = local_today()
    offer = make_offer(app, points_cost=30, stock=5, valid_from=today, valid_until=today)
    give_points(app, "resident-1", 100)
    with app.app_context():
        db.session.add(
            RedemptionWindow(
                community_id=demo_community_id(), starts_on=today, ends_on=today, note=""
            )
        )
        db.session.commit()
        db.session.remove()
    row = _one_statement(app, _params(app, _uid(app, "resident-1"), offer))
    assert row is not None and row.new_id and row.lost_race is None


# ---------------------------------------------------------------- same rows as the other path


def _rows(query, rid: int) -> dict:
    def read(s):
        r = s.get(Redemption, rid)
        h = s.get(Hold, r.hold_id)
        event = s.scalar(
            select(OutboxEvent).where(
                OutboxEvent.event_type == "redemption.reserved",
                OutboxEvent.aggregate_id == str(rid),
            )
        )
        return r, h, event

    r, h, event = query(read)
    return {
        "redemption": {
            "community_id": r.community_id,
            "offer_id": r.offer_id,
            "merchant_id": r.merchant_id,
            "points": r.points,
            "period_key": r.period_key,
            "counted": r.counted,
            "status": r.status,
            "client_key": r.client_key,
            "lifetime": r.expires_at - r.created_at,
            "debit_entry_id": r.debit_entry_id,
            "redeemed": (r.redeemed_at, r.redeemed_by, r.closed_at),
        },
        "hold": {
            "amount": h.amount,
            "status": h.status,
            "reason": h.reason,
            "cause": (h.cause_type, h.cause_id == str(rid)),
            "key": h.idempotency_key == f"redemption:{rid}:hold",
            "actor": h.actor_id == r.user_id,
            "expires_at": h.expires_at,
            "resolved": (h.resolved_at, h.resolution_reason, h.settle_entry_id),
        },
        "event": {
            "aggregate": (event.aggregate_type, event.community_id),
            "payload": {
                **event.payload,
                "user_id": event.payload["user_id"] == r.user_id,
                "expires_at": event.payload["expires_at"] == r.expires_at.isoformat(),
            },
            "published_at": event.published_at,
        },
    }


def test_it_writes_what_the_transactional_path_writes(app, seeded, query):
    offer = make_offer(app, title="大米", points_cost=30, stock=5, limit_per_person=2)
    for identity in ("resident-1", "resident-2"):
        give_points(app, identity, 100)
    one, other = _uid(app, "resident-1"), _uid(app, "resident-2")
    seen = []
    with app.app_context():
        count = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            fast, created = service.reserve(one, offer, client_key="k-1")
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert created and len(seen) == 1 and "WITH ctx AS" in seen[0]
        db.session.connection()  # a caller's open transaction keeps the transactional path
        slow, created = service.reserve(other, offer, client_key="k-1")
        assert created
        db.session.commit()
        db.session.remove()
    assert fast.view().keys() == slow.view().keys()
    assert {**fast.view(), "id": 0, "created_at": 0, "expires_at": 0} == {
        **slow.view(),
        "id": 0,
        "created_at": 0,
        "expires_at": 0,
    }
    assert fast.period_key == slow.period_key
    fast_rows, slow_rows = _rows(query, fast.id), _rows(query, slow.id)
    assert fast_rows == slow_rows
    assert fast_rows["hold"]["reason"] == "兑换预约：大米"
    assert query(lambda s: s.get(Offer, offer).stock) == 3
    used = query(lambda s: s.scalars(select(RedemptionCounter.used)).all())
    assert sorted(used) == [1, 1]
    with app.app_context():
        check_invariants(db.session)
        db.session.remove()


def test_the_profile_shows_the_held_points_at_once(api, app, seeded):
    offer = make_offer(app, points_cost=30, stock=5)
    give_points(app, "resident-1", 100)

    def points():
        me = api.get("/api/v1/me", "resident-1")
        assert me.status_code == 200
        return me.get_json()["points"]

    assert points() == {"balance": 100, "held": 0, "available": 100}  # now cached in Redis
    assert api.post(R, "resident-1", json={"offer_id": offer}).status_code == 201
    assert points() == {"balance": 100, "held": 30, "available": 70}


def test_an_error_that_is_not_its_own_is_raised(app, seeded, query):
    """A clash on another unique key is corruption, not a lost race: it must fail loudly."""
    from sqlalchemy.exc import IntegrityError

    offer = make_offer(app, points_cost=30, stock=5)
    give_points(app, "resident-1", 100)
    uid = _uid(app, "resident-1")
    with app.app_context():
        account = db.session.scalar(select(Account.id).where(Account.holder_id == uid))
        next_id = 1 + db.session.scalar(text("SELECT setval('redemptions_id_seq', 500)"))
        db.session.add(
            Hold(
                account_id=account,
                amount=1,
                status="released",
                reason="占位",
                cause_type="test",
                cause_id="x",
                idempotency_key=f"redemption:{next_id}:hold",
                created_at=utcnow(),
            )
        )
        db.session.commit()
        db.session.remove()
    before = _written(query)
    with pytest.raises(IntegrityError):
        _one_statement(app, _params(app, uid, offer))
    assert _written(query) == before


# ---------------------------------------------------------------- races


def _wait_until_blocked(query, timeout: float = 10.0) -> None:
    """Until another backend of this database waits for a row lock."""
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


def _race(app, query, uid: int, offer: int, blocker) -> str:
    """Reserve while `blocker` (run in a transaction of its own) holds a row; its answer.

    The reservation's statement starts while the blocker's change is uncommitted, so its
    snapshot passes every check; it then waits on the row, and the blocker commits.
    """
    answers = []

    def reserve():
        with app.app_context():
            try:
                service.reserve(uid, offer)
                answers.append("reserved")
            except AppError as error:
                answers.append(error.code)
            finally:
                db.session.remove()

    with app.app_context():
        db.session.execute(blocker)
        thread = threading.Thread(target=reserve)
        thread.start()
        _wait_until_blocked(query)
        db.session.commit()
        db.session.remove()
    thread.join(timeout=30)
    return answers[0]


def _race_setup(app, **offer_fields):
    offer = make_offer(app, points_cost=30, stock=5, limit_per_person=2, **offer_fields)
    give_points(app, "resident-1", 100)
    return _uid(app, "resident-1"), offer


def test_the_last_item_taken_meanwhile_rolls_every_step_back(app, seeded, query):
    uid, offer = _race_setup(app)
    _change(app, update(Offer).where(Offer.id == offer).values(stock=1))
    before = _written(query)
    taken = update(Offer).where(Offer.id == offer).values(stock=Offer.stock - 1)
    assert _race(app, query, uid, offer, taken) == "out_of_stock"
    counts = list(before)
    counts[3] -= 1  # the blocker's own stock change
    assert _written(query) == tuple(counts)
    with app.app_context():
        check_invariants(db.session)
        db.session.remove()


def test_points_spent_meanwhile_roll_the_limit_slot_back(app, seeded, query):
    uid, offer = _race_setup(app)
    before = _written(query)
    spent = update(Account).where(Account.holder_id == uid).values(held=Account.balance)
    assert _race(app, query, uid, offer, spent) == "insufficient_points"
    counts = list(before)
    counts[2] += 100  # the blocker's own held change
    assert _written(query) == tuple(counts)  # no counter, hold, row, stock or event kept


def test_a_limit_used_up_meanwhile_rolls_every_step_back(app, seeded, query):
    uid, offer = _race_setup(app)
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
    """The first tap commits after the second's snapshot: the unique key turns it into a replay."""
    offer = make_offer(app, points_cost=30, stock=5)
    give_points(app, "resident-1", 100)
    uid = _uid(app, "resident-1")
    now = utcnow()
    first = Redemption(
        community_id=_community(app),
        user_id=uid,
        offer_id=offer,
        merchant_id=query(lambda s: s.get(Offer, offer).merchant_id),
        points=30,
        period_key=period_key(local_today(now), "month"),
        counted=False,
        status="reserved",
        client_key="tap",
        expires_at=now + timedelta(days=7),
        created_at=now,
    )
    answers = []

    def second_tap():
        with app.app_context():
            try:
                answers.append(service.reserve(uid, offer, client_key="tap"))
            finally:
                db.session.remove()

    with app.app_context():
        db.session.add(first)
        db.session.flush()  # the first tap's row, not committed yet
        first_id = first.id
        thread = threading.Thread(target=second_tap)
        thread.start()
        _wait_until_blocked(query)  # the second tap's INSERT waits on the unique key
        db.session.commit()
        db.session.remove()
    thread.join(timeout=30)
    replayed, created = answers[0]
    assert not created and replayed.id == first_id
    # Only the first tap's row: the second's hold, held points and stock went back.
    assert _written(query)[:3] == (1, 0, 0)
    assert query(lambda s: s.get(Offer, offer).stock) == 5
