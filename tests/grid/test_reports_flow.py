"""The life of a report through HTTP: routing, content review, every transition, SLA clocks,
the reporter's points, events and audit rows."""

from datetime import datetime

from sqlalchemy import select

from server.community.models import Membership
from server.db.audit import AuditLog
from server.db.session import db
from server.grid.report_points import closed_reports_by_worker
from server.outbox.models import OutboxEvent
from server.points.ledger_models import LedgerEntry
from tests import claims_helpers
from tests.claims_helpers import upload
from tests.conftest import error_code
from tests.grid import reports_helpers
from tests.grid.reports_helpers import (
    BASE,
    demo_community_id,
    grid_id,
    new_report,
    ok_step,
    shanghai,
    step,
    user_id,
)

# The fixtures these tests use, by name.
clock = reports_helpers.clock
reports_world = reports_helpers.reports_world
upload_dir = claims_helpers.upload_dir

SETTINGS = "/api/v1/admin/grid/report-settings"


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _ledger(query, key):
    return query(
        lambda s: s.scalars(select(LedgerEntry).where(LedgerEntry.idempotency_key == key)).all()
    )


def test_the_whole_loop_credits_the_reporter_once_and_counts_for_the_worker(
    api, reports_world, clock, query, upload_dir
):
    photo = upload(api, "resident-1").get_json()
    report = new_report(api, "resident-1", reports_world["photo"], photo_ids=[photo["id"]])
    assert report["status"] == "submitted" and report["grid"]["name"].startswith("第一网格")
    assert report["reporter"]["name"] == "张伟明"  # the reporter sees their own name
    assert _when(report["accept_due_at"]) == shanghai(2026, 10, 13, 10)
    assert _when(report["resolve_due_at"]) == shanghai(2026, 10, 15, 10)

    seen = api.get(f"{BASE}/reports/{report['id']}", "grid-1").get_json()
    assert seen["reporter"]["name"] == "张*明"  # masked for the worker
    assert api.get(photo["url"], "grid-1").status_code == 200
    assert api.get(photo["url"], "resident-5").status_code == 404  # g2's worker

    accepted = ok_step(api, "grid-1", report["id"], "accept")
    assert accepted["status"] == "accepted" and accepted["points_credited"] is True
    key = f"report:{report['id']}:reporter"
    (entry,) = _ledger(query, key)
    assert entry.amount == 5 and entry.cause_type == "report"

    clock.set(2026, 10, 13, 9)
    fix = upload(api, "grid-1").get_json()
    resolved = ok_step(
        api, "grid-1", report["id"], "resolve", note="已清理杂物", photo_ids=[fix["id"]]
    )
    assert resolved["status"] == "resolved" and resolved["resolved_by"]["name"] == "陈志强"
    assert api.get(fix["url"], "resident-1").status_code == 200
    assert _when(resolved["reopen_until"]) == shanghai(2026, 10, 20, 9)

    clock.set(2026, 10, 14, 9)
    confirmed = ok_step(api, "resident-1", report["id"], "confirm", rating=5, feedback="很及时")
    assert confirmed["status"] == "confirmed" and confirmed["rating"] == 5
    assert len(_ledger(query, key)) == 1

    def closed(s):
        return closed_reports_by_worker(demo_community_id(), "2026-10")

    assert query(closed) == {
        query(lambda s: user_id("grid-1")): {"closed": 1, "average_rating": 5.0}
    }
    assert query(lambda s: closed_reports_by_worker(demo_community_id(), "2026-11")) == {}
    # The worker's monthly performance shows it, to the worker and to the community's reviewers.
    mine = api.get("/api/v1/grid/performance/me?month=2026-10", "grid-1").get_json()
    assert (mine["reports_closed"], mine["average_rating"]) == (1, 5.0)
    theirs = api.get("/api/v1/grid/performance?month=2026-10", "reviewer").get_json()["items"]
    row = next(r for r in theirs if r["worker"]["id"] == query(lambda s: user_id("grid-1")))
    assert (row["reports_closed"], row["average_rating"]) == (1, 5.0)
    other = api.get("/api/v1/grid/performance/me?month=2026-11", "grid-1").get_json()
    assert (other["reports_closed"], other["average_rating"]) == (0, None)

    events = query(
        lambda s: s.scalars(
            select(OutboxEvent.event_type)
            .where(OutboxEvent.aggregate_type == "report")
            .order_by(OutboxEvent.id)
        ).all()
    )
    assert events == ["report.submitted", "report.accepted", "report.resolved", "report.confirmed"]
    audited = query(
        lambda s: s.scalars(select(AuditLog.action).where(AuditLog.target_type == "report")).all()
    )
    assert audited == ["report.accept", "report.resolve"]


def test_routing_given_grid_else_reporters_grid_else_the_community_queue(
    api, reports_world, app, query
):
    cat = reports_world["general"]
    g3 = query(lambda s: grid_id("g3"))
    assert new_report(api, "resident-1", cat, grid_id=g3)["grid"]["id"] == g3
    assert new_report(api, "resident-2", cat)["grid"]["id"] == query(lambda s: grid_id("g2"))
    with app.app_context():
        db.session.execute(
            Membership.__table__.update()
            .where(Membership.user_id == user_id("resident-4"))
            .values(grid_id=None)
        )
        db.session.commit()
    queued = new_report(api, "resident-4", cat)
    assert queued["grid"] is None
    unassigned = api.get(
        f"{BASE}/reports", "reviewer", query_string={"scope": "community", "unassigned": "true"}
    )
    assert [r["id"] for r in unassigned.get_json()["items"]] == [queued["id"]]
    # The community assigns it to a grid, whose worker must accept it.
    moved = ok_step(api, "admin", queued["id"], "transfer", grid_id=g3, reason="位于第三网格")
    assert moved["grid"]["id"] == g3 and moved["status"] == "submitted"


def test_flagged_text_waits_in_review_then_is_released_or_rejected(
    api, reports_world, clock, query
):
    cat = reports_world["general"]
    flagged = new_report(api, "resident-1", cat, text="楼下有人发小广告")
    assert flagged["status"] == "in_review" and flagged["content_verdict"] == "review"
    assert flagged["accept_due_at"] is None
    # The grid does not see it yet; the reviewers do.
    assert api.get(f"{BASE}/reports/{flagged['id']}", "grid-1").status_code == 404
    review = api.get(
        f"{BASE}/reports", "reviewer", query_string={"scope": "community", "status": "in_review"}
    )
    assert [r["id"] for r in review.get_json()["items"]] == [flagged["id"]]
    assert error_code(step(api, "grid-1", flagged["id"], "accept")) == "report_not_found"

    clock.set(2026, 10, 12, 15)
    released = ok_step(api, "reviewer", flagged["id"], "release")
    assert released["status"] == "submitted"
    assert _when(released["accept_due_at"]) == shanghai(2026, 10, 13, 15)
    assert api.get(f"{BASE}/reports/{flagged['id']}", "grid-1").status_code == 200

    other = new_report(api, "resident-1", cat, text="有人在小区组织赌博")
    assert other["status"] == "in_review" and other["content_verdict"] == "risky"
    assert (
        error_code(step(api, "resident-2", other["id"], "reject", reason="x")) == "report_not_found"
    )
    rejected = ok_step(api, "reviewer", other["id"], "reject", reason="内容不符合规范")
    assert rejected["status"] == "rejected" and rejected["last_reason"] == "内容不符合规范"
    assert error_code(step(api, "reviewer", other["id"], "release")) == "report_state_conflict"
    actions = query(lambda s: s.scalars(select(AuditLog.action).order_by(AuditLog.id)).all())
    assert actions[-2:] == ["report.release", "report.reject"]


def test_wechat_down_keeps_the_report_for_review(api, reports_world, emulator):
    emulator.fault("msg_sec_check", errcode=-1)
    report = new_report(api, "resident-1", reports_world["general"])
    assert report["status"] == "in_review" and report["content_verdict"] == "unavailable"


def test_waiting_pauses_the_clock_and_resuming_continues_it(api, reports_world, clock):
    report = new_report(api, "resident-1", reports_world["general"])  # Mon 10-12 10:00
    ok_step(api, "grid-1", report["id"], "accept")
    clock.set(2026, 10, 13, 10)
    waiting = ok_step(api, "grid-1", report["id"], "wait", reason="需要上报人开门查看")
    assert waiting["status"] == "waiting" and waiting["paused"] is True
    assert waiting["resolve_due_at"] is None and waiting["overdue"] is False
    # Long after the original due time (Thu 10-15 10:00) it is not overdue: the clock stopped.
    clock.set(2026, 10, 16, 10)
    assert api.get(f"{BASE}/reports/{report['id']}", "grid-1").get_json()["overdue"] is False
    # The reporter answers: two working days were left -> Tue 10-20 10:00.
    resumed = ok_step(api, "resident-1", report["id"], "resume", note="明天上午在家")
    assert resumed["status"] == "accepted"
    assert _when(resumed["resolve_due_at"]) == shanghai(2026, 10, 20, 10)
    clock.set(2026, 10, 20, 9, 59)
    assert api.get(f"{BASE}/reports/{report['id']}", "grid-1").get_json()["overdue"] is False
    clock.set(2026, 10, 20, 10, 1)
    assert api.get(f"{BASE}/reports/{report['id']}", "grid-1").get_json()["overdue"] is True


def test_national_day_sla_through_the_api(api, reports_world, clock):
    clock.set(2026, 9, 30, 10)
    report = new_report(api, "resident-1", reports_world["general"])
    assert _when(report["accept_due_at"]) == shanghai(2026, 10, 8, 10)
    assert _when(report["resolve_due_at"]) == shanghai(2026, 10, 10, 10)  # make-up Saturday
    clock.set(2026, 10, 7, 23)
    assert api.get(f"{BASE}/reports/{report['id']}", "grid-1").get_json()["overdue"] is False
    clock.set(2026, 10, 8, 10, 1)
    assert api.get(f"{BASE}/reports/{report['id']}", "grid-1").get_json()["overdue"] is True


def test_reopen_within_seven_days_restarts_the_resolve_clock(api, reports_world, clock):
    report = new_report(api, "resident-1", reports_world["general"])
    ok_step(api, "grid-1", report["id"], "accept")
    ok_step(api, "grid-1", report["id"], "resolve", note="已处理")
    clock.set(2026, 10, 19, 9, 59)  # 7 days less a minute after resolution
    reopened = ok_step(api, "resident-1", report["id"], "reopen", reason="杂物又堆回来了")
    assert reopened["status"] == "accepted" and reopened["reopened_count"] == 1
    assert _when(reopened["resolve_due_at"]) == shanghai(2026, 10, 22, 9, 59)
    assert reopened["last_reason"] == "杂物又堆回来了"
    ok_step(api, "grid-1", report["id"], "resolve", note="再次清理")
    assert ok_step(api, "resident-1", report["id"], "confirm", rating=3)["rating"] == 3


def test_transfer_moves_the_report_and_its_visibility_and_escalation_goes_to_the_community(
    api, reports_world, query
):
    report = new_report(api, "resident-1", reports_world["general"])
    ok_step(api, "grid-1", report["id"], "accept")
    g2 = query(lambda s: grid_id("g2"))
    moved = ok_step(api, "grid-1", report["id"], "transfer", grid_id=g2, reason="属于和平苑")
    assert (
        moved["status"] == "submitted"
        and moved["grid"]["id"] == g2
        and moved["accepted_by"] is None
    )
    assert api.get(f"{BASE}/reports/{report['id']}", "grid-1").status_code == 404
    queue = api.get(f"{BASE}/reports", "resident-5", query_string={"scope": "grid"}).get_json()
    assert [r["id"] for r in queue["items"]] == [report["id"]]
    ok_step(api, "resident-5", report["id"], "accept")  # the reporter is not credited again
    escalated = ok_step(api, "resident-5", report["id"], "escalate", reason="需要社区协调")
    assert escalated["grid"] is None and escalated["status"] == "submitted"
    assert error_code(step(api, "resident-5", report["id"], "accept")) == "report_not_found"
    ok_step(api, "admin", report["id"], "accept")
    entries = _ledger(query, f"report:{report['id']}:reporter")
    assert len(entries) == 1
    kinds = query(
        lambda s: s.scalars(
            select(OutboxEvent.event_type).where(OutboxEvent.aggregate_id == str(report["id"]))
        ).all()
    )
    assert "report.transferred" in kinds and "report.escalated" in kinds


def test_duplicates_close_without_points(api, reports_world, query):
    cat = reports_world["general"]
    first = new_report(api, "resident-1", cat)
    second = new_report(api, "resident-4", cat)
    assert (
        error_code(step(api, "grid-1", second["id"], "duplicate", duplicate_of_id=first["id"]))
        == "not_report_handler"
    )
    dup = ok_step(api, "reviewer", second["id"], "duplicate", duplicate_of_id=first["id"])
    assert dup["status"] == "duplicate" and dup["duplicate_of_id"] == first["id"]
    assert error_code(step(api, "grid-1", second["id"], "accept")) == "report_state_conflict"
    assert _ledger(query, f"report:{second['id']}:reporter") == []
    third = new_report(api, "resident-7", cat)
    code = error_code(step(api, "reviewer", third["id"], "duplicate", duplicate_of_id=second["id"]))
    assert code == "invalid_duplicate_target"
    assert (
        error_code(step(api, "reviewer", third["id"], "duplicate", duplicate_of_id=third["id"]))
        == "invalid_duplicate_target"
    )


def test_per_grid_open_and_overdue_counts(api, reports_world, clock, query):
    cat = reports_world["general"]
    new_report(api, "resident-1", cat)
    late = new_report(api, "resident-4", cat)
    new_report(api, "resident-2", cat)
    done = new_report(api, "resident-7", cat)
    ok_step(api, "grid-1", done["id"], "accept")
    ok_step(api, "grid-1", done["id"], "resolve", note="已处理")
    ok_step(api, "grid-1", late["id"], "accept")
    clock.set(2026, 10, 13, 11)  # past every accept due (10-13 10:00)
    stats = api.get(f"{BASE}/reports/stats", "reviewer").get_json()
    by_code = {row["grid"]["id"]: (row["open"], row["overdue"]) for row in stats["items"]}
    g1, g2, g3 = (query(lambda s, c=c: grid_id(c)) for c in ("g1", "g2", "g3"))
    # g1: one submitted past accept due, one accepted still within resolve due.
    assert by_code == {g1: (2, 1), g2: (1, 1), g3: (0, 0)}
    assert stats["queue"] == {"open": 0, "overdue": 0}
    overdue = api.get(
        f"{BASE}/reports", "grid-1", query_string={"scope": "grid", "overdue": "true"}
    )
    assert len(overdue.get_json()["items"]) == 1
    assert error_code(api.get(f"{BASE}/reports/stats", "grid-1")) == "not_a_reviewer"
    assert error_code(api.get(f"{BASE}/reports/stats", "resident-1")) == "not_a_reviewer"


def test_reporter_points_follow_the_community_setting(api, reports_world, query):
    assert api.get(SETTINGS, "admin").get_json() == {"reporter_points": 5}
    resp = api.call("PUT", SETTINGS, "admin", json={"reporter_points": 8})
    assert resp.status_code == 200
    report = new_report(api, "resident-1", reports_world["general"])
    ok_step(api, "grid-1", report["id"], "accept")
    (entry,) = _ledger(query, f"report:{report['id']}:reporter")
    assert entry.amount == 8
    zero = api.call("PUT", SETTINGS, "admin", json={"reporter_points": 0})
    assert zero.status_code == 200
    unpaid = new_report(api, "resident-4", reports_world["general"])
    assert ok_step(api, "grid-1", unpaid["id"], "accept")["points_credited"] is False
    assert (
        error_code(api.call("PUT", SETTINGS, "reviewer", json={"reporter_points": 3}))
        == "forbidden"
    )
    stored = query(
        lambda s: s.scalars(
            select(AuditLog.action).where(AuditLog.action == "report_settings.update")
        ).all()
    )
    assert len(stored) == 2
