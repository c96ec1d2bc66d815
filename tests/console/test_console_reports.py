"""问题与心愿 pages: the report queue with its filters and export, a report's timeline and
its steps (accept, transfer, resolve), the wishes review queue with approve and reject;
roles, CSRF and another community's report or wish."""

from sqlalchemy import select

from server.db.session import db
from server.grid.report_models import Report
from server.grid.report_timeline import report_timeline
from server.grid.wish_models import Wish
from server.http.errors import NotFound
from tests import claims_helpers
from tests.console.console_pages_helpers import browser, other_admin, sheet_rows
from tests.grid import reports_helpers, wish_helpers
from tests.grid.reports_helpers import grid_id, new_report
from tests.grid.wish_helpers import posted
from tests.tasks.test_tasks_support import load_user

# The fixtures these tests use, by name.
clock = reports_helpers.clock
reports_world = reports_helpers.reports_world
upload_dir = claims_helpers.upload_dir
wapi = wish_helpers.wapi


def status_of(query, report_id: int) -> str:
    return query(lambda s: s.get(Report, report_id).status)


def test_the_queue_filters_and_exports(app, api, reports_world, clock):
    first = new_report(api, "resident-4", reports_world["general"])
    second = new_report(api, "resident-5", reports_world["general"], text="路灯不亮")
    client, _ = browser(app, api, "reviewer")
    page = client.get("/console/reports").get_data(as_text=True)
    assert f'data-id="{first["id"]}"' in page and f'data-id="{second["id"]}"' in page
    assert first["status"] == "submitted"
    other = "confirmed"
    assert f'data-id="{first["id"]}"' in client.get("/console/reports?status=submitted").get_data(
        as_text=True
    )
    assert f'data-id="{first["id"]}"' not in client.get(
        f"/console/reports?status={other}"
    ).get_data(as_text=True)
    clock.set(2026, 10, 30, 10, 0)  # long past every time limit
    late = client.get("/console/reports?overdue=yes").get_data(as_text=True)
    assert f'data-id="{first["id"]}"' in late and "（超时）" in late
    assert f'data-id="{first["id"]}"' not in client.get("/console/reports?overdue=no").get_data(
        as_text=True
    )
    assert client.get("/console/reports?overdue=maybe").status_code == 400
    rows = sheet_rows(client.get("/console/reports/export").data)
    assert rows[0][0] == "编号" and {r[0] for r in rows[1:]} == {first["id"], second["id"]}
    merchant, _ = browser(app, api, "merchant-1")
    assert merchant.get("/console/reports").status_code == 403
    assert merchant.get("/console/wishes").status_code == 403


def test_a_reports_steps_and_timeline(app, api, reports_world, clock, query):
    report = new_report(api, "resident-4", reports_world["general"])
    client, token = browser(app, api, "admin")
    rid = report["id"]
    page = client.get(f"/console/reports/{rid}").get_data(as_text=True)
    assert "办理记录" in page and "提交" in page and "刘洋" not in page  # masked
    assert client.post(f"/console/reports/{rid}/accept").status_code == 400  # no CSRF
    assert status_of(query, rid) == "submitted"
    accepted = client.post(f"/console/reports/{rid}/accept", data={"csrf_token": token})
    assert accepted.status_code == 200 and "已受理" in accepted.get_data(as_text=True)
    assert status_of(query, rid) == "accepted"
    g2 = query(lambda s: grid_id("g2"))
    moved = client.post(
        f"/console/reports/{rid}/transfer", data={"grid_id": str(g2), "csrf_token": token}
    )
    assert moved.status_code == 422  # a reason is required
    moved = client.post(
        f"/console/reports/{rid}/transfer",
        data={"grid_id": str(g2), "reason": "属于二网格", "csrf_token": token},
    )
    assert moved.status_code == 200 and "属于二网格" in moved.get_data(as_text=True)
    assert query(lambda s: s.get(Report, rid).grid_id) == g2
    with app.app_context():
        steps = [s["step"] for s in report_timeline(load_user("admin"), rid)]
        assert steps[0] == "提交" and steps[-1] == "转办"
        db.session.remove()


def test_resolve_through_the_page(app, api, reports_world, clock, query):
    report = new_report(api, "resident-4", reports_world["general"])
    rid = report["id"]
    client, token = browser(app, api, "admin")
    client.post(f"/console/reports/{rid}/accept", data={"csrf_token": token})
    empty = client.post(f"/console/reports/{rid}/resolve", data={"csrf_token": token})
    assert empty.status_code == 422 and status_of(query, rid) == "accepted"
    done = client.post(
        f"/console/reports/{rid}/resolve", data={"note": "已清理杂物", "csrf_token": token}
    )
    assert done.status_code == 200 and "已办结" in done.get_data(as_text=True)
    assert status_of(query, rid) == "resolved"


def test_another_communitys_report_is_not_found(app, api, reports_world, clock, query):
    other_admin(app)
    report = new_report(api, "resident-4", reports_world["general"])
    with app.app_context():
        try:
            report_timeline(load_user("stranger-admin"), report["id"])
        except NotFound:
            pass
        else:
            raise AssertionError("another community's admin read the timeline")
        db.session.remove()
    stranger, token = browser(app, api, "stranger-admin")
    before = status_of(query, report["id"])
    assert stranger.get(f"/console/reports/{report['id']}").status_code == 404
    resp = stranger.post(f"/console/reports/{report['id']}/accept", data={"csrf_token": token})
    assert resp.status_code == 404 and status_of(query, report["id"]) == before


def test_wishes_are_approved_and_rejected(app, wapi, query):
    first = posted(wapi)
    second = posted(wapi, title="想请人陪老人去医院复诊")
    client, token = browser(app, wapi, "reviewer")
    page = client.get("/console/wishes").get_data(as_text=True)
    assert f'data-id="{first["id"]}"' in page and f'data-id="{second["id"]}"' in page
    path = f"/console/wishes/{first['id']}/approve"
    assert client.post(path, data={"audience": "community"}).status_code == 400
    bad = client.post(path, data={"audience": "street", "csrf_token": token})
    assert bad.status_code == 422
    assert query(lambda s: s.get(Wish, first["id"]).status) == "pending"
    done = client.post(path, data={"audience": "community", "points": "15", "csrf_token": token})
    assert done.status_code == 200 and "已发布心愿" in done.get_data(as_text=True)
    wish = query(lambda s: s.get(Wish, first["id"]))
    assert (wish.status, wish.points) == ("published", 15)
    reject = f"/console/wishes/{second['id']}/reject"
    assert client.post(reject, data={"csrf_token": token}).status_code == 422
    done = client.post(reject, data={"reason": "请线下联系居委会", "csrf_token": token})
    assert done.status_code == 200 and "已驳回心愿" in done.get_data(as_text=True)
    assert query(lambda s: s.get(Wish, second["id"]).status) == "rejected"
    rows = sheet_rows(client.get("/console/wishes/export?status=rejected").data)
    assert [r[0] for r in rows[1:]] == [second["id"]]
    grid, _ = browser(app, wapi, "grid-1")
    assert grid.get("/console/wishes").status_code == 403


def test_another_communitys_wish_is_not_found(app, wapi, query):
    wish = posted(wapi)
    other_admin(app)
    stranger, token = browser(app, wapi, "stranger-admin")
    resp = stranger.post(
        f"/console/wishes/{wish['id']}/approve", data={"audience": "community", "csrf_token": token}
    )
    assert resp.status_code == 404
    assert query(lambda s: s.scalar(select(Wish.status).where(Wish.id == wish["id"]))) == "pending"
