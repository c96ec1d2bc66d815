from datetime import timedelta

import pytest
from sqlalchemy import select

from server.db.audit import AuditLog
from server.db.session import db
from server.points import catalogue
from server.points.models import PointItem, PointItemVersion
from tests.claims_helpers import item_id, make_other_community, today
from tests.conftest import error_code


def all_items(api, identity, **params):
    items, cursor = [], None
    while True:
        query = {"limit": 10, **params, **({"cursor": cursor} if cursor else {})}
        body = api.get("/api/v1/points/items", identity, query_string=query).get_json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def audits(query, action):
    return query(lambda s: s.scalars(select(AuditLog).where(AuditLog.action == action)).all())


def test_residents_see_the_catalogue_with_current_points(api, seeded):
    items = all_items(api, "resident-1")
    assert len(items) == 35
    by_code = {i["code"]: i for i in items}
    assert by_code["C01"]["name"] == "垃圾分类志愿督导" and by_code["C01"]["points"] == 10
    assert by_code["C01"]["category"]["name"] == "文明实践"
    assert by_code["C05"]["monthly_cap"] == 1
    assert by_code["C01"]["next_version"] is None
    assert {i["points"] for i in items} == {5, 10, 20}
    cats = api.get("/api/v1/points/categories", "resident-1").get_json()["items"]
    assert len(cats) == 7
    only = all_items(api, "resident-1", category_id=cats[0]["id"])
    assert len(only) == 5


def test_catalogue_needs_membership_and_login(api, seeded):
    assert api.get("/api/v1/points/items").status_code == 401
    api.login("newcomer")
    resp = api.get("/api/v1/points/items", "newcomer")
    assert resp.status_code == 403 and error_code(resp) == "not_a_member"
    resp = api.get("/api/v1/points/items", "resident-1", query_string={"limit": 101})
    assert resp.status_code == 422


def test_admin_manages_categories_and_items(api, seeded, query):
    resp = api.post(
        "/api/v1/admin/points/categories", "admin", json={"code": "sport", "name": "全民健身"}
    )
    assert resp.status_code == 201, resp.get_json()
    cat = resp.get_json()
    resp = api.post(
        "/api/v1/admin/points/items",
        "admin",
        json={
            "category_id": cat["id"],
            "code": "F01",
            "name": "组织广场舞活动",
            "points": 5,
            "account_kinds": ["person", "party_member"],
            "daily_cap": 2,
        },
    )
    assert resp.status_code == 201, resp.get_json()
    item = resp.get_json()
    assert item["points"] == 5 and item["effective_from"] == today().isoformat()
    assert item["account_kinds"] == ["person", "party_member"] and item["daily_cap"] == 2

    resp = api.patch(
        f"/api/v1/admin/points/items/{item['id']}",
        "admin",
        json={"name": "组织全民健身活动", "monthly_cap": 8, "daily_cap": None, "active": False},
    )
    assert resp.status_code == 200
    patched = resp.get_json()
    assert (patched["name"], patched["monthly_cap"], patched["daily_cap"]) == (
        "组织全民健身活动",
        8,
        None,
    )
    assert "F01" not in {i["code"] for i in all_items(api, "resident-1")}
    assert "F01" in {i["code"] for i in all_items(api, "admin", include_inactive="true")}
    resp = api.get("/api/v1/points/items", "resident-1", query_string={"include_inactive": "true"})
    assert resp.status_code == 403

    [create] = audits(query, "point_item.create")
    assert create.after["code"] == "F01"
    [update] = audits(query, "point_item.update")
    assert update.before["daily_cap"] == 2 and update.after["daily_cap"] is None
    assert update.before["active"] is True and update.after["active"] is False
    assert len(audits(query, "point_category.create")) == 1


def test_value_changes_from_a_date_and_history_is_kept(api, seeded, query, app):
    iid = item_id(query, "C01")
    tomorrow = today() + timedelta(days=1)
    resp = api.post(
        f"/api/v1/admin/points/items/{iid}/versions",
        "admin",
        json={"points": 15, "effective_from": tomorrow.isoformat()},
    )
    assert resp.status_code == 201, resp.get_json()
    item = next(i for i in all_items(api, "resident-1") if i["id"] == iid)
    assert item["points"] == 10  # still today's value
    assert item["next_version"]["points"] == 15
    assert item["next_version"]["effective_from"] == tomorrow.isoformat()

    # A scheduled value may be corrected before it takes effect; the audit keeps both.
    resp = api.post(
        f"/api/v1/admin/points/items/{iid}/versions",
        "admin",
        json={"points": 12, "effective_from": tomorrow.isoformat()},
    )
    assert resp.status_code == 201 and resp.get_json()["points"] == 12
    assert len(audits(query, "point_item.version_replace")) == 1
    [added] = audits(query, "point_item.version_add")
    assert added.before["points"] == 10 and added.after["points"] == 15

    history = api.get(f"/api/v1/admin/points/items/{iid}/versions", "admin").get_json()["items"]
    assert [v["points"] for v in history] == [10, 12]

    with app.app_context():
        item = db.session.get(PointItem, iid)
        assert item.version_on(tomorrow).points == 12
        assert item.version_on(today()).points == 10
        assert catalogue.item_view(item, tomorrow)["points"] == 12


def test_value_for_today_replaces_nothing(api, seeded, query):
    iid = item_id(query, "C01")
    url = f"/api/v1/admin/points/items/{iid}/versions"
    resp = api.post(url, "admin", json={"points": 7, "effective_from": today().isoformat()})
    assert resp.status_code == 201
    resp = api.post(url, "admin", json={"points": 8, "effective_from": today().isoformat()})
    assert resp.status_code == 409 and error_code(resp) == "version_exists"
    past = (today() - timedelta(days=1)).isoformat()
    resp = api.post(url, "admin", json={"points": 8, "effective_from": past})
    assert resp.status_code == 422 and error_code(resp) == "effective_from_in_past"
    versions = query(
        lambda s: s.scalars(
            select(PointItemVersion.points).where(PointItemVersion.item_id == iid)
        ).all()
    )
    assert sorted(versions) == [7, 10]


@pytest.mark.parametrize(
    "body",
    [
        {"points": 0, "effective_from": "2099-01-01"},
        {"points": 1001, "effective_from": "2099-01-01"},
        {"points": "10", "effective_from": "2099-01-01"},
        {"points": 10},
        {"points": 10, "effective_from": "tomorrow"},
        {"points": 10, "effective_from": "2099-01-01", "extra": 1},
    ],
)
def test_bad_version_input(api, seeded, query, body):
    iid = item_id(query, "C01")
    resp = api.post(f"/api/v1/admin/points/items/{iid}/versions", "admin", json=body)
    assert resp.status_code == 422
    assert len(audits(query, "point_item.version_add")) == 0


@pytest.mark.parametrize(
    "patch",
    [
        {"account_kinds": []},
        {"account_kinds": ["alien"]},
        {"account_kinds": ["person", "person"]},
        {"daily_cap": 0},
        {"name": ""},
        {"name": "x" * 65},
        {"code": "NEW"},
        {"category_id": 999999},
    ],
)
def test_bad_item_patch_changes_nothing(api, seeded, query, patch):
    iid = item_id(query, "C01")
    resp = api.patch(f"/api/v1/admin/points/items/{iid}", "admin", json=patch)
    assert resp.status_code == 422, resp.get_json()
    item = query(lambda s: s.get(PointItem, iid))
    assert item.name == "垃圾分类志愿督导" and item.daily_cap is None
    assert audits(query, "point_item.update") == []


def test_bad_item_creation(api, seeded, query, app):
    other_cid, _ = make_other_community(app)
    cat_id = api.get("/api/v1/points/categories", "admin").get_json()["items"][0]["id"]
    base = {"category_id": cat_id, "code": "Z01", "name": "新项目", "points": 5}
    url = "/api/v1/admin/points/items"
    resp = api.post(url, "admin", json={**base, "code": "C01"})
    assert resp.status_code == 409 and error_code(resp) == "item_code_exists"
    resp = api.post(url, "admin", json={**base, "code": "bad code!"})
    assert resp.status_code == 422
    past = (today() - timedelta(days=3)).isoformat()
    resp = api.post(url, "admin", json={**base, "effective_from": past})
    assert resp.status_code == 422 and error_code(resp) == "effective_from_in_past"
    with app.app_context():
        from server.points.models import PointCategory

        other_cat = db.session.scalar(
            select(PointCategory.id).where(PointCategory.community_id == other_cid)
        )
    resp = api.post(url, "admin", json={**base, "category_id": other_cat})
    assert resp.status_code == 422 and error_code(resp) == "unknown_category"
    resp = api.post(
        "/api/v1/admin/points/categories", "admin", json={"code": "theory", "name": "重复"}
    )
    assert resp.status_code == 409 and error_code(resp) == "category_code_exists"
    assert query(lambda s: s.scalar(select(PointItem.id).where(PointItem.code == "Z01"))) is None
    assert audits(query, "point_item.create") == []


def test_only_admins_of_the_community_manage_it(api, seeded, query, app):
    _, other_item = make_other_community(app, identities=("other-admin",), admin="other-admin")
    iid = item_id(query, "C01")
    for identity in ("resident-1", "reviewer"):
        resp = api.patch(f"/api/v1/admin/points/items/{iid}", identity, json={"active": False})
        assert resp.status_code == 403
        resp = api.post(
            "/api/v1/admin/points/categories", identity, json={"code": "x", "name": "x"}
        )
        assert resp.status_code == 403
    # Another community's admin cannot see or change this community's items, nor the reverse.
    resp = api.patch(f"/api/v1/admin/points/items/{iid}", "other-admin", json={"active": False})
    assert resp.status_code == 404
    resp = api.post(
        f"/api/v1/admin/points/items/{other_item}/versions",
        "admin",
        json={"points": 5, "effective_from": "2099-01-01"},
    )
    assert resp.status_code == 404
    assert query(lambda s: s.get(PointItem, iid)).active is True
    other_items = api.get("/api/v1/points/items", "other-admin").get_json()["items"]
    assert [i["code"] for i in other_items] == ["X01"]
