"""The grid-service catalogue: admins create and change items (audited); members read it."""

import pytest
from sqlalchemy import func, select

from server.db.audit import AuditLog
from server.grid import service_log_items
from server.grid.service_log_models import ServiceItem, ServiceLog
from tests.conftest import error_code
from tests.grid import service_log_helpers as h

upload_dir = h.upload_dir
gapi = h.gapi


def audits(query, action):
    return query(
        lambda s: s.scalars(
            select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
        ).all()
    )


def item_count(query):
    return query(lambda s: s.scalar(select(func.count(ServiceItem.id))))


def test_admin_creates_items_audited_and_workers_list_the_active_ones(gapi, query):
    created = audits(query, "service_item.create")
    assert [a.after["code"] for a in created] == ["VISIT", "ERRAND"]
    assert created[0].actor_id == h.uid(query, "admin")
    assert created[1].after == {
        "id": gapi.items.errand,
        "code": "ERRAND",
        "name": "代办",
        "description": "",
        "points": 5,
        "rule": "auto",
        "beneficiary": "worker",
        "active": True,
        "sort_order": 0,
    }
    resp = gapi.post(
        h.ADMIN_ITEMS,
        "admin",
        json={"code": "MEDIATE", "name": "调解", "points": 20, "active": False},
    )
    assert resp.status_code == 201 and resp.get_json()["rule"] == "review"

    listed = gapi.get(h.ITEMS, "grid-1").get_json()
    assert [i["code"] for i in listed["items"]] == ["VISIT", "ERRAND"]
    assert listed["next_cursor"] is None
    everything = gapi.get(h.ITEMS + "?include_inactive=true", "admin").get_json()
    assert [i["code"] for i in everything["items"]] == ["VISIT", "ERRAND", "MEDIATE"]
    page = gapi.get(h.ITEMS + "?limit=1", "grid-1").get_json()
    assert len(page["items"]) == 1 and page["next_cursor"]


def test_only_admins_manage_the_catalogue(gapi, query):
    before = item_count(query)
    body = {"code": "HELP", "name": "帮扶", "points": 10}
    for identity in ("grid-1", "reviewer", "resident-1"):
        resp = gapi.post(h.ADMIN_ITEMS, identity, json=body)
        assert resp.status_code == 403, identity
        assert "管理员" in resp.get_json()["error"]["message"]
        patch = gapi.patch(f"{h.ADMIN_ITEMS}/{gapi.items.visit}", identity, json={"points": 99})
        assert patch.status_code == 403
    assert gapi.get(h.ITEMS + "?include_inactive=true", "grid-1").status_code == 403
    assert item_count(query) == before
    assert query(lambda s: s.get(ServiceItem, gapi.items.visit).points) == 10


@pytest.mark.parametrize(
    "body, field",
    [
        ({"code": "X", "name": "帮扶", "points": 0}, "points"),
        ({"code": "X", "name": "帮扶", "points": 1001}, "points"),
        ({"code": "X", "name": "帮扶", "points": 10, "rule": "sometimes"}, "rule"),
        ({"code": "X", "name": "帮" * 33, "points": 10}, "name"),
        ({"code": "X", "name": "帮\x00扶", "points": 10}, "name"),
        ({"code": "X Y", "name": "帮扶", "points": 10}, "code"),
        ({"code": "X", "name": "帮扶", "points": 10, "active": 1}, "active"),
        ({"code": "X", "name": "帮扶", "points": 10, "colour": "red"}, "colour"),
    ],
)
def test_bad_items_are_refused_with_field_errors(gapi, query, body, field):
    before = item_count(query)
    resp = gapi.post(h.ADMIN_ITEMS, "admin", json=body)
    assert resp.status_code == 422
    assert field in resp.get_json()["error"]["details"]["fields"]["json"]
    assert item_count(query) == before


def test_duplicate_code_is_a_conflict(gapi, query):
    resp = gapi.post(h.ADMIN_ITEMS, "admin", json={"code": "VISIT", "name": "再走访", "points": 5})
    assert resp.status_code == 409 and error_code(resp) == "service_item_code_exists"
    assert item_count(query) == 2


def test_the_catalogue_is_bounded(gapi, query, monkeypatch):
    monkeypatch.setattr(service_log_items, "MAX_ITEMS_PER_COMMUNITY", 2)
    resp = gapi.post(h.ADMIN_ITEMS, "admin", json={"code": "HELP", "name": "帮扶", "points": 5})
    assert resp.status_code == 409 and error_code(resp) == "service_items_full"
    assert item_count(query) == 2


def test_patch_is_audited_and_recorded_logs_keep_their_points(gapi, query):
    first = h.record(gapi).get_json()
    resp = gapi.patch(
        f"{h.ADMIN_ITEMS}/{gapi.items.visit}",
        "admin",
        json={"points": 15, "rule": "auto", "description": "入户走访"},
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["points"] == 15 and resp.get_json()["rule"] == "auto"
    (audit,) = audits(query, "service_item.update")
    assert audit.before["points"] == 10 and audit.after["points"] == 15
    assert audit.before["rule"] == "review" and audit.after["rule"] == "auto"

    second = h.record(gapi).get_json()
    assert (first["points"], first["rule"], first["status"]) == (10, "review", "pending")
    assert (second["points"], second["rule"], second["status"]) == (15, "auto", "approved")
    assert query(lambda s: s.get(ServiceLog, first["id"]).points) == 10

    same = gapi.patch(f"{h.ADMIN_ITEMS}/{gapi.items.visit}", "admin", json={"points": 15})
    assert same.status_code == 200
    assert len(audits(query, "service_item.update")) == 1  # nothing changed, nothing audited


def test_another_communitys_admin_cannot_touch_the_items(gapi, app, query):
    other = h.other_community(app, query)
    resp = gapi.patch(f"{h.ADMIN_ITEMS}/{gapi.items.visit}", "other-admin", json={"points": 1})
    assert resp.status_code == 404 and error_code(resp) == "service_item_not_found"
    assert query(lambda s: s.get(ServiceItem, gapi.items.visit).points) == 10
    listed = gapi.get(h.ITEMS, "outsider").get_json()["items"]
    assert [i["id"] for i in listed] == [other.item_id]
