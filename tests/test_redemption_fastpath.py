"""Reserve and verify answer from values they already know: the same as reading afresh.

The hot paths read one joined row and write with prebuilt statements (server/rewards/
hot_statements.py); these tests pin what that must not change - the answers, the rows written,
the order of refusals - and how many statements each request may take.
"""

from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import event, select, update

from server.auth.models import User
from server.db.audit import AuditLog
from server.db.session import db
from server.notify.models import OutboxEvent
from server.points.ledger_models import Hold, LedgerEntry
from server.rewards.models import Offer
from server.rewards.periods import current_month
from tests.conftest import error_code
from tests.test_rewards_support import (
    add_staff,
    give_points,
    make_offer,
    redemption,
    user_id,
)

R = "/api/v1/redemptions"
VERIFY = "/api/v1/merchant/verify"


def _deactivate(app, uid: int) -> None:
    with app.app_context():
        db.session.execute(update(User).where(User.id == uid).values(is_active=False))
        db.session.commit()
        db.session.remove()


@contextmanager
def _statements(app):
    """Count the SQL statements the app runs inside the block."""
    seen = []
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, params, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _code(api, identity, rid) -> str:
    resp = api.get(f"{R}/{rid}/code", identity)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["token"]


def test_reserve_answers_what_a_fresh_read_shows(api, app, seeded, query):
    offer = make_offer(app, title="大米", points_cost=30, stock=5, image_url="https://x/y.png")
    give_points(app, "resident-1", 100)
    before = query(lambda s: s.get(Offer, offer).updated_at)
    made = api.post(R, "resident-1", json={"offer_id": offer})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body == api.get(f"{R}/{body['id']}", "resident-1").get_json()
    assert body["offer_image_url"] == "https://x/y.png" and body["closed_at"] is None

    r = redemption(query, body["id"])
    hold = query(lambda s: s.get(Hold, r.hold_id))
    assert hold.cause_id == str(r.id) and hold.reason == "兑换预约：大米"
    assert r.period_key == current_month(datetime.fromisoformat(body["created_at"]))
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


def test_a_replayed_key_answers_the_first_reservation_as_it_is_now(api, app, seeded, query):
    offer = make_offer(app, points_cost=10, stock=5)
    give_points(app, "resident-1", 100)
    headers = {"Idempotency-Key": "fast-1"}
    first = api.post(R, "resident-1", json={"offer_id": offer}, headers=headers)
    assert first.status_code == 201
    assert api.delete(f"{R}/{first.get_json()['id']}", "resident-1").status_code == 200
    again = api.post(R, "resident-1", json={"offer_id": offer}, headers=headers)
    assert again.status_code == 200
    assert again.get_json() == api.get(f"{R}/{first.get_json()['id']}", "resident-1").get_json()
    assert again.get_json()["status"] == "cancelled"


def test_first_reservation_in_a_community_creates_the_account(api, app, seeded, query):
    offer = make_offer(app, points_cost=10)
    # resident-5 has never held points: the account is made, then the points do not cover it.
    resp = api.post(R, "resident-5", json={"offer_id": offer})
    assert resp.status_code == 409 and error_code(resp) == "insufficient_points"
    assert resp.get_json()["error"]["details"] == {"needed": 10, "available": 0}


def test_a_user_without_community_is_not_a_member(api, app, seeded, query):
    offer = make_offer(app, points_cost=10)
    api.headers("newcomer")  # logs in; joins no community
    resp = api.post(R, "newcomer", json={"offer_id": offer})
    assert resp.status_code == 403 and error_code(resp) == "not_a_member"


def test_a_deactivated_user_gets_401_before_anything_else(api, app, seeded, query):
    offer = make_offer(app, points_cost=10)
    give_points(app, "resident-1", 100)
    rid = api.post(R, "resident-1", json={"offer_id": offer}).get_json()["id"]
    token = _code(api, "resident-1", rid)
    api.headers("merchant-1")
    _deactivate(app, user_id(query, "resident-1"))
    _deactivate(app, user_id(query, "merchant-1"))

    resp = api.post(R, "resident-1", json={"offer_id": offer})
    assert resp.status_code == 401 and error_code(resp) == "token_invalid"
    for path in (VERIFY, f"{VERIFY}/preview"):
        # Before the code or the redemption are looked at (the body is validated first: the
        # caller's active flag is read with the scanned redemption, see verify.py).
        for body in ({"token": token}, {"token": "bad"}, {"token": "a.b.c"}):
            resp = api.post(path, "merchant-1", json=body)
            assert resp.status_code == 401 and error_code(resp) == "token_invalid", body
        assert api.post(path, "merchant-1", json={}).status_code == 422
    assert redemption(query, rid).status == "reserved"


def test_verify_answers_the_preview_with_the_new_state(api, app, seeded, query):
    offer = make_offer(app, title="食用油", points_cost=30, stock=3)
    give_points(app, "resident-1", 100)
    rid = api.post(R, "resident-1", json={"offer_id": offer}).get_json()["id"]
    token = _code(api, "resident-1", rid)
    shown = api.post(f"{VERIFY}/preview", "merchant-1", json={"token": token}).get_json()
    done = api.post(VERIFY, "merchant-1", json={"token": token})
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    r = redemption(query, rid)
    assert body == {**shown, "status": "redeemed", "redeemed_at": r.redeemed_at.isoformat()}
    assert body["resident_name"] == "张*明"

    staff = user_id(query, "merchant-1")
    entry = query(lambda s: s.get(LedgerEntry, r.debit_entry_id))
    assert entry.amount == -30 and r.redeemed_by == staff
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
    again = api.post(VERIFY, "merchant-1", json={"token": token})
    assert again.status_code == 409 and error_code(again) == "already_redeemed"
    details = again.get_json()["error"]["details"]
    assert details["redeemed_by"] == "赵*员" and details["redeemed_by_id"] == cashier
    assert details["redemption_id"] == rid


def test_reserve_and_verify_stay_a_handful_of_statements(api, app, seeded, query):
    offer = make_offer(app, points_cost=10, stock=5)
    give_points(app, "resident-1", 100)
    api.headers("resident-1")
    api.headers("merchant-1")
    with _statements(app) as reserve_sql:
        rid = api.post(R, "resident-1", json={"offer_id": offer}).get_json()["id"]
    token = _code(api, "resident-1", rid)
    with _statements(app) as verify_sql:
        assert api.post(VERIFY, "merchant-1", json={"token": token}).status_code == 200
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
    # PostgreSQL: one autocommit statement (server/rewards/reserve_at_once.py). SQLite:
    # BEGIN IMMEDIATE, context, insert, the hold in two statements, the finish as three.
    assert len(reserve_sql) <= (1 if postgres else 8), reserve_sql
    # PostgreSQL: the scan (with the caller's active flag), then one autocommit write (guard,
    # settle, audit and event; tests/test_verify_autocommit.py). SQLite: BEGIN IMMEDIATE, the
    # scan, the guard, settle (4) and the finish as three.
    assert len(verify_sql) <= (2 if postgres else 10), verify_sql
