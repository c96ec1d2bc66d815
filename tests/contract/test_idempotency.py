"""One Idempotency-Key behaviour on every POST that takes the header (docs/idempotency.md).

For each: the first request's status and body are replayed for the same key (and nothing
happens again), the same key with another request is 422 idempotency_key_reused, and while the
first is in flight a duplicate is 409 idempotency_in_flight. The list of cases must name every
route marked `idempotent` and every POST with money-like effects.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from server.community.card_holder_models import ActOnBehalf, CardHolder
from server.db.audit import AuditLog
from server.db.types import utcnow
from server.grid.report_models import Report
from server.grid.service_log_models import ServiceLog
from server.grid.wish_models import Wish
from server.http import idempotency
from server.http.idempotency import IdempotencyRecord
from server.outbox.models import OutboxEvent
from server.points.claim_models import PointClaim
from server.points.ledger_models import Hold, LedgerEntry
from server.rewards.models import Redemption
from server.tasks.models import TaskAttendance
from tests.claims_helpers import item_id, today, upload_dir  # noqa: F401 (fixture)
from tests.conftest import error_code
from tests.grid import wish_helpers as wishes
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


GRID = "/api/v1/grid"


def service_item(w, code: str, rule: str) -> int:
    body = {"code": code, "name": f"服务{code}", "points": 10, "rule": rule}
    resp = w.api.post("/api/v1/admin/grid/service-items", "admin", json=body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def service_body(item: int, minutes: int) -> dict:
    served_at = (utcnow() - timedelta(minutes=5)).isoformat()
    return {"item_id": item, "duration_minutes": minutes, "served_at": served_at, "place": "3栋"}


def record_service(w):
    item = service_item(w, "ERRAND", "auto")  # credited at once
    path = f"{GRID}/service-logs"
    return Case(
        Call("grid-1", path, service_body(item, 30)), Call("grid-1", path, service_body(item, 45))
    )


def review_logs(w) -> list[int]:
    item = service_item(w, "VISIT", "review")
    logs = []
    for minutes in (30, 40):
        resp = w.api.post(f"{GRID}/service-logs", "grid-1", json=service_body(item, minutes))
        assert resp.status_code == 201, resp.get_json()
        logs.append(resp.get_json()["id"])
    return logs


def approve_service_log(w):
    first, second = review_logs(w)
    path = f"{GRID}/service-logs/{{}}/approve"
    return Case(Call("reviewer", path.format(first), {}), Call("reviewer", path.format(second), {}))


def reject_service_log(w):
    first, _ = review_logs(w)
    path = f"{GRID}/service-logs/{first}/reject"
    return Case(
        Call("reviewer", path, {"reason": "照片不清楚"}),
        Call("reviewer", path, {"reason": "时长不符"}),
    )


def report_category(w) -> int:
    resp = w.api.post("/api/v1/admin/grid/report-categories", "admin", json={"name": "环境卫生"})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def report_body(category: int, text: str) -> dict:
    return {"category_id": category, "text": text, "place": "幸福里3栋"}


def post_report(w):
    category = report_category(w)
    path = f"{GRID}/reports"
    return Case(
        Call("resident-1", path, report_body(category, "楼道堆放杂物")),
        Call("resident-1", path, report_body(category, "路灯不亮")),
    )


def accept_report(w):
    category = report_category(w)
    reports = []
    for text in ("楼道堆放杂物", "路灯不亮"):  # resident-1 lives in g1, grid-1's grid
        resp = w.api.post(f"{GRID}/reports", "resident-1", json=report_body(category, text))
        assert resp.status_code == 201, resp.get_json()
        reports.append(resp.get_json()["id"])
    path = f"{GRID}/reports/{{}}/accept"
    return Case(
        Call("grid-1", path.format(reports[0]), {}), Call("grid-1", path.format(reports[1]), {})
    )


def two(make, w) -> list[int]:
    return [make(w.api)["id"] for _ in range(2)]


def wish_pair(path: str, first: int, second: int, who: str, body=None) -> Case:
    url = f"{wishes.WISHES}/{{}}/{path}"
    return Case(Call(who, url.format(first), body), Call(who, url.format(second), body))


def create_wish(w):
    return Case(
        Call(wishes.POSTER, wishes.WISHES, wishes.wish_body()),
        Call(wishes.POSTER, wishes.WISHES, wishes.wish_body(title="帮忙换个灯泡")),
    )


def cancel_wish(w):
    return wish_pair("cancel", *two(wishes.posted, w), wishes.POSTER)


def approve_wish(w):
    return wish_pair("approve", *two(wishes.posted, w), "reviewer", {"audience": "community"})


def reject_wish(w):
    path = f"{wishes.WISHES}/{wishes.posted(w.api)['id']}/reject"
    return Case(
        Call("reviewer", path, {"reason": "不属于微心愿范围"}),
        Call("reviewer", path, {"reason": "信息不全"}),
    )


def claim_wish(w):
    return wish_pair("claim", *two(wishes.published, w), "resident-1", {})


def hand_back_wish(w):
    return wish_pair("hand-back", *two(wishes.claimed, w), "resident-1", {})


def fulfil_wish(w):
    path = f"{wishes.WISHES}/{wishes.claimed(w.api)['id']}/fulfil"
    photo = wishes.upload(w.api, "resident-1").get_json()["id"]
    return Case(
        Call("resident-1", path, {"note": "已经修好", "photo_ids": [photo]}),
        Call("resident-1", path, {"note": "换了新的水龙头", "photo_ids": [photo]}),
    )


def confirm_wish(w):
    return wish_pair("confirm", *two(wishes.fulfilled, w), wishes.POSTER, {})


# Every route that takes Idempotency-Key, by its scope; money-like effects marked.
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


CASES = {
    "cards.holders": register_holder,
    "cards.redeem": card_redeem,  # holds and debits
    "points.claims": submit_claim,
    "points.claims.approve": approve_claim,  # credits
    "points.claims.reject": reject_claim,
    "points.claims.resubmit": resubmit_claim,
    "points.claims.batch_decide": batch_decide,  # credits
    "points.adjustments": adjust,  # credits or debits
    "points.reverse": reverse,  # credits or debits
    "rewards.redemptions": reserve,  # holds
    "rewards.verify": verify,  # debits
    "tasks.complete": complete_task,  # credits
    "grid.service_logs": record_service,  # credits (automatic items)
    "grid.service_logs.approve": approve_service_log,  # credits
    "grid.service_logs.reject": reject_service_log,
    "grid.reports": post_report,
    "grid.reports.accept": accept_report,  # credits the reporter
    "wishes.create": create_wish,
    "wishes.cancel": cancel_wish,
    "wishes.approve": approve_wish,
    "wishes.reject": reject_wish,
    "wishes.claim": claim_wish,
    "wishes.hand_back": hand_back_wish,
    "wishes.fulfil": fulfil_wish,
    "wishes.confirm": confirm_wish,  # credits the fulfiller
}
MONEY_LIKE = {
    ("POST", "/api/v1/points/claims/<int:claim_id>/approve"),
    ("POST", "/api/v1/points/claims/batch-decide"),
    ("POST", "/api/v1/points/adjustments"),
    ("POST", "/api/v1/points/adjustments/<int:entry_id>/reverse"),
    ("POST", "/api/v1/redemptions"),
    ("POST", "/api/v1/merchant/verify"),
    ("POST", "/api/v1/merchant/card-redemptions"),
    ("POST", "/api/v1/tasks/<int:task_id>/complete"),
    ("POST", "/api/v1/grid/service-logs"),
    ("POST", "/api/v1/grid/service-logs/<int:log_id>/approve"),
    ("POST", "/api/v1/grid/reports/<int:report_id>/accept"),
    ("POST", "/api/v1/wishes/<int:wish_id>/confirm"),
}


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


def idempotent_routes(app) -> dict:
    out = {}
    for rule in app.url_map.iter_rules():
        scope = getattr(app.view_functions[rule.endpoint], "idempotency_scope", None)
        if scope is not None:
            out[scope] = {(m, rule.rule) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return out


def test_the_cases_cover_every_idempotent_route_and_every_money_like_post(app):
    routes = idempotent_routes(app)
    assert set(routes) == set(CASES)
    assert all(methods == {m for m in methods if m[0] == "POST"} for methods in routes.values())
    assert MONEY_LIKE <= set().union(*routes.values())


def test_every_idempotent_route_documents_the_header(app):
    spec = app.extensions["redpoints_api"].spec.to_dict()
    documented = {
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if isinstance(op, dict)
        and any(p.get("name") == "Idempotency-Key" for p in op.get("parameters", []))
    }
    routes = set().union(*idempotent_routes(app).values())
    as_openapi = {(m, r.replace("<int:", "{").replace(">", "}")) for m, r in routes}
    assert documented == as_openapi


@pytest.mark.usefixtures("upload_dir")
@pytest.mark.parametrize("scope", sorted(CASES))
def test_the_same_key_replays_refuses_reuse_and_waits_for_the_first(
    app, api, seeded, query, monkeypatch, scope
):
    w = World(app, api, query, Clock(monkeypatch))
    case = CASES[scope](w)
    first = send(api, case.first, "key-1")
    assert 200 <= first.status_code < 300, first.get_json()
    after_first = effects(query)

    replay = send(api, case.first, "key-1")
    assert (replay.status_code, replay.get_json()) == (first.status_code, first.get_json())
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert effects(query) == after_first

    reused = send(api, case.other, "key-1")
    assert reused.status_code == 422 and error_code(reused) == "idempotency_key_reused"
    assert effects(query) == after_first

    def in_flight(s):
        s.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.key == "key-1")
            .values(status="in_flight", created_at=utcnow())
        )
        s.commit()

    query(in_flight)
    busy = send(api, case.first, "key-1")
    assert busy.status_code == 409 and error_code(busy) == "idempotency_in_flight"
    assert effects(query) == after_first


@pytest.mark.parametrize("key", ["x" * 65, "有中文", "with space", ""])
def test_a_malformed_key_is_refused_alike_everywhere(app, api, seeded, query, monkeypatch, key):
    w = World(app, api, query, Clock(monkeypatch))
    for scope in ("points.adjustments", "rewards.redemptions"):
        case = CASES[scope](w)
        before = effects(query)
        resp = send(api, case.first, key)
        assert resp.status_code == 422 and error_code(resp) == "invalid_idempotency_key", scope
        assert effects(query) == before


class Crash(BaseException):
    """The worker dying: not an error the app could answer."""


@pytest.mark.usefixtures("upload_dir")
@pytest.mark.parametrize("scope", sorted(CASES))
def test_a_crash_before_the_answer_is_stored_leaves_no_effect_and_a_retry_runs_once(
    app, api, seeded, query, monkeypatch, scope
):
    """The effect and the stored answer commit together: a worker dying before that commit
    leaves nothing done (tests/faults/test_crash_retry.py kills real gunicorn workers); the
    retry, once the marker is stale, runs the request and its answer is replayed after."""
    w = World(app, api, query, Clock(monkeypatch))
    case = CASES[scope](w)
    before = effects(query)

    def die(*_args):
        raise Crash()

    with monkeypatch.context() as m:
        m.setattr(idempotency, "_store_answer", die)
        with pytest.raises(Crash):
            send(api, case.first, "key-1")
    assert effects(query) == before

    def stale(s):
        s.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.key == "key-1")
            .values(created_at=utcnow() - timedelta(hours=1))
        )
        s.commit()

    query(stale)
    first = send(api, case.first, "key-1")
    assert 200 <= first.status_code < 300, first.get_json()
    after_first = effects(query)
    assert after_first != before
    replay = send(api, case.first, "key-1")
    assert (replay.status_code, replay.get_json()) == (first.status_code, first.get_json())
    assert effects(query) == after_first
