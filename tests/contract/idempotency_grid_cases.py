"""The grid's and the wishes' request pairs for tests/contract/test_idempotency.py."""

from datetime import timedelta

from server.db.types import utcnow
from tests.contract.idempotency_cases import Call, Case
from tests.grid import wish_helpers as wishes

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
