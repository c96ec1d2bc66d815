"""The report rules called as service functions (the routes only parse and dump)."""

import pytest
from sqlalchemy import select

from server.auth.models import User
from server.db.session import db
from server.grid import report_categories, report_closure, report_handling, reports
from server.grid.report_models import Report
from server.http.errors import AppError
from server.wechat.emulator import stable_id
from tests.conftest import APPID
from tests.grid import reports_helpers
from tests.grid.reports_helpers import grid_id

clock = reports_helpers.clock
reports_world = reports_helpers.reports_world


def person(identity: str) -> User:
    return db.session.scalar(
        select(User).where(User.openid == stable_id(APPID, identity, "openid"))
    )


def refused(code: str, fn, *args, **kwargs) -> None:
    with pytest.raises(AppError) as exc:
        fn(*args, **kwargs)
    assert exc.value.code == code
    db.session.rollback()


def test_every_transition_and_refusal_as_services(ctx, reports_world, clock):
    resident, worker, reviewer = person("resident-1"), person("grid-1"), person("reviewer")
    report = reports.submit_report(resident, category_id=reports_world["general"], text="路灯不亮")
    rid = report.id
    assert (report.status, report.grid_id) == ("submitted", grid_id("g1"))

    refused("not_report_handler", report_handling.accept_report, resident, rid)
    refused("report_not_found", report_handling.accept_report, person("resident-2"), rid)
    refused("report_state_conflict", report_handling.resolve_report, worker, rid, "x")
    assert report_handling.accept_report(worker, rid).status == "accepted"
    refused("report_state_conflict", report_handling.accept_report, reviewer, rid)

    assert report_handling.wait_for_reporter(worker, rid, "等待开门").status == "waiting"
    refused("report_state_conflict", report_handling.wait_for_reporter, worker, rid, "再等")
    assert report_handling.resume_report(resident, rid, "已在家").status == "accepted"
    refused("reason_required", report_handling.transfer_report, worker, rid, grid_id("g2"), " ")
    refused("same_grid", report_handling.transfer_report, worker, rid, grid_id("g1"), "x")

    refused("note_required", report_handling.resolve_report, worker, rid, "  ")
    resolved = report_handling.resolve_report(worker, rid, "已修复")
    assert resolved.status == "resolved" and resolved.resolve_due_at is not None

    refused("not_reporter", report_closure.confirm_report, worker, rid, 5)
    assert report_closure.confirm_report(resident, rid, 4).rating == 4
    refused("report_already_confirmed", report_closure.confirm_report, resident, rid, 5)
    refused("report_state_conflict", report_closure.reopen_report, resident, rid, "又坏了")
    assert db.session.get(Report, rid).rating == 4


def test_content_review_and_duplicates_as_services(ctx, reports_world, clock):
    resident, reviewer, worker = person("resident-1"), person("reviewer"), person("grid-1")
    flagged = reports.submit_report(
        resident, category_id=reports_world["general"], text="小广告太多"
    )
    assert flagged.status == "in_review"
    refused("not_a_reviewer", reports.release_report, resident, flagged.id)
    refused("report_not_found", reports.release_report, worker, flagged.id)
    refused("reason_required", reports.reject_report, reviewer, flagged.id, " ")
    assert reports.release_report(reviewer, flagged.id).status == "submitted"
    other = reports.submit_report(
        person("resident-4"), category_id=reports_world["general"], text="路灯不亮"
    )
    refused("not_report_handler", report_handling.mark_duplicate, worker, other.id, flagged.id)
    refused("report_not_found", report_handling.mark_duplicate, reviewer, other.id, 99999)
    assert report_handling.mark_duplicate(reviewer, other.id, flagged.id).status == "duplicate"
    refused("report_state_conflict", report_handling.accept_report, worker, other.id)


def test_settings_and_categories_as_services(ctx, reports_world):
    admin, resident = person("admin"), person("resident-1")
    refused("forbidden", report_categories.create_category, resident, name="噪音")
    refused("report_category_exists", report_categories.create_category, admin, name="环境卫生")
    assert report_categories.update_settings(admin, reporter_points=7) == {"reporter_points": 7}
    assert report_categories.get_settings(admin) == {"reporter_points": 7}
    refused("forbidden", report_categories.update_settings, resident, reporter_points=9)
