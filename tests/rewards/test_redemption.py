"""Reserving, cancelling, expiring, codes and verification, through the service and HTTP."""

from datetime import date, datetime, timedelta

import jwt
import pytest
from sqlalchemy import func, select

from server.auth.models import User
from server.db.audit import AuditLog
from server.db.session import db
from server.db.types import utcnow
from server.http.errors import Conflict
from server.outbox.models import OutboxEvent
from server.points.ledger import Hold, LedgerEntry
from server.rewards import closing, codes
from server.rewards import redemption as redemption_service
from server.rewards import verify as verify_service
from server.rewards.models import Redemption, RedemptionCounter
from tests.conftest import error_code
from tests.rewards.test_rewards_support import (
    add_staff,
    balance,
    demo_community_id,
    give_points,
    ledger_consistent,
    make_offer,
    make_other_community,
    merchant_id,
    redemption,
    stock,
    user_id,
)

pytestmark = pytest.mark.usefixtures("write_path")

R = "/api/v1/redemptions"
VERIFY = "/api/v1/merchant/verify"


def reserve(api, identity, offer_id, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return api.post(R, identity, json={"offer_id": offer_id}, headers=headers)


def code_of(api, identity, rid):
    resp = api.get(f"{R}/{rid}/code", identity)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["token"]


def test_reserve_holds_points_takes_stock_and_expires_in_seven_days(api, app, seeded, query):
    offer = make_offer(app, points_cost=30, stock=5)
    give_points(app, "resident-1", 100)
    resp = reserve(api, "resident-1", offer)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "reserved" and body["points"] == 30
    assert body["merchant_name"] == "幸福社区积分超市"
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(days=6, hours=23) < expires - utcnow() <= timedelta(days=7)
    assert balance(query, "resident-1") == (100, 30)
    assert stock(query, offer) == 4
    r = redemption(query, body["id"])
    hold = query(lambda s: s.get(Hold, r.hold_id))
    assert hold.idempotency_key == f"redemption:{r.id}:hold" and hold.status == "pending"

    mine = api.get(R, "resident-1").get_json()
    assert [i["id"] for i in mine["items"]] == [body["id"]] and mine["next_cursor"] is None
    assert api.get(f"{R}/{body['id']}", "resident-1").get_json()["id"] == body["id"]
    # Someone else's redemption does not exist for them.
    other = api.get(f"{R}/{body['id']}", "resident-2")
    assert other.status_code == 404 and error_code(other) == "redemption_not_found"
    events = query(
        lambda s: s.scalars(select(OutboxEvent.event_type).order_by(OutboxEvent.id)).all()
    )
    assert "redemption.reserved" in events
    ledger_consistent(query)


def test_expiry_is_configurable(api, app, seeded, query):
    offer = make_offer(app)
    give_points(app, "resident-1", 100)
    app.config["REDEMPTION_EXPIRY_DAYS"] = 2
    try:
        body = reserve(api, "resident-1", offer).get_json()
    finally:
        app.config.pop("REDEMPTION_EXPIRY_DAYS")
    r = redemption(query, body["id"])
    assert r.expires_at - r.created_at == timedelta(days=2)


def test_idempotency_key_makes_a_double_tap_one_redemption(api, app, seeded, query):
    offer = make_offer(app, points_cost=10, stock=5)
    other_offer = make_offer(app, title="另一个", points_cost=10)
    give_points(app, "resident-1", 100)
    first = reserve(api, "resident-1", offer, key="tap-1")
    again = reserve(api, "resident-1", offer, key="tap-1")
    assert first.status_code == 201 and again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert balance(query, "resident-1") == (100, 10) and stock(query, offer) == 4
    reused = reserve(api, "resident-1", other_offer, key="tap-1")
    assert reused.status_code == 422 and error_code(reused) == "idempotency_key_reused"
    # The same key belongs to each person separately.
    give_points(app, "resident-2", 100)
    assert reserve(api, "resident-2", offer, key="tap-1").status_code == 201
    # Without a key, two taps are two reservations.
    assert reserve(api, "resident-1", offer).status_code == 201
    assert query(lambda s: s.scalar(select(func.count(Redemption.id)))) == 3
    bad = reserve(api, "resident-1", offer, key="x" * 65)
    assert bad.status_code == 422 and error_code(bad) == "invalid_idempotency_key"


def test_reserve_refusals_change_nothing(api, app, seeded, query):
    offer = make_offer(app, points_cost=50, stock=1)
    give_points(app, "resident-1", 40)
    poor = reserve(api, "resident-1", offer)
    assert poor.status_code == 409 and error_code(poor) == "insufficient_points"
    assert poor.get_json()["error"]["details"]["available"] == 40
    assert stock(query, offer) == 1 and balance(query, "resident-1") == (40, 0)

    give_points(app, "resident-2", 100)
    give_points(app, "resident-3", 100)
    assert reserve(api, "resident-2", offer).status_code == 201
    gone = reserve(api, "resident-3", offer)
    assert gone.status_code == 409 and error_code(gone) == "out_of_stock"
    assert balance(query, "resident-3") == (100, 0) and stock(query, offer) == 0

    missing = reserve(api, "resident-3", 999999)
    assert missing.status_code == 404 and error_code(missing) == "offer_not_found"
    for body in ({}, {"offer_id": "1"}, {"offer_id": 0}, {"offer_id": 1, "x": 1}):
        assert api.post(R, "resident-3", json=body).status_code == 422
    assert api.post(R, json={"offer_id": offer}).status_code == 401
    assert query(lambda s: s.scalar(select(func.count(Redemption.id)))) == 1
    ledger_consistent(query)


def test_unavailable_offers_are_refused(api, app, seeded, query):
    today = date.today()
    inactive = make_offer(app, active=False)
    future = make_offer(app, valid_from=today + timedelta(days=5))
    past = make_offer(app, valid_until=today - timedelta(days=5))
    give_points(app, "resident-1", 500)
    for offer, code in (
        (inactive, "offer_inactive"),
        (future, "offer_not_started"),
        (past, "offer_ended"),
    ):
        resp = reserve(api, "resident-1", offer)
        assert resp.status_code == 409 and error_code(resp) == code
    # Another community's offer is invisible to this resident.
    make_other_community(app)
    foreign = make_offer(app, merchant_name="和谐超市")
    resp = reserve(api, "resident-1", foreign)
    assert resp.status_code == 404 and error_code(resp) == "offer_not_found"
    # Suspending the merchant withdraws its offers.
    offer = make_offer(app)
    mid = merchant_id(query)
    assert api.post(f"/api/v1/admin/merchants/{mid}/suspend", "admin").status_code == 200
    resp = reserve(api, "resident-1", offer)
    assert resp.status_code == 409 and error_code(resp) == "merchant_unavailable"
    assert balance(query, "resident-1") == (500, 0)


def test_per_person_limit_per_month_and_quarter(api, app, seeded, query):
    monthly = make_offer(app, points_cost=10, stock=10, limit_per_person=2)
    give_points(app, "resident-1", 500)
    a = reserve(api, "resident-1", monthly).get_json()
    assert reserve(api, "resident-1", monthly).status_code == 201
    third = reserve(api, "resident-1", monthly)
    assert third.status_code == 409 and error_code(third) == "limit_reached"
    assert "每月每人限兑2次" in third.get_json()["error"]["message"]
    assert third.get_json()["error"]["details"]["limit"] == 2
    # Another person has their own allowance.
    give_points(app, "resident-2", 100)
    assert reserve(api, "resident-2", monthly).status_code == 201
    # Cancelling gives the slot back.
    assert api.delete(f"{R}/{a['id']}", "resident-1").status_code == 200
    assert reserve(api, "resident-1", monthly).status_code == 201

    quarterly = make_offer(app, points_cost=10, limit_per_person=1, limit_period="quarter")
    uid = user_id(query, "resident-1")
    jan = utcnow().replace(year=2030, month=1, day=10)
    with app.app_context():
        user = db.session.get(User, uid)
        redemption_service.reserve(user, quarterly, now=jan)
        with pytest.raises(Conflict) as refused:
            redemption_service.reserve(user, quarterly, now=jan.replace(month=3))
        db.session.rollback()
        assert refused.value.code == "limit_reached" and "本季度" in refused.value.message
        r, created = redemption_service.reserve(user, quarterly, now=jan.replace(month=4))
        assert created and r.period_key == "2030-Q2"
        db.session.remove()
    counters = query(
        lambda s: sorted(
            s.scalars(
                select(RedemptionCounter.period_key).where(RedemptionCounter.offer_id == quarterly)
            )
        )
    )
    assert counters == ["2030-Q1", "2030-Q2"]


def test_windows_restrict_reservations_and_say_when_next_opens(api, app, seeded, query):
    cid = demo_community_id(query)
    offer = make_offer(app, points_cost=10)
    give_points(app, "resident-1", 100)
    assert api.get("/api/v1/redemption-windows/current", "resident-1").get_json()["open"] is True
    today = date.today()
    start = today + timedelta(days=3)
    resp = api.post(
        f"/api/v1/admin/communities/{cid}/redemption-windows",
        "admin",
        json={"starts_on": start.isoformat(), "ends_on": (start + timedelta(days=6)).isoformat()},
    )
    assert resp.status_code == 201
    closed = reserve(api, "resident-1", offer)
    assert closed.status_code == 409 and error_code(closed) == "redemption_window_closed"
    err = closed.get_json()["error"]
    assert err["details"]["next_opens_on"] == start.isoformat()
    assert f"{start.year}年{start.month}月{start.day}日" in err["message"]
    state = api.get("/api/v1/redemption-windows/current", "resident-1").get_json()
    assert state == {
        "always_open": False,
        "open": False,
        "current": None,
        "next_opens_on": start.isoformat(),
    }
    # Inside the window it opens (service with a clock inside it).
    uid = user_id(query, "resident-1")
    with app.app_context():
        user = db.session.get(User, uid)
        r, created = redemption_service.reserve(user, offer, now=utcnow() + timedelta(days=4))
        assert created and r.status == "reserved"
        with pytest.raises(Conflict) as refused:
            redemption_service.reserve(user, offer, now=utcnow() + timedelta(days=30))
        db.session.rollback()
        assert refused.value.code == "redemption_window_closed"
        assert refused.value.details == {"next_opens_on": None} and "暂无" in refused.value.message
        db.session.remove()


def test_cancel_releases_points_and_restores_stock(api, app, seeded, query):
    offer = make_offer(app, points_cost=30, stock=3)
    give_points(app, "resident-1", 100)
    rid = reserve(api, "resident-1", offer).get_json()["id"]
    stranger = api.delete(f"{R}/{rid}", "resident-2")
    assert stranger.status_code == 404
    assert stock(query, offer) == 2

    resp = api.delete(f"{R}/{rid}", "resident-1")
    assert resp.status_code == 200 and resp.get_json()["status"] == "cancelled"
    assert balance(query, "resident-1") == (100, 0) and stock(query, offer) == 3
    hold = query(lambda s: s.get(Hold, redemption(query, rid).hold_id))
    assert hold.status == "released"
    again = api.delete(f"{R}/{rid}", "resident-1")
    assert again.status_code == 409 and error_code(again) == "redemption_cancelled"
    code = api.get(f"{R}/{rid}/code", "resident-1")
    assert code.status_code == 409 and error_code(code) == "redemption_cancelled"
    ledger_consistent(query)


def test_verify_settles_once_and_refuses_replays_and_cancellation(api, app, seeded, query):
    offer = make_offer(app, title="洗衣液", points_cost=30, stock=3)
    give_points(app, "resident-1", 100)
    rid = reserve(api, "resident-1", offer).get_json()["id"]
    token = code_of(api, "resident-1", rid)

    preview = api.post(f"{VERIFY}/preview", "merchant-1", json={"token": token})
    assert preview.status_code == 200, preview.get_json()
    shown = preview.get_json()
    assert shown["offer_title"] == "洗衣液" and shown["points"] == 30
    assert shown["resident_name"] == "张*明"  # seeded resident-1 is 张伟明
    assert redemption(query, rid).status == "reserved"

    done = api.post(VERIFY, "merchant-1", json={"token": token})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "redeemed"
    r = redemption(query, rid)
    assert r.status == "redeemed" and r.redeemed_by == user_id(query, "merchant-1")
    assert balance(query, "resident-1") == (70, 0)
    entry = query(lambda s: s.get(LedgerEntry, r.debit_entry_id))
    assert entry.amount == -30 and entry.kind == "settle" and entry.reason == "兑换：洗衣液"
    assert stock(query, offer) == 2

    # Replays: the same token, and a fresh code, both get the details of the first scan.
    again = api.post(VERIFY, "merchant-1", json={"token": token})
    assert again.status_code == 409 and error_code(again) == "already_redeemed"
    details = again.get_json()["error"]["details"]
    assert details["redeemed_by"] == "刘*红" and details["redeemed_at"]
    fresh = api.get(f"{R}/{rid}/code", "resident-1")
    assert fresh.status_code == 409 and error_code(fresh) == "already_redeemed"
    with app.app_context():
        forged_fresh = codes.sign_code(rid)["token"]
    again = api.post(VERIFY, "merchant-1", json={"token": forged_fresh})
    assert again.status_code == 409 and error_code(again) == "already_redeemed"
    prev = api.post(f"{VERIFY}/preview", "merchant-1", json={"token": forged_fresh})
    assert prev.status_code == 409 and error_code(prev) == "already_redeemed"

    cancel = api.delete(f"{R}/{rid}", "resident-1")
    assert cancel.status_code == 409 and error_code(cancel) == "already_redeemed"
    assert balance(query, "resident-1") == (70, 0) and stock(query, offer) == 2
    audit = query(lambda s: s.scalars(select(AuditLog.action)).all())
    assert audit.count("redemption.verify") == 1
    events = query(
        lambda s: s.scalars(select(OutboxEvent.event_type).order_by(OutboxEvent.id)).all()
    )
    assert events.count("redemption.redeemed") == 1
    ledger_consistent(query)


def test_forged_expired_and_malformed_tokens(api, app, seeded, query):
    offer = make_offer(app, points_cost=10)
    give_points(app, "resident-1", 100)
    rid = reserve(api, "resident-1", offer).get_json()["id"]
    token = code_of(api, "resident-1", rid)
    now = utcnow()
    claims = {"aud": "redemption", "iss": "redpoints", "rid": rid, "nonce": "n" * 22}
    forged = [
        jwt.encode({**claims, "iat": now, "exp": now + timedelta(seconds=60)}, "guess" * 8),
        jwt.encode({**claims, "iat": now, "exp": now + timedelta(seconds=60)}, None, "none"),
        token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"),
        "not-a-token",
        str(rid),
    ]
    with app.app_context():
        key = codes._key()
        # Genuine signature, wrong audience (an access token's), or no expiry.
        forged.append(jwt.encode({**claims, "aud": "redpoints-api", "iat": now, "exp": now}, key))
        forged.append(jwt.encode({**claims, "iat": now}, key))
        expired = codes.sign_code(rid, now=now - timedelta(seconds=61))["token"]
    for bad in forged:
        resp = api.post(VERIFY, "merchant-1", json={"token": bad})
        assert resp.status_code in (400, 410), (bad, resp.get_json())
        assert error_code(resp) in ("code_invalid", "code_expired")
    resp = api.post(VERIFY, "merchant-1", json={"token": forged[0]})
    assert resp.status_code == 400 and error_code(resp) == "code_invalid"
    resp = api.post(VERIFY, "merchant-1", json={"token": expired})
    assert resp.status_code == 410 and error_code(resp) == "code_expired"
    resp = api.post(f"{VERIFY}/preview", "merchant-1", json={"token": expired})
    assert resp.status_code == 410 and error_code(resp) == "code_expired"
    for body in ({}, {"token": ""}, {"token": "x" * 1025}, {"token": 5}, {"token": "a", "b": 1}):
        assert api.post(VERIFY, "merchant-1", json=body).status_code == 422
    assert redemption(query, rid).status == "reserved"
    assert balance(query, "resident-1") == (100, 10)


def test_another_merchants_redemption_is_403_and_reveals_nothing(api, app, seeded, query):
    offer = make_offer(app, points_cost=10)
    give_points(app, "resident-1", 100)
    rid = reserve(api, "resident-1", offer).get_json()["id"]
    token = code_of(api, "resident-1", rid)
    add_staff(app, "barber", "阳光理发店")
    for path in (VERIFY, f"{VERIFY}/preview"):
        resp = api.post(path, "barber", json={"token": token})
        assert resp.status_code == 403 and error_code(resp) == "not_your_merchant"
        assert resp.get_json()["error"]["details"] == {}
        assert "洗衣" not in resp.get_data(as_text=True) and "张" not in resp.get_data(as_text=True)
    # Residents and admins are not verifiers either.
    for identity in ("resident-2", "resident-1", "admin"):
        resp = api.post(VERIFY, identity, json={"token": token})
        assert resp.status_code == 403
    assert redemption(query, rid).status == "reserved"
    # The right merchant can still verify the same code (the refusals did not burn it).
    assert api.post(VERIFY, "merchant-1", json={"token": token}).status_code == 200


def test_code_is_short_lived_unique_and_owner_only(api, app, seeded, query):
    offer = make_offer(app, points_cost=10)
    give_points(app, "resident-1", 100)
    rid = reserve(api, "resident-1", offer).get_json()["id"]
    a = api.get(f"{R}/{rid}/code", "resident-1").get_json()
    b = api.get(f"{R}/{rid}/code", "resident-1").get_json()
    assert a["token"] != b["token"] and a["ttl_seconds"] == 60
    assert 0 < a["refresh_after_seconds"] < 60
    with app.app_context():
        claims = jwt.decode(a["token"], options={"verify_signature": False})
    assert set(claims) == {"aud", "iss", "rid", "nonce", "iat", "exp"}
    assert claims["exp"] - claims["iat"] == 60 and len(claims["nonce"]) >= 20
    other = api.get(f"{R}/{rid}/code", "resident-2")
    assert other.status_code == 404
    png = api.get(f"{R}/{rid}/code.png", "resident-1")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.data.startswith(b"\x89PNG") and png.headers["Cache-Control"] == "no-store"
    svg = api.get(f"{R}/{rid}/code.svg", "resident-1")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert api.get(f"{R}/{rid}/code.png", "resident-2").status_code == 404
    assert api.get(f"{R}/{rid}/code.png").status_code == 401


def test_expired_reservations_are_released_by_the_command(api, app, seeded, query):
    offer = make_offer(app, points_cost=20, stock=5, limit_per_person=1)
    give_points(app, "resident-1", 100)
    give_points(app, "resident-2", 100)
    uid = user_id(query, "resident-1")
    with app.app_context():
        user = db.session.get(User, uid)
        old, _ = redemption_service.reserve(user, offer, now=utcnow() - timedelta(days=8))
        old_id = old.id
        db.session.remove()
    fresh = reserve(api, "resident-2", offer).get_json()["id"]
    assert stock(query, offer) == 3 and balance(query, "resident-1") == (100, 20)
    with app.app_context():
        token = codes.sign_code(old_id)["token"]
    # Past its expiry but before the job ran: verification already refuses.
    late = api.post(VERIFY, "merchant-1", json={"token": token})
    assert late.status_code == 409 and error_code(late) == "redemption_expired"
    assert api.get(f"{R}/{old_id}/code", "resident-1").status_code == 409

    result = app.test_cli_runner().invoke(args=["rewards", "expire-reservations"])
    assert result.exit_code == 0 and "expired 1" in result.output, result.output
    assert redemption(query, old_id).status == "expired"
    assert redemption(query, fresh).status == "reserved"
    assert balance(query, "resident-1") == (100, 0) and stock(query, offer) == 4
    # Running again does nothing more; the person's limit slot came back.
    result = app.test_cli_runner().invoke(args=["rewards", "expire-reservations"])
    assert "expired 0" in result.output
    assert reserve(api, "resident-1", offer).status_code == 201
    ledger_consistent(query)


def test_expiry_after_verification_changes_nothing(app, seeded, query):
    offer = make_offer(app, points_cost=20)
    give_points(app, "resident-1", 100)
    uid, staff_id = user_id(query, "resident-1"), user_id(query, "merchant-1")
    with app.app_context():
        r, _ = redemption_service.reserve(db.session.get(User, uid), offer)
        rid = r.id
        verify_service.verify(db.session.get(User, staff_id), codes.sign_code(rid)["token"])
        assert closing.expire_due(now=utcnow() + timedelta(days=30)) == 0
        db.session.remove()
    assert redemption(query, rid).status == "redeemed"
    assert balance(query, "resident-1") == (80, 0)


def test_verification_is_rate_limited_per_staff_member(api, app, seeded, query):
    add_staff(app, "cashier-2", "幸福社区积分超市")
    app.config["REDEMPTION_VERIFY_RATE_LIMIT"] = "3 per minute"
    try:
        codes_seen = [
            error_code(api.post(VERIFY, "merchant-1", json={"token": "bad"})) for _ in range(4)
        ]
        assert codes_seen == ["code_invalid"] * 3 + ["rate_limited"]
        refused = api.post(VERIFY, "merchant-1", json={"token": "bad"})
        assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 61
        # Another staff member has their own allowance.
        resp = api.post(VERIFY, "cashier-2", json={"token": "bad"})
        assert error_code(resp) == "code_invalid"
    finally:
        app.config.pop("REDEMPTION_VERIFY_RATE_LIMIT")
    assert api.post(VERIFY, json={"token": "bad"}).status_code == 401


def test_verification_is_still_limited_while_redis_is_unreachable(
    api, app, seeded, monkeypatch, caplog
):
    from limits.storage import RedisStorage
    from limits.strategies import FixedWindowRateLimiter

    from server.http import rate_limits

    api.headers("merchant-1")  # logged in (login is limited too) before Redis goes away
    limiters = app.extensions["rate_limits"]
    unreachable = RedisStorage("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    monkeypatch.setitem(
        app.extensions,
        "rate_limits",
        rate_limits._Limiters(FixedWindowRateLimiter(unreachable), limiters.local),
    )
    monkeypatch.setitem(app.config, "REDEMPTION_VERIFY_RATE_LIMIT", "3 per minute")
    with caplog.at_level("WARNING", logger=rate_limits.__name__):
        codes_seen = [
            error_code(api.post(VERIFY, "merchant-1", json={"token": "bad"})) for _ in range(4)
        ]
    # Answered, not 500: counted in this process instead.
    assert codes_seen == ["code_invalid"] * 3 + ["rate_limited"]
    assert sum("unreachable" in r.getMessage() for r in caplog.records) == 4
