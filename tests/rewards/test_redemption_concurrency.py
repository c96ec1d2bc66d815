"""Concurrency on real PostgreSQL: threads released together, each with its own session."""

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.auth.models import User
from server.community.models import Membership
from server.db.session import db
from server.db.types import utcnow
from server.points import ledger
from server.points.ledger import Hold, LedgerEntry
from server.rewards import closing, codes
from server.rewards import redemption as redemption_service
from server.rewards import verify as verify_service
from server.rewards.models import Redemption
from tests.concurrency import run_n_together as run_together
from tests.rewards.test_rewards_support import (
    balance,
    demo_community_id,
    give_points,
    ledger_consistent,
    make_offer,
    redemption,
    stock,
    user_id,
)

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("write_path")]


def _reserved(app, query, identity="resident-1", points=30):
    offer = make_offer(app, points_cost=points, stock=5)
    give_points(app, identity, 100)
    uid = user_id(query, identity)
    with app.app_context():
        r, _ = redemption_service.reserve(db.session.get(User, uid), offer)
        rid = r.id
        token = codes.sign_code(rid)["token"]
        db.session.remove()
    return rid, token


@pytest.mark.parametrize("with_redis", [True, False])
def test_hundred_scans_of_one_code_verify_once(app, seeded, query, with_redis):
    rid, token = _reserved(app, query)
    staff_id = user_id(query, "merchant-1")
    saved = app.config["REDIS_URL"]
    if not with_redis:
        app.config["REDIS_URL"] = None
    try:
        results = run_together(app, 100, lambda i: verify_service.verify(staff_id, token).id)
    finally:
        app.config["REDIS_URL"] = saved
    outcomes = Counter(kind for kind, _ in results)
    assert outcomes == {"ok": 1, "refused": 99}, results
    refusals = Counter(code for kind, code in results if kind == "refused")
    assert refusals == {"already_redeemed": 99}, refusals
    r = redemption(query, rid)
    assert r.status == "redeemed"
    settles = query(
        lambda s: s.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.kind == "settle"))
    )
    assert settles == 1
    assert balance(query, "resident-1") == (70, 0)
    ledger_consistent(query)


def test_two_hundred_residents_reserving_the_last_ten_items(app, seeded, query):
    cid = demo_community_id(query)
    offer = make_offer(app, points_cost=25, stock=10)
    with app.app_context():
        ids = []
        for n in range(200):
            user = User(openid=f"crowd-{n}", real_name=f"居民{n}")
            db.session.add(user)
            db.session.flush()
            db.session.add(Membership(user_id=user.id, community_id=cid))
            ids.append(user.id)
        db.session.commit()
        for uid in ids:
            ledger.credit(
                ledger.account_for_user(cid, uid),
                100,
                reason="测试积分",
                idempotency_key=f"crowd:{uid}",
                cause_type="adjustment",
                cause_id=uid,
            )
        db.session.commit()
        db.session.remove()

    results = run_together(
        app,
        200,
        lambda i: redemption_service.reserve(ids[i], offer)[0].id,
    )
    outcomes = Counter(kind for kind, _ in results)
    assert outcomes == {"ok": 10, "refused": 190}, Counter(results)
    assert {code for kind, code in results if kind == "refused"} == {"out_of_stock"}
    assert stock(query, offer) == 0
    reserved = query(
        lambda s: s.scalar(select(func.count(Redemption.id)).where(Redemption.offer_id == offer))
    )
    assert reserved == 10
    pending = query(
        lambda s: s.scalar(select(func.sum(Hold.amount)).where(Hold.status == "pending"))
    )
    assert pending == 250
    ledger_consistent(query)


def test_one_person_racing_past_the_limit_gets_only_the_limit(app, seeded, query):
    offer = make_offer(app, points_cost=10, stock=50, limit_per_person=2)
    give_points(app, "resident-1", 1000)
    uid = user_id(query, "resident-1")
    results = run_together(app, 20, lambda i: redemption_service.reserve(uid, offer)[0].id)
    outcomes = Counter(kind for kind, _ in results)
    assert outcomes == {"ok": 2, "refused": 18}, results
    assert {code for kind, code in results if kind == "refused"} == {"limit_reached"}
    assert stock(query, offer) == 48
    ledger_consistent(query)


def test_double_tap_with_one_key_creates_one_redemption(app, seeded, query):
    offer = make_offer(app, points_cost=10, stock=50)
    give_points(app, "resident-1", 1000)
    uid = user_id(query, "resident-1")
    results = run_together(
        app,
        20,
        lambda i: redemption_service.reserve(uid, offer, client_key="double-tap")[0].id,
    )
    assert {kind for kind, _ in results} == {"ok"}, results
    assert len({rid for _, rid in results}) == 1
    assert stock(query, offer) == 49
    ledger_consistent(query)


def test_verify_cancel_and_expiry_race_one_outcome(app, seeded, query):
    staff_id = user_id(query, "merchant-1")
    resident_id = user_id(query, "resident-1")
    give_points(app, "resident-1", 1000)
    offer = make_offer(app, points_cost=10, stock=100)
    for _round in range(10):
        with app.app_context():
            r, _ = redemption_service.reserve(resident_id, offer)
            rid = r.id
            token = codes.sign_code(rid)["token"]
            # Due for expiry in the job's eyes, still verifiable by the clock the staff use.
            db.session.execute(
                Redemption.__table__.update()
                .where(Redemption.id == rid)
                .values(expires_at=utcnow() + timedelta(seconds=30))
            )
            db.session.commit()
            db.session.remove()
        later = utcnow() + timedelta(minutes=5)

        def act(i, rid=rid, token=token, later=later):
            if i % 3 == 0:
                return verify_service.verify(staff_id, token).status
            if i % 3 == 1:
                return closing.cancel(db.session.get(User, resident_id), rid).status
            return closing.expire_due(now=later)

        results = run_together(app, 9, act)
        assert not [r for r in results if r[0] == "crash"], results
        final = redemption(query, rid).status
        assert final in ("redeemed", "cancelled", "expired")
        winners = [v for kind, v in results if kind == "ok" and v in ("redeemed", "cancelled")]
        expiries = sum(v for kind, v in results if kind == "ok" and isinstance(v, int))
        assert len(winners) + expiries == 1, results
    # Stock only ever moved for live reservations: 100 minus those reserved or redeemed.
    live = query(
        lambda s: s.scalar(
            select(func.count(Redemption.id)).where(
                Redemption.offer_id == offer, Redemption.status.in_(("reserved", "redeemed"))
            )
        )
    )
    assert stock(query, offer) == 100 - live
    ledger_consistent(query)
