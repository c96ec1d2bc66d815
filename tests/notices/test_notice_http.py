"""Notices through HTTP: list, detail, xlsx, publish and correct, and their refusals."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from server.db.session import db
from server.notices.snapshot import snapshot_notice
from tests.conftest import error_code
from tests.factories import add_other_community
from tests.ledger_helpers import demo_community_id
from tests.notices.notice_helpers import AFTER_NOV, NEW_YEAR, REAL_NAMES, person_rows, post_history

pytestmark = pytest.mark.usefixtures("seeded")


def _publish(app, period, now):
    with app.app_context():
        notice_id = snapshot_notice(demo_community_id(), period, now=now).id
        db.session.remove()
    return notice_id


@pytest.fixture
def notices(app):
    post_history(app)
    return {
        "2026-11": _publish(app, "2026-11", AFTER_NOV),
        "2026-Q4": _publish(app, "2026-Q4", NEW_YEAR),
        "2026": _publish(app, "2026", NEW_YEAR),
    }


def test_members_list_notices_newest_first_by_page_and_type(api, notices):
    first = api.get("/api/v1/notices?limit=2", "resident-1")
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert [n["period"] for n in body["items"]] == ["2026", "2026-Q4"]
    assert body["items"][0]["period_label"] == "2026年度" and not body["items"][0]["corrected"]
    rest = api.get(f"/api/v1/notices?limit=2&cursor={body['next_cursor']}", "resident-1")
    assert [n["period"] for n in rest.get_json()["items"]] == ["2026-11"]
    assert rest.get_json()["next_cursor"] is None
    months = api.get("/api/v1/notices?period_type=month", "resident-1").get_json()
    assert [n["period"] for n in months["items"]] == ["2026-11"]
    for qs in ("period_type=week", "limit=0", "limit=101", "cursor=%%%"):
        resp = api.get(f"/api/v1/notices?{qs}", "resident-1")
        assert resp.status_code in (400, 422), qs
        error_code(resp)


def test_detail_has_every_kind_bounded_and_masked(api, notices):
    resp = api.get(f"/api/v1/notices/{notices['2026-11']}?limit=2", "resident-9")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["community_name"] and body["title"] == "2026年11月 红色积分公示"
    assert [k["kind"] for k in body["kinds"]] == [
        "person", "party_member", "organisation", "grid_worker", "merchant"
    ]  # fmt: skip
    assert person_rows(body) == [(1, "刘*", 50), (2, "陈*", 30)]
    assert body["stars"] == [] and body["corrects"] is None and body["corrections"] == []
    assert not any(name in resp.get_data(as_text=True) for name in REAL_NAMES)
    year = api.get(f"/api/v1/notices/{notices['2026']}", "resident-9").get_json()
    star = {"kind": "person", "kind_label": "个人", "name": "杨*", "points": 100}
    assert year["stars"][0] == star
    assert api.get(f"/api/v1/notices/{notices['2026']}?limit=101", "resident-9").status_code == 422


def test_xlsx_reads_back_with_a_sheet_per_kind(api, notices):
    resp = api.get(f"/api/v1/notices/{notices['2026-11']}/xlsx", "resident-1")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "notice-2026-11-" in resp.headers["Content-Disposition"]
    book = load_workbook(BytesIO(resp.data))
    assert book.sheetnames == ["个人", "党员", "驻区单位", "网格员", "信用店铺"]
    rows = [r for r in book["个人"].iter_rows(values_only=True)]
    assert rows[1] == ("公示", "2026年11月 红色积分公示", None)
    table = rows[rows.index(("排名", "名称", "积分")) + 1 :]
    assert table == [(1, "刘*", 50), (2, "陈*", 30), (2, "张*明", 30), (4, "陈*强", 20)]


def test_another_communitys_notice_is_not_found(api, app, notices):
    with app.app_context():
        other, _ = add_other_community()
        db.session.commit()
        other_id = snapshot_notice(other.id, "2026-11", now=AFTER_NOV).id
        db.session.remove()
    for path in (f"/api/v1/notices/{other_id}", f"/api/v1/notices/{other_id}/xlsx"):
        resp = api.get(path, "resident-1")
        assert resp.status_code == 404 and error_code(resp) == "notice_not_found"
    resp = api.post(
        f"/api/v1/admin/notices/{other_id}/corrections", "admin", json={"reason": "更正"}
    )
    assert resp.status_code == 404
    listed = api.get("/api/v1/notices", "resident-1").get_json()["items"]
    assert other_id not in [n["id"] for n in listed]


def test_admin_publishes_a_finished_period_once(api, app):
    post_history(app)
    resp = api.post("/api/v1/admin/notices", "admin", json={"period": "2026-08"})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["period_type"] == "month" and person_rows(body) == [(1, "杨*", 100)]
    again = api.post("/api/v1/admin/notices", "admin", json={"period": "2026-08"})
    assert again.get_json()["id"] == body["id"]
    for payload, status, code in (
        ({"period": "2099-01"}, 422, "period_not_ended"),
        ({"period": "2026-13"}, 422, "invalid_period"),
        ({"period": "x" * 9}, 422, "validation_error"),
        ({}, 422, "validation_error"),
    ):
        resp = api.post("/api/v1/admin/notices", "admin", json=payload)
        assert (resp.status_code, error_code(resp)) == (status, code), payload
    resp = api.post("/api/v1/admin/notices", "resident-1", json={"period": "2026-09"})
    assert resp.status_code == 403
    assert len(api.get("/api/v1/notices", "admin").get_json()["items"]) == 1


def test_correction_through_http_links_both_ways(api, notices):
    original = notices["2026-11"]
    resp = api.post(
        f"/api/v1/admin/notices/{original}/corrections", "resident-1", json={"reason": "更正"}
    )
    assert resp.status_code == 403 and error_code(resp) == "forbidden"
    for body in ({}, {"reason": ""}, {"reason": "长" * 201}, {"reason": "x", "extra": 1}):
        resp = api.post(f"/api/v1/admin/notices/{original}/corrections", "admin", json=body)
        assert resp.status_code == 422, body
    resp = api.post(
        f"/api/v1/admin/notices/{original}/corrections", "admin", json={"reason": "补录漏记积分"}
    )
    assert resp.status_code == 201, resp.get_json()
    correction = resp.get_json()
    assert correction["corrects"]["id"] == original and correction["correction_of"] == original
    assert correction["correction_reason"] == "补录漏记积分"
    detail = api.get(f"/api/v1/notices/{original}", "resident-1").get_json()
    assert [c["id"] for c in detail["corrections"]] == [correction["id"]] and detail["corrected"]
    listed = api.get("/api/v1/notices?period_type=month", "resident-1").get_json()["items"]
    assert [(n["id"], n["correction_of"]) for n in listed] == [
        (correction["id"], original),
        (original, None),
    ]
