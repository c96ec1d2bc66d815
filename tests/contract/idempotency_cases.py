"""The request pairs of tests/contract/test_idempotency.py: for each idempotent route, a first
call and another call by the same person (points, rewards, tasks and cards; the grid's and the
wishes' are in idempotency_grid_cases.py), and what a money-like POST can write."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from server.community.card_holder_models import ActOnBehalf, CardHolder
from server.db.audit import AuditLog
from server.grid.report_models import Report
from server.grid.service_log_models import ServiceLog
from server.grid.wish_models import Wish
from server.outbox.models import OutboxEvent
from server.points.claim_models import PointClaim
from server.points.ledger_models import Hold, LedgerEntry
from server.rewards.models import Redemption
from server.tasks.models import TaskAttendance
from tests.claims_helpers import item_id, today
from tests.rewards.test_rewards_support import give_points, make_offer
from tests.tasks.test_tasks_support import T0, Clock, create_task, user_id


@dataclass
class Call:
    who: str
    path: str
    body: dict | None


@dataclass
class Case:
    first: Call
    other: Call  # the same caller and key, another request


def claim(api, query, who="resident-1", description="在小区垃圾分类点督导两小时") -> int:
    body = {
        "item_id": item_id(query, "C01"),
        "occurred_on": today().isoformat(),
        "description": description,
    }
    resp = api.post("/api/v1/points/claims", who, json=body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def claim_body(query, description):
    return {
        "item_id": item_id(query, "C01"),
        "occurred_on": today().isoformat(),
        "description": description,
    }


def submit_claim(w):
    c = "/api/v1/points/claims"
    return Case(
        Call("resident-1", c, claim_body(w.query, "督导垃圾分类")),
        Call("resident-1", c, claim_body(w.query, "督导垃圾分类（另一次）")),
    )


def approve_claim(w):
    first, second = claim(w.api, w.query), claim(w.api, w.query, "resident-2")
    c = "/api/v1/points/claims"
    return Case(
        Call("reviewer", f"{c}/{first}/approve", {}), Call("reviewer", f"{c}/{second}/approve", {})
    )


def reject_claim(w):
    first = claim(w.api, w.query)
    path = f"/api/v1/points/claims/{first}/reject"
    return Case(
        Call("reviewer", path, {"reason": "照片不清楚"}),
        Call("reviewer", path, {"reason": "描述不完整"}),
    )


def resubmit_claim(w):
    first = claim(w.api, w.query)
    refused = w.api.post(
        f"/api/v1/points/claims/{first}/reject", "reviewer", json={"reason": "缺照片"}
    )
    assert refused.status_code == 200
    path = f"/api/v1/points/claims/{first}/resubmit"
    return Case(
        Call("resident-1", path, claim_body(w.query, "补充说明：督导垃圾分类")),
        Call("resident-1", path, claim_body(w.query, "另一份补充说明")),
    )


def batch_decide(w):
    first, second = claim(w.api, w.query), claim(w.api, w.query, "resident-2")
    path = "/api/v1/points/claims/batch-decide"
    return Case(
        Call("reviewer", path, {"ids": [first], "decision": "approve"}),
        Call("reviewer", path, {"ids": [second], "decision": "approve"}),
    )


def adjust(w):
    uid = user_id(w.query, "resident-3")
    path = "/api/v1/points/adjustments"
    return Case(
        Call("admin", path, {"user_id": uid, "amount": 25, "reason": "表彰"}),
        Call("admin", path, {"user_id": uid, "amount": 26, "reason": "表彰"}),
    )


def reverse(w):
    uid = user_id(w.query, "resident-3")
    entries = []
    for amount in (30, 40):
        body = {"user_id": uid, "amount": amount, "reason": "误发"}
        entries.append(
            w.api.post("/api/v1/points/adjustments", "admin", json=body).get_json()["entry"]["id"]
        )
    path = "/api/v1/points/adjustments/{}/reverse"
    return Case(
        Call("admin", path.format(entries[0]), {"reason": "冲正"}),
        Call("admin", path.format(entries[1]), {"reason": "冲正"}),
    )


def reserve(w):
    offers = [make_offer(w.app, points_cost=10), make_offer(w.app, title="另一个", points_cost=10)]
    give_points(w.app, "resident-1", 100)
    path = "/api/v1/redemptions"
    return Case(
        Call("resident-1", path, {"offer_id": offers[0]}),
        Call("resident-1", path, {"offer_id": offers[1]}),
    )


def verify(w):
    offer = make_offer(w.app, points_cost=10)
    give_points(w.app, "resident-1", 100)
    tokens = []
    for _ in range(2):
        rid = w.api.post("/api/v1/redemptions", "resident-1", json={"offer_id": offer})
        rid = rid.get_json()["id"]
        code = w.api.get(f"/api/v1/redemptions/{rid}/code", "resident-1").get_json()["token"]
        tokens.append(code)
    path = "/api/v1/merchant/verify"
    return Case(
        Call("merchant-1", path, {"token": tokens[0]}),
        Call("merchant-1", path, {"token": tokens[1]}),
    )


def complete_task(w):
    ids = [create_task(w.api, w.query, radius_m=None)["id"] for _ in range(2)]
    w.clock.set(T0 + timedelta(days=1, minutes=30))
    for tid in ids:
        body = {"user_id": user_id(w.query, "resident-1")}
        resp = w.api.post(f"/api/v1/tasks/{tid}/attendance", "admin", json=body)
        assert resp.status_code == 200, resp.get_json()
    return Case(
        Call("admin", f"/api/v1/tasks/{ids[0]}/complete", None),
        Call("admin", f"/api/v1/tasks/{ids[1]}/complete", None),
    )


def register_holder(w):
    path = "/api/v1/card-holders"
    body = {"real_name": "刘桂兰", "building": "3栋", "pin": "2580"}
    return Case(Call("grid-1", path, body), Call("grid-1", path, {**body, "real_name": "周玉珍"}))


def card_redeem(w):
    from tests.cards.card_helpers import card_qr, registered

    offers = [make_offer(w.app, points_cost=10), make_offer(w.app, title="另一个", points_cost=10)]
    holder = registered(w.api, "grid-1")
    bonus = {"user_id": holder["id"], "amount": 100, "reason": "敬老表彰"}
    assert w.api.post("/api/v1/points/adjustments", "admin", json=bonus).status_code == 201
    body = {"card": card_qr(w.query, holder["id"]), "pin": "2580"}
    path = "/api/v1/merchant/card-redemptions"
    return Case(
        Call("merchant-1", path, {**body, "offer_id": offers[0]}),
        Call("merchant-1", path, {**body, "offer_id": offers[1]}),
    )


@dataclass
class World:
    app: object
    api: object
    query: object
    clock: Clock


def effects(query):
    """Everything a money-like POST can write."""
    models = (
        CardHolder,
        ActOnBehalf,
        LedgerEntry,
        Hold,
        PointClaim,
        Redemption,
        TaskAttendance,
        ServiceLog,
        Report,
        Wish,
        AuditLog,
        OutboxEvent,
    )
    return query(lambda s: [s.scalar(select(func.count()).select_from(m)) for m in models]) + [
        query(lambda s: s.scalar(select(func.count()).where(PointClaim.status == "pending")))
    ]


def send(api, call: Call, key: str):
    kwargs = {"json": call.body} if call.body is not None else {}
    return api.post(call.path, call.who, headers={"Idempotency-Key": key}, **kwargs)
