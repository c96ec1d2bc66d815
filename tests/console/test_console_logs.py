"""操作日志 and 定时任务 in the console: the community's audit entries (filters, readable
before/after, export) for admins and reviewers only, never another community's; each
scheduled job with its cadence and last runs for admins."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from server.admin.audit_entries import list_audit_entries, readable
from server.auth.models import User
from server.community.models import Community
from server.db.audit import record_audit
from server.db.session import db
from server.db.types import utcnow
from server.http.errors import BadRequest, Forbidden
from server.notify import schedule
from tests.claims_helpers import make_other_community, today
from tests.console.cc_helpers import console_as, post, sheet_rows
from tests.ledger_helpers import user_id_of


def _audit(app, community_id, action, actor_identity="admin", **kw):
    with app.app_context():
        record_audit(
            actor_id=user_id_of(actor_identity) if actor_identity else None,
            action=action,
            target_type=kw.pop("target_type", "point_item"),
            target_id=kw.pop("target_id", 1),
            community_id=community_id,
            **kw,
        )
        db.session.commit()


def _demo(query) -> int:
    return query(lambda s: s.scalar(select(Community.id).where(Community.code == "demo")))


def test_audit_entries_at_the_service(app, seeded, ctx, query):
    demo = _demo(query)
    other, _item = make_other_community(app)
    _audit(app, demo, "point_item.version_add", before={"points": 5}, after={"points": 8})
    _audit(app, demo, "grid.rename", target_type="grid", actor_identity=None)
    _audit(app, other, "point_item.create", actor_identity=None)
    admin = db.session.get(User, user_id_of("admin"))
    page = list_audit_entries(admin, demo)
    assert [e["action"] for e in page.items] == ["grid.rename", "point_item.version_add"]
    assert page.items[0]["actor"] == "系统" and page.items[1]["after"] == {"points": 8}
    assert [e["action"] for e in list_audit_entries(admin, demo, action="point_item").items] == [
        "point_item.version_add"
    ]
    assert list_audit_entries(admin, demo, target_type="grid").items[0]["action"] == "grid.rename"
    tomorrow = today() + timedelta(days=1)
    assert list_audit_entries(admin, demo, day_from=tomorrow).items == []
    with pytest.raises(BadRequest):
        list_audit_entries(admin, demo, day_from=tomorrow, day_to=today())
    with pytest.raises(Forbidden):
        list_audit_entries(db.session.get(User, user_id_of("grid-1")), demo)
    with pytest.raises(Forbidden):
        list_audit_entries(admin, other)
    assert readable({"grids": [{"code": "g1"}]}) == 'grids: [{"code": "g1"}]'


def test_the_audit_page_for_admins_and_reviewers(app, seeded, api, query):
    demo = _demo(query)
    other, _item = make_other_community(app)
    _audit(app, demo, "point_item.version_add", before={"points": 5}, after={"points": 8})
    _audit(app, other, "point_item.secret", actor_identity=None)
    name = query(lambda s: s.get(User, user_id_of("admin")).display_name)
    reviewer = console_as(app, api, "reviewer")
    html = reviewer.get("/console/audit-log").get_data(as_text=True)
    assert "point_item.version_add" in html and "points: 8" in html and name in html
    assert "point_item.secret" not in html
    by_actor = reviewer.get("/console/audit-log", query_string={"actor": name[:1]})
    assert "point_item.version_add" in by_actor.get_data(as_text=True)
    nobody = reviewer.get("/console/audit-log", query_string={"actor": "不存在的人"})
    assert "point_item.version_add" not in nobody.get_data(as_text=True)
    rows = sheet_rows(reviewer.get("/console/audit-log/export?action=point_item"))
    assert rows[0][:3] == ["时间", "操作人", "操作"]
    assert [r[2] for r in rows[1:]] == ["point_item.version_add"]
    assert reviewer.get("/console/audit-log?from=2026-13-01").status_code == 400
    assert console_as(app, api, "grid-1").get("/console/audit-log").status_code == 403


def test_actions_on_pages_appear_in_the_audit_log(app, seeded, api):
    admin = console_as(app, api, "admin")
    assert post(admin, "/console/grids", {"code": "g8", "name": "第八网格"}).status_code == 200
    html = admin.get("/console/audit-log?target_type=grid").get_data(as_text=True)
    assert "grid.create" in html and "name: 第八网格" in html


def test_the_jobs_page_shows_each_job_and_its_last_runs(app, seeded, api):
    admin = console_as(app, api, "admin")
    with app.app_context():
        schedule.run_due(utcnow(), jobs=(schedule.JOBS[0],))
        db.session.remove()
    html = admin.get("/console/jobs").get_data(as_text=True)
    for job in schedule.JOBS:
        assert f'data-job="{job.name}"' in html
    assert "每分钟" in html and "释放过期的积分冻结" in html
    assert html.count("尚未执行") == len(schedule.JOBS) - 1
    assert "reservations: 0" in html
    assert console_as(app, api, "reviewer").get("/console/jobs").status_code == 403


def test_the_audit_log_through_the_api(app, seeded, api, query):
    demo = _demo(query)
    other, _item = make_other_community(app, identities=("outsider",), admin="outsider")
    _audit(app, demo, "point_item.version_add", before={"points": 5}, after={"points": 8})
    _audit(app, demo, "grid.rename", target_type="grid", target_id=7, actor_identity=None)
    _audit(app, other, "point_item.secret", actor_identity=None)
    path = f"/api/v1/admin/communities/{demo}/audit-entries"

    page = api.get(path, "reviewer").get_json()
    assert [e["action"] for e in page["items"]] == ["grid.rename", "point_item.version_add"]
    system, change = page["items"]
    assert system["actor"] == "系统" and system["actor_id"] is None
    assert system["target_type"] == "grid" and system["target_id"] == "7"
    assert change["before"] == {"points": 5} and change["after"] == {"points": 8}
    with app.app_context():
        assert change["actor_id"] == user_id_of("admin")
    assert datetime.fromisoformat(change["at"]).tzinfo is not None
    first = api.get(path + "?limit=1", "admin").get_json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = api.get(path + f"?limit=1&cursor={first['next_cursor']}", "admin").get_json()
    assert second["items"][0]["action"] == "point_item.version_add"
    assert [e["action"] for e in api.get(path + "?action=grid", "admin").get_json()["items"]] == [
        "grid.rename"
    ]
    tomorrow = (today() + timedelta(days=1)).isoformat()
    assert api.get(path + f"?from={tomorrow}", "admin").get_json()["items"] == []

    for bad in ("?from=2026-13-01", "?limit=0", "?actor=" + "长" * 65, "?nope=1"):
        resp = api.get(path + bad, "admin")
        assert resp.status_code in (400, 422) and "error" in resp.get_json(), bad
    assert api.get(path, "resident-1").status_code == 403
    assert api.get(path, "grid-1").status_code == 403
    assert api.get(path, "outsider").status_code == 403  # another community's admin
    assert api.get(f"/api/v1/admin/communities/{other}/audit-entries", "admin").status_code == 403
    assert api.get(path, None).status_code == 401
