"""What reserve and verify answer and write: the same as a fresh read shows, on both databases."""

from datetime import date, datetime, timedelta

import pytest
from redis import Redis
from sqlalchemy import select, update

from server.auth.models import User
from server.db.audit import AuditLog
from server.db.session import db
from server.outbox.models import OutboxEvent
from server.platform import redis_after_commit
from server.platform.localtime import local_today
from server.points.ledger import Hold, LedgerEntry
from server.rewards.models import Offer, RedemptionCounter, RedemptionWindow
from server.rewards.periods import period_key
from server.rewards.schemas import PreviewSchema
from tests.conftest import error_code
from tests.rewards.test_rewards_support import (
    add_staff,
    balance,
    demo_community_id,
    give_points,
    ledger_consistent,
    make_offer,
    redemption,
    user_id,
)

pytestmark = pytest.mark.usefixtures("write_path")

R = "/api/v1/redemptions"
VERIFY = "/api/v1/merchant/verify"
PREVIEW = f"{VERIFY}/preview"


def _code(api, identity, rid) -> str:
    resp = api.get(f"{R}/{rid}/code", identity)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["token"]


def test_reserve_answers_what_a_fresh_read_shows(api, app, seeded, query):
    offer = make_offer(
        app,
        title="大米",
        points_cost=30,
        stock=5,
        image_url="https://x/y.png",
        limit_per_person=2,
        limit_period="quarter",
    )
    give_points(app, "resident-1", 100)
    before = query(lambda s: s.get(Offer, offer).updated_at)
    made = api.post(R, "resident-1", json={"offer_id": offer})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body == api.get(f"{R}/{body['id']}", "resident-1").get_json()
    assert body["offer_image_url"] == "https://x/y.png" and body["closed_at"] is None

    r = redemption(query, body["id"])
    today = local_today(datetime.fromisoformat(body["created_at"]))
    assert r.period_key == period_key(today, "quarter") and r.counted is True
    assert r.client_key is None and r.points == 30
    hold = query(lambda s: s.get(Hold, r.hold_id))
    assert (hold.cause_type, hold.cause_id, hold.reason) == (
        "redemption",
        str(r.id),
        "兑换预约：大米",
    )
    assert hold.actor_id == r.user_id and hold.idempotency_key == f"redemption:{r.id}:hold"
    used = query(lambda s: s.scalars(select(RedemptionCounter.used)).all())
    assert used == [1]
    assert query(lambda s: s.get(Offer, offer).updated_at) > before
    payload = query(
        lambda s: s.scalar(
            select(OutboxEvent.payload).where(
                OutboxEvent.event_type == "redemption.reserved",
                OutboxEvent.aggregate_id == str(r.id),
            )
        )
    )
    assert payload == {
        "user_id": user_id(query, "resident-1"),
        "offer_id": offer,
        "merchant_id": r.merchant_id,
        "points": 30,
        "expires_at": body["expires_at"],
    }


def test_a_replayed_key_answers_the_first_reservation_and_changes_nothing(api, app, seeded, query):
    """The first status and body, as every Idempotency-Key route answers (docs/idempotency.md);
    GET shows the reservation as it is now."""
    offer = make_offer(app, points_cost=10, stock=5)
    give_points(app, "resident-1", 100)
    headers = {"Idempotency-Key": "tap-1"}
    first = api.post(R, "resident-1", json={"offer_id": offer}, headers=headers)
    assert first.status_code == 201
    assert api.delete(f"{R}/{first.get_json()['id']}", "resident-1").status_code == 200
    again = api.post(R, "resident-1", json={"offer_id": offer}, headers=headers)
    assert (again.status_code, again.get_json()) == (201, first.get_json())
    now = api.get(f"{R}/{first.get_json()['id']}", "resident-1").get_json()
    assert now["status"] == "cancelled"
    assert (
        balance(query, "resident-1") == (100, 0) and query(lambda s: s.get(Offer, offer).stock) == 5
    )


def test_not_enough_points_says_how_many_are_needed_and_available(api, app, seeded):
    offer = make_offer(app, points_cost=10)
    # resident-5 has never held points: no account yet, so nothing is available.
    resp = api.post(R, "resident-5", json={"offer_id": offer})
    assert resp.status_code == 409 and error_code(resp) == "insufficient_points"
    assert resp.get_json()["error"]["details"] == {"needed": 10, "available": 0}
    give_points(app, "resident-5", 4)
    resp = api.post(R, "resident-5", json={"offer_id": offer})
    assert resp.get_json()["error"]["details"] == {"needed": 10, "available": 4}


def test_a_window_and_validity_of_exactly_today_are_open(api, app, seeded, query):
    today = local_today()
    cid = demo_community_id(query)
    offer = make_offer(app, title="今天", points_cost=10, valid_from=today, valid_until=today)
    with app.app_context():
        db.session.add_all(
            [
                RedemptionWindow(community_id=cid, starts_on=today, ends_on=today, note=""),
                RedemptionWindow(
                    community_id=cid,
                    starts_on=today + timedelta(days=90),
                    ends_on=today + timedelta(days=96),
                    note="",
                ),
            ]
        )
        db.session.commit()
        db.session.remove()
    give_points(app, "resident-1", 100)
    listed = api.get("/api/v1/offers", "resident-1", query_string={"limit": 100}).get_json()
    assert "今天" in {o["title"] for o in listed["items"]}
    state = api.get("/api/v1/redemption-windows/current", "resident-1").get_json()
    assert state["open"] is True and state["current"]["starts_on"] == today.isoformat()
    assert api.post(R, "resident-1", json={"offer_id": offer}).status_code == 201


def test_the_catalogue_shows_what_is_on_offer_and_the_window_says_when(api, app, seeded, query):
    """GET /offers lists what is on offer today; a closed window keeps the catalogue (residents
    see what they save for) while reserving is refused with the next opening day."""
    make_offer(app, title="明天开始", valid_from=date.today() + timedelta(days=2))
    listed = api.get("/api/v1/offers", "resident-1", query_string={"limit": 100}).get_json()
    titles = {o["title"] for o in listed["items"]}
    assert len(titles) == 8 and "明天开始" not in titles
    cid = demo_community_id(query)
    later = local_today() + timedelta(days=10)
    with app.app_context():
        db.session.add(RedemptionWindow(community_id=cid, starts_on=later, ends_on=later))
        db.session.commit()
        db.session.remove()
    listed = api.get("/api/v1/offers", "resident-1", query_string={"limit": 100}).get_json()
    assert {o["title"] for o in listed["items"]} == titles
    state = api.get("/api/v1/redemption-windows/current", "resident-1").get_json()
    assert state["open"] is False and state["next_opens_on"] == later.isoformat()
    offer = listed["items"][0]["id"]
    give_points(app, "resident-1", 1000)
    refused = api.post(R, "resident-1", json={"offer_id": offer})
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "redemption_window_closed"


def test_verify_answers_the_preview_with_the_new_state(api, app, seeded, query):
    offer = make_offer(app, title="食用油", points_cost=30, stock=3)
    give_points(app, "resident-1", 100)
    rid = api.post(R, "resident-1", json={"offer_id": offer}).get_json()["id"]
    token = _code(api, "resident-1", rid)
    shown = api.post(PREVIEW, "merchant-1", json={"token": token}).get_json()
    done = api.post(VERIFY, "merchant-1", json={"token": token})
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    r = redemption(query, rid)
    assert body == {**shown, "status": "redeemed", "redeemed_at": r.redeemed_at.isoformat()}
    assert set(body) == set(PreviewSchema().fields) and body["resident_name"] == "张*明"

    staff = user_id(query, "merchant-1")
    entry = query(lambda s: s.get(LedgerEntry, r.debit_entry_id))
    assert entry.amount == -30 and entry.actor_id == staff and r.redeemed_by == staff
    hold = query(lambda s: s.get(Hold, r.hold_id))
    assert hold.status == "settled" and hold.settle_entry_id == entry.id
    # What the ledger's settle writes, on either path: one entry naming its hold and cause.
    assert entry.idempotency_key == f"hold:{hold.id}:settle" and entry.hold_id == hold.id
    assert (entry.cause_type, entry.cause_id) == ("redemption", str(rid))
    assert entry.balance_after == 70 and entry.reason == "兑换：食用油"
    assert hold.resolution_reason == "兑换：食用油"
    assert hold.idempotency_key == f"redemption:{rid}:hold" and hold.actor_id == user_id(
        query, "resident-1"
    )
    audit = query(
        lambda s: s.scalars(select(AuditLog).where(AuditLog.action == "redemption.verify")).one()
    )
    after = {
        "status": "redeemed",
        "redeemed_at": r.redeemed_at.isoformat(),
        "points": 30,
        "offer_id": offer,
        "ledger_entry_id": entry.id,
    }
    assert (audit.actor_id, audit.target_type, audit.target_id) == (staff, "redemption", str(rid))
    assert audit.community_id == r.community_id
    assert audit.before == {"status": "reserved"} and audit.after == after
    payload = query(
        lambda s: s.scalar(
            select(OutboxEvent.payload).where(OutboxEvent.event_type == "redemption.redeemed")
        )
    )
    assert payload == {"user_id": r.user_id, "merchant_id": r.merchant_id, **after}


def test_a_repeat_scan_names_who_verified_it(api, app, seeded, query):
    offer = make_offer(app, points_cost=10)
    give_points(app, "resident-1", 100)
    rid = api.post(R, "resident-1", json={"offer_id": offer}).get_json()["id"]
    token = _code(api, "resident-1", rid)
    cashier = add_staff(app, "cashier-9", "幸福社区积分超市")
    assert api.post(VERIFY, "cashier-9", json={"token": token}).status_code == 200
    r = redemption(query, rid)
    for path in (VERIFY, PREVIEW):
        again = api.post(path, "merchant-1", json={"token": token})
        assert again.status_code == 409 and error_code(again) == "already_redeemed"
        assert again.get_json()["error"]["details"] == {
            "redemption_id": rid,
            "redeemed_at": r.redeemed_at.isoformat(),
            "redeemed_by": "赵*员",
            "redeemed_by_id": cashier,
        }


def test_a_deactivated_caller_gets_401_before_anything_else(api, app, seeded, query):
    offer = make_offer(app, points_cost=10)
    give_points(app, "resident-1", 100)
    rid = api.post(R, "resident-1", json={"offer_id": offer}).get_json()["id"]
    token = _code(api, "resident-1", rid)
    api.headers("merchant-1")
    with app.app_context():
        ids = [user_id(query, "resident-1"), user_id(query, "merchant-1")]
        db.session.execute(update(User).where(User.id.in_(ids)).values(is_active=False))
        db.session.commit()
        db.session.remove()
    resp = api.post(R, "resident-1", json={"offer_id": offer})
    assert resp.status_code == 401 and error_code(resp) == "token_invalid"
    for path in (VERIFY, PREVIEW):
        # The body is validated first; then the caller's 401 before the code is looked at.
        for body in ({"token": token}, {"token": "bad"}, {"token": "a.b.c"}):
            resp = api.post(path, "merchant-1", json=body)
            assert resp.status_code == 401 and error_code(resp) == "token_invalid", body
        assert api.post(path, "merchant-1", json={}).status_code == 422
    assert redemption(query, rid).status == "reserved"


def test_the_profile_shows_held_and_spent_points_at_once(api, app, seeded):
    offer = make_offer(app, points_cost=30, stock=5)
    give_points(app, "resident-1", 100)

    def points():
        me = api.get("/api/v1/me", "resident-1")
        assert me.status_code == 200
        return me.get_json()["points"]

    assert points() == {"balance": 100, "held": 0, "available": 100}  # now cached (Redis)
    rid = api.post(R, "resident-1", json={"offer_id": offer}).get_json()["id"]
    assert points() == {"balance": 100, "held": 30, "available": 70}
    token = _code(api, "resident-1", rid)
    assert api.post(VERIFY, "merchant-1", json={"token": token}).status_code == 200
    assert points() == {"balance": 70, "held": 0, "available": 70}


@pytest.mark.parametrize("redis", ["not_configured", "refusing"])
def test_verify_without_redis_verifies_and_commits(
    api, app, seeded, query, monkeypatch, caplog, redis
):
    offer = make_offer(app, points_cost=30)
    give_points(app, "resident-1", 100)
    rid = api.post(R, "resident-1", json={"offer_id": offer}).get_json()["id"]
    token = _code(api, "resident-1", rid)
    api.headers("merchant-1")
    if redis == "not_configured":
        monkeypatch.setitem(app.config, "REDIS_URL", None)
    else:  # the profile version bump after the commit fails: only logged, the write stands
        closed = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
        monkeypatch.setattr(redis_after_commit, "get_redis", lambda: closed)
    with caplog.at_level("WARNING", logger=redis_after_commit.__name__):
        resp = api.post(VERIFY, "merchant-1", json={"token": token})
    assert resp.status_code == 200, resp.get_json()
    lost = [r for r in caplog.records if "after commit lost" in r.getMessage()]
    assert len(lost) == (1 if redis == "refusing" else 0)
    again = api.post(VERIFY, "merchant-1", json={"token": token})
    assert again.status_code == 409 and error_code(again) == "already_redeemed"
    assert redemption(query, rid).status == "redeemed"
    assert balance(query, "resident-1") == (70, 0)
    ledger_consistent(query)
