"""积分目录 in the console: admins see items with their value in force and history, add items
and categories and schedule new values through the catalogue services (audited); other roles
and other communities' items are refused."""

from datetime import timedelta

from sqlalchemy import select

from server.db.audit import AuditLog
from server.points.models import PointCategory, PointItem, PointItemVersion
from tests.claims_helpers import make_other_community, today
from tests.console.cc_helpers import console_as, post, sheet_rows


def _item(query, code: str):
    return query(lambda s: s.scalar(select(PointItem).where(PointItem.code == code)))


def _versions(query, item_id: int) -> list[tuple[int, str]]:
    return query(
        lambda s: [
            (v.points, v.effective_from.isoformat())
            for v in s.scalars(
                select(PointItemVersion)
                .where(PointItemVersion.item_id == item_id)
                .order_by(PointItemVersion.effective_from)
            )
        ]
    )


def test_the_catalogue_is_for_admins_and_exports_the_filter(app, seeded, api, query):
    admin = console_as(app, api, "admin")
    page = admin.get("/console/catalogue")
    assert page.status_code == 200 and "积分目录" in page.get_data(as_text=True)
    assert console_as(app, api, "reviewer").get("/console/catalogue").status_code == 403
    category_id = query(
        lambda s: s.scalar(select(PointCategory.id).where(PointCategory.code == "governance"))
    )
    filtered = admin.get(f"/console/catalogue?category_id={category_id}").get_data(as_text=True)
    assert "参加居民议事会" in filtered
    rows = sheet_rows(admin.get(f"/console/catalogue/export?category_id={category_id}"))
    assert rows[0][:5] == ["编码", "名称", "类别", "方向", "当前分值"]
    assert sorted(r[0] for r in rows[1:]) == ["G01", "G02", "G03", "G04", "G05"]
    assert {r[2] for r in rows[1:]} == {"社区治理"}
    assert admin.get("/console/catalogue?category_id=x").status_code == 400


def test_adding_an_item_and_a_category(app, seeded, api, query):
    admin = console_as(app, api, "admin")
    category_id = query(lambda s: s.scalar(select(PointCategory.id).limit(1)))
    body = {"category_id": category_id, "code": "Z01", "name": "清理楼道", "points": "8",
            "direction": "earn", "account_kinds": ["person", "party_member"]}  # fmt: skip
    assert post(admin, "/console/catalogue/items", body, csrf=False).status_code == 400
    assert _item(query, "Z01") is None
    added = post(admin, "/console/catalogue/items", body)
    assert added.status_code == 200 and "积分项目已添加" in added.get_data(as_text=True)
    item = _item(query, "Z01")
    assert item.account_kinds == ["person", "party_member"]
    assert _versions(query, item.id) == [(8, today().isoformat())]
    bad = post(admin, "/console/catalogue/items", {**body, "code": "坏 编码"})
    assert bad.status_code == 422 and "编码只能包含" in bad.get_data(as_text=True)
    too_many = post(admin, "/console/catalogue/items", {**body, "code": "Z02", "points": "1001"})
    assert too_many.status_code == 422 and _item(query, "Z02") is None
    category = post(admin, "/console/catalogue/categories", {"code": "extra", "name": "其他"})
    assert category.status_code == 200 and "积分类别已添加" in category.get_data(as_text=True)
    again = post(admin, "/console/catalogue/categories", {"code": "extra", "name": "其他"})
    assert again.status_code == 409


def test_changing_a_value_keeps_the_history_and_is_audited(app, seeded, api, query):
    admin = console_as(app, api, "admin")
    item = _item(query, "G01")
    before = _versions(query, item.id)
    tomorrow = (today() + timedelta(days=1)).isoformat()
    path = f"/console/catalogue/items/{item.id}/versions"
    assert (
        post(admin, path, {"points": "12", "effective_from": tomorrow}, csrf=False).status_code
        == 400
    )
    changed = post(admin, path, {"points": "12", "effective_from": tomorrow})
    html = changed.get_data(as_text=True)
    assert changed.status_code == 200 and "分值已调整" in html and "12 分（" in html
    assert _versions(query, item.id) == [*before, (12, tomorrow)]
    audited = query(
        lambda s: s.scalar(select(AuditLog.action).where(AuditLog.target_id == str(item.id)))
    )
    assert audited == "point_item.version_add"
    past = (today() - timedelta(days=1)).isoformat()
    refused = post(admin, path, {"points": "15", "effective_from": past})
    assert refused.status_code == 422 and "不能早于今天" in refused.get_data(as_text=True)
    assert _versions(query, item.id) == [*before, (12, tomorrow)]
    detail = admin.get(f"/console/catalogue/items/{item.id}").get_data(as_text=True)
    assert "分值历史" in detail and tomorrow in detail


def test_another_communitys_item_is_not_found_and_unchanged(app, seeded, api, query):
    _other, foreign_item = make_other_community(app)
    admin = console_as(app, api, "admin")
    assert admin.get(f"/console/catalogue/items/{foreign_item}").status_code == 404
    tomorrow = (today() + timedelta(days=1)).isoformat()
    resp = post(
        admin,
        f"/console/catalogue/items/{foreign_item}/versions",
        {"points": "99", "effective_from": tomorrow},
    )
    assert resp.status_code == 404
    assert _versions(query, foreign_item) == [(10, "2026-01-01")]
