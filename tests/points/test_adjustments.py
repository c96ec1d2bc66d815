"""Balance, history and admin adjustments through HTTP (and the Idempotency-Key header)."""

from sqlalchemy import func, select

from server.community import roles as community_roles
from server.community import service as community_service
from server.db.audit import AuditLog
from server.db.session import db
from server.http.idempotency import IdempotencyRecord
from server.outbox.models import OutboxEvent
from server.points import ledger
from server.points.ledger_models import Account, LedgerEntry
from tests.conftest import error_code
from tests.factories import add_other_community
from tests.ledger_helpers import check_invariants, demo_community_id, org_id_of, user_id_of

ADJ = "/api/v1/points/adjustments"


def _ids(app, *identities):
    with app.app_context():
        return [user_id_of(i) for i in identities]


def _count(query, model, *where):
    return query(lambda s: s.scalar(select(func.count()).select_from(model).where(*where)))


def _other_admin(app, api):
    """An admin of a second community, logged in as `other-admin`."""
    api.login("other-admin")
    with app.app_context():
        other, _grid = add_other_community()
        db.session.commit()
        user_id = user_id_of("other-admin")
        from server.auth.models import User

        user = db.session.get(User, user_id)
        community_service.join_community(user, other.id)
        community_roles.grant_role(None, other.id, user_id, "admin")
        db.session.remove()


def test_bonus_shows_in_balance_history_audit_and_outbox(api, seeded, app, query):
    (uid,) = _ids(app, "resident-3")
    resp = api.post(
        ADJ, "admin", json={"user_id": uid, "amount": 25, "reason": "表彰：疫情防控志愿者"}
    )
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["entry"]["amount"] == 25 and body["entry"]["kind"] == "bonus"
    assert body["entry"]["kind_label"] == "奖励加分"
    assert body["account"]["balance"] == 25 and body["account"]["available"] == 25

    bal = api.get("/api/v1/points/balance", "resident-3").get_json()
    assert (bal["balance"], bal["held"], bal["available"], bal["earned"]) == (25, 0, 25, 25)
    assert bal["year_earned"] == 25
    history = api.get("/api/v1/points/ledger", "resident-3").get_json()
    assert [e["reason"] for e in history["items"]] == ["表彰：疫情防控志愿者"]
    assert history["next_cursor"] is None

    audit = query(
        lambda s: s.scalars(select(AuditLog).where(AuditLog.action == "points.adjust")).one()
    )
    assert audit.before["balance"] == 0 and audit.after["balance"] == 25
    assert audit.after["reason"] == "表彰：疫情防控志愿者"
    assert _count(query, OutboxEvent, OutboxEvent.event_type == "points.adjusted") == 1
    # Someone else's balance is untouched and empty.
    assert api.get("/api/v1/points/balance", "resident-4").get_json()["balance"] == 0


def test_deduction_beyond_available_is_refused_and_changes_nothing(api, seeded, app, query):
    (uid,) = _ids(app, "resident-4")
    assert (
        api.post(ADJ, "admin", json={"user_id": uid, "amount": 10, "reason": "奖励"}).status_code
        == 201
    )
    resp = api.post(ADJ, "admin", json={"user_id": uid, "amount": -11, "reason": "违规扣分"})
    assert resp.status_code == 409 and error_code(resp) == "insufficient_points"
    assert "可用积分" in resp.get_json()["error"]["message"]
    assert (
        _count(query, LedgerEntry) == 1
        and _count(query, AuditLog, AuditLog.action == "points.adjust") == 1
    )
    ok = api.post(ADJ, "admin", json={"user_id": uid, "amount": -10, "reason": "乱扔垃圾扣分"})
    assert ok.status_code == 201 and ok.get_json()["entry"]["kind"] == "deduction"
    bal = api.get("/api/v1/points/balance", "resident-4").get_json()
    assert (bal["balance"], bal["earned"], bal["year_earned"]) == (0, 10, 10)
    query(check_invariants)


def test_idempotency_key_replays_and_refuses_reuse(api, seeded, app, query):
    (uid,) = _ids(app, "resident-5")
    body = {"user_id": uid, "amount": 8, "reason": "补录积分"}
    headers = {"Idempotency-Key": "adj-0001"}
    first = api.post(ADJ, "admin", json=body, headers=dict(headers))
    again = api.post(ADJ, "admin", json=body, headers=dict(headers))
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert _count(query, LedgerEntry) == 1

    changed = api.post(ADJ, "admin", json={**body, "amount": 9}, headers=dict(headers))
    assert changed.status_code == 422 and error_code(changed) == "idempotency_key_reused"
    assert _count(query, LedgerEntry) == 1

    # A refused request stores nothing: the same key may be retried once it can succeed.
    refused = api.post(
        ADJ, "admin", json={**body, "amount": -100}, headers={"Idempotency-Key": "k2"}
    )
    assert refused.status_code == 409
    assert _count(query, IdempotencyRecord, IdempotencyRecord.key == "k2") == 0

    bad = api.post(ADJ, "admin", json=body, headers={"Idempotency-Key": "x" * 129})
    assert bad.status_code == 422 and error_code(bad) == "invalid_idempotency_key"


def test_in_flight_key_is_a_conflict(api, seeded, app, query):
    (uid, admin_id) = _ids(app, "resident-6", "admin")
    with app.app_context():
        db.session.add(
            IdempotencyRecord(
                user_id=admin_id, scope="points.adjustments", key="busy", request_hash="0" * 64
            )
        )
        db.session.commit()
    body = {"user_id": uid, "amount": 5, "reason": "并发提交"}
    resp = api.post(ADJ, "admin", json=body, headers={"Idempotency-Key": "busy"})
    # Same key but a different hash (the stored one is fake): reuse wins over in-flight.
    assert resp.status_code == 422
    with app.app_context():
        import hashlib
        import json

        payload = json.dumps(body, sort_keys=True, ensure_ascii=False)
        digest = hashlib.sha256(f"POST {ADJ}\n{payload}".encode()).hexdigest()
        db.session.execute(IdempotencyRecord.__table__.update().values(request_hash=digest))
        db.session.commit()
    resp = api.post(ADJ, "admin", json=body, headers={"Idempotency-Key": "busy"})
    assert resp.status_code == 409 and error_code(resp) == "idempotency_in_flight"
    assert _count(query, LedgerEntry) == 0


def test_adjustment_bad_input_changes_nothing(api, seeded, app, query):
    (uid,) = _ids(app, "resident-7")
    org = query(lambda s: org_id_of("幸福路小学"))
    cases = [
        {"user_id": uid, "amount": 0, "reason": "零"},
        {"user_id": uid, "amount": 1_000_001, "reason": "太多"},
        {"user_id": uid, "amount": -1_000_001, "reason": "太多"},
        {"user_id": uid, "amount": "10", "reason": "字符串"},
        {"user_id": uid, "amount": 1.5, "reason": "小数"},
        {"user_id": uid, "amount": 5},
        {"user_id": uid, "amount": 5, "reason": ""},
        {"user_id": uid, "amount": 5, "reason": "长" * 201},
        {"user_id": uid, "organisation_id": org, "amount": 5, "reason": "两个"},
        {"amount": 5, "reason": "没有对象"},
        {"user_id": uid, "amount": 5, "reason": "多余字段", "extra": 1},
        {"user_id": -1, "amount": 5, "reason": "负数编号"},
    ]
    for case in cases:
        resp = api.post(ADJ, "admin", json=case)
        assert resp.status_code == 422, (case, resp.get_json())
    resp = api.post(ADJ, "admin", json={"user_id": 999999, "amount": 5, "reason": "查无此人"})
    assert resp.status_code == 404
    assert _count(query, LedgerEntry) == 0 and _count(query, AuditLog) == 0


def test_adjustment_authorisation(api, seeded, app, query):
    (uid,) = _ids(app, "resident-8")
    body = {"user_id": uid, "amount": 5, "reason": "自己给自己加分"}
    for identity in ("resident-8", "reviewer", "grid-1"):
        resp = api.post(ADJ, identity, json=body)
        assert resp.status_code == 403, identity
    _other_admin(app, api)
    resp = api.post(ADJ, "other-admin", json=body)
    assert resp.status_code == 403
    org = query(lambda s: org_id_of("幸福路小学"))
    resp = api.post(ADJ, "other-admin", json={"organisation_id": org, "amount": 5, "reason": "x"})
    assert resp.status_code == 403
    assert api.post(ADJ, json=body).status_code == 401
    assert _count(query, LedgerEntry) == 0


def test_organisation_account_and_staff_view(api, seeded, app, query):
    org = query(lambda s: org_id_of("幸福路小学"))
    other_org = query(lambda s: org_id_of("区税务局第二分局"))
    resp = api.post(ADJ, "admin", json={"organisation_id": org, "amount": 40, "reason": "共建活动"})
    assert resp.status_code == 201
    # resident-19 is staff of 幸福路小学 in the demo data.
    bal = api.get(f"/api/v1/points/balance?organisation_id={org}", "resident-19").get_json()
    assert (bal["holder_type"], bal["balance"]) == ("organisation", 40)
    hist = api.get(f"/api/v1/points/ledger?organisation_id={org}", "resident-19").get_json()
    assert hist["items"][0]["reason"] == "共建活动"
    assert (
        api.get(f"/api/v1/points/balance?organisation_id={other_org}", "resident-19").status_code
        == 403
    )
    assert api.get(f"/api/v1/points/ledger?organisation_id={org}", "resident-1").status_code == 403
    assert (
        api.get("/api/v1/points/balance?organisation_id=999999", "resident-19").status_code == 404
    )
    assert api.get("/api/v1/points/balance?organisation_id=abc", "resident-19").status_code == 422


def test_shop_account_staff_view_and_refusals(api, seeded, app, query):
    from server.community.models import Merchant

    shop = query(lambda s: s.scalar(select(Merchant.id).where(Merchant.name == "幸福社区积分超市")))
    other = query(lambda s: s.scalar(select(Merchant.id).where(Merchant.id != shop)))
    shops = [shop, other]
    resp = api.post(
        ADJ, "admin", json={"merchant_id": shops[0], "amount": 12, "reason": "诚信店铺"}
    )
    assert resp.status_code == 201, resp.get_json()
    # merchant-1 is staff of 幸福社区积分超市 in the demo data.
    bal = api.get(f"/api/v1/points/balance?merchant_id={shops[0]}", "merchant-1").get_json()
    assert (bal["holder_type"], bal["balance"], bal["year_earned"]) == ("merchant", 12, 12)
    assert (
        api.get(f"/api/v1/points/balance?merchant_id={shops[1]}", "merchant-1").status_code == 403
    )
    missing = api.get("/api/v1/points/balance?merchant_id=999999", "merchant-1")
    assert missing.status_code == 404 and error_code(missing) == "merchant_not_found"
    both = api.get(f"/api/v1/points/balance?merchant_id={shops[0]}&organisation_id=1", "merchant-1")
    assert both.status_code == 422
    assert "merchant_id" in both.get_json()["error"]["details"]["fields"]["query"]
    # merchant-1's own account did not move.
    assert api.get("/api/v1/points/balance", "merchant-1").get_json()["balance"] == 0


def test_history_is_paginated_newest_first(api, seeded, app):
    with app.app_context():
        account = ledger.account_for_user(demo_community_id(), user_id_of("resident-9"))
        for n in range(25):
            ledger.credit(
                account,
                n + 1,
                reason=f"第{n + 1}次志愿服务",
                idempotency_key=f"h{n}",
                cause_type="claim",
                cause_id=n,
            )
        db.session.commit()
    seen, cursor = [], None
    while True:
        url = "/api/v1/points/ledger?limit=10" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(url, "resident-9").get_json()
        seen += [e["amount"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(range(25, 0, -1))
    assert api.get("/api/v1/points/ledger?limit=101", "resident-9").status_code == 422
    assert api.get("/api/v1/points/ledger?cursor=%%%", "resident-9").status_code == 400
    api.login("stranger")
    resp = api.get("/api/v1/points/balance", "stranger")
    assert resp.status_code == 403 and error_code(resp) == "not_a_member"


def test_reverse_entry_through_http(api, seeded, app, query):
    (uid,) = _ids(app, "resident-10")
    entry = api.post(ADJ, "admin", json={"user_id": uid, "amount": 30, "reason": "误发"}).get_json()
    entry_id = entry["entry"]["id"]
    url = f"{ADJ}/{entry_id}/reverse"
    assert api.post(url, "resident-10", json={"reason": "我想撤销"}).status_code == 403
    _other_admin(app, api)
    assert api.post(url, "other-admin", json={"reason": "跨社区"}).status_code == 403
    assert api.post(url, "admin", json={}).status_code == 422
    assert api.post(url, "admin", json={"reason": "x" * 201}).status_code == 422

    resp = api.post(url, "admin", json={"reason": "发放错误，冲正"})
    assert resp.status_code == 201, resp.get_json()
    rev = resp.get_json()
    assert rev["entry"]["amount"] == -30 and rev["entry"]["reverses_entry_id"] == entry_id
    assert rev["account"]["balance"] == 0 and rev["account"]["earned"] == 0
    again = api.post(url, "admin", json={"reason": "再冲一次"})
    assert again.status_code == 409 and error_code(again) == "already_reversed"
    resp = api.post(f"{ADJ}/{rev['entry']['id']}/reverse", "admin", json={"reason": "冲正的冲正"})
    assert resp.status_code == 409 and error_code(resp) == "entry_not_reversible"
    assert api.post(f"{ADJ}/999999/reverse", "admin", json={"reason": "不存在"}).status_code == 404
    assert _count(query, AuditLog, AuditLog.action == "points.reverse") == 1
    bal = api.get("/api/v1/points/balance", "resident-10").get_json()
    assert (bal["balance"], bal["earned"], bal["year_earned"]) == (0, 0, 0)
    query(check_invariants)
    assert _count(query, Account) == 1
