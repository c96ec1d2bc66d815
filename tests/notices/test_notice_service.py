"""Notices at their service functions: freezing, corrections, scheduling, stars, texts."""

from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from server.auth.models import User
from server.db.audit import AuditLog
from server.db.session import db
from server.http.errors import AppError
from server.notices.corrections import correct_notice
from server.notices.models import Notice, NoticeRow
from server.notices.notice_xlsx import notice_xlsx
from server.notices.periods import due_periods
from server.notices.queries import notice_detail
from server.notices.renderings import group_markdown, sheet_for
from server.notices.snapshot import publish_due_notices, snapshot_notice
from server.outbox.models import OutboxEvent
from server.points import ledger
from tests.ledger_helpers import demo_community_id, user_id_of
from tests.notices.notice_helpers import (
    AFTER_NOV,
    NEW_YEAR,
    NOV,
    REAL_NAMES,
    person_rows,
    post_history,
)

pytestmark = pytest.mark.usefixtures("seeded")

# 2026-11, person: 陈静's account is newer than 张伟明's, so she is listed first of the tie.
NOV_PEOPLE = [(1, "刘*", 50), (2, "陈*", 30), (2, "张*明", 30), (4, "陈*强", 20)]


def _user(identity: str) -> User:
    return db.session.get(User, user_id_of(identity))


def _workbook(data: bytes) -> dict:
    book = load_workbook(BytesIO(data))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book}


def test_month_notice_stays_frozen_and_a_correction_reflects_the_reversal(app, ctx):
    entries = post_history(app)
    cid = demo_community_id()
    original = snapshot_notice(cid, "2026-11", now=AFTER_NOV)
    assert (original.title, original.period_type) == ("2026年11月 红色积分公示", "month")
    resident = _user("resident-1")
    before = notice_detail(resident, original.id)
    assert person_rows(before) == NOV_PEOPLE
    workbook_before = _workbook(notice_xlsx(resident, original.id)[0])

    ledger.reverse(entries[1], reason="误记冲正", idempotency_key="rev-1", actor_id=None)
    db.session.commit()
    assert notice_detail(resident, original.id) | {"corrected": False} == before
    assert _workbook(notice_xlsx(resident, original.id)[0]) == workbook_before
    assert snapshot_notice(cid, "2026-11", now=AFTER_NOV).id == original.id

    correction = correct_notice(_user("admin"), original.id, "刘洋的一条积分记错，已冲正")
    detail = notice_detail(resident, correction.id)
    assert detail["title"] == "2026年11月 红色积分公示（更正）"
    assert detail["correction_of"] == original.id and detail["corrects"]["id"] == original.id
    assert ("刘*", 50) not in [(n, p) for _, n, p in person_rows(detail)]
    after = notice_detail(resident, original.id)
    assert [c["id"] for c in after["corrections"]] == [correction.id] and after["corrected"]
    assert person_rows(after) == person_rows(before)
    sheets = _workbook(notice_xlsx(resident, correction.id)[0])
    assert any("更正" in str(cell) for row in sheets["个人"] for cell in row)
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "notice.correct")).all()
    assert [(a.target_id, a.before["notice_id"]) for a in audit] == [
        (str(correction.id), original.id)
    ]
    events = db.session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.event_type == "notice.published")
        .order_by(OutboxEvent.id)
    ).all()
    assert [e.payload["correction_of"] for e in events] == [None, original.id]
    assert all(e.community_id == cid for e in events)


def test_ranks_share_ties_and_names_are_masked(app, ctx):
    post_history(app)
    notice = snapshot_notice(demo_community_id(), "2026-11", now=AFTER_NOV)
    detail = notice_detail(_user("resident-4"), notice.id)
    assert person_rows(detail) == NOV_PEOPLE  # ties share a rank; the next rank skips
    text = str(detail) + group_markdown(notice) + str(sheet_for(notice))
    assert not any(name in text for name in REAL_NAMES)
    stored = db.session.scalars(select(NoticeRow.name).where(NoticeRow.kind == "person")).all()
    assert stored and all("*" in name for name in stored)


def test_a_running_period_cannot_be_published(app, ctx):
    with pytest.raises(AppError) as refused:
        snapshot_notice(demo_community_id(), "2026-11", now=NOV)
    assert refused.value.code == "period_not_ended"
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0


def test_publish_due_twice_makes_one_notice_per_period_and_catches_up(app, ctx):
    post_history(app)
    cid = demo_community_id()
    # The September run publishes August; the runs of October to December are missed.
    assert publish_due_notices(now=NOV.replace(month=9, day=5)) == 1
    published = publish_due_notices(now=NEW_YEAR)
    periods = set(db.session.scalars(select(Notice.period).where(Notice.community_id == cid)))
    assert {"2026-08", "2026-Q3", "2026-11", "2026-Q4", "2026"} <= periods
    assert published == len(periods) - 1
    assert publish_due_notices(now=NEW_YEAR) == 0
    assert db.session.scalar(select(func.count()).select_from(Notice)) == len(periods)
    # Months nobody earned in are not published.
    assert "2026-10" not in periods and "2026-09" not in periods


def test_due_periods_are_the_last_twelve_months_with_their_quarters_and_years():
    due = due_periods(NEW_YEAR)
    assert due[0] == "2026-01" and due[-3:] == ["2026-12", "2026-Q4", "2026"]
    assert len([p for p in due if "-" in p and "Q" not in p]) == 12
    assert [p for p in due if "Q" in p] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert due_periods(AFTER_NOV)[-3:] == ["2026-Q3", "2026-10", "2026-11"]
    assert "2026-12" not in due_periods(NEW_YEAR.replace(year=2026, month=12, day=31))


def test_a_yearly_notice_names_the_star_of_each_kind(app, ctx):
    post_history(app)
    notice = snapshot_notice(demo_community_id(), "2026", now=NEW_YEAR)
    assert notice.title == "2026年度 红色积分评选"
    stars = notice_detail(_user("resident-1"), notice.id)["stars"]
    by_kind = {s["kind"]: (s["name"], s["points"]) for s in stars}
    assert by_kind["person"] == ("杨*", 100)
    assert by_kind["organisation"] == ("幸福路小学", 60)
    assert by_kind["party_member"] == ("张*明", 30)
    assert by_kind["grid_worker"] == ("陈*强", 20)
    sheet = sheet_for(notice)
    assert [(s.kind_label, s.name) for s in sheet.stars][0] == ("个人", "杨*")
    assert sheet.rows[0].name == "杨*" and sheet.period_label == "2026年度"
    text = group_markdown(notice)
    assert "积分之星" in text and "个人：杨*" in text and "1. 杨*" in text


def test_group_markdown_and_sheet_of_a_correction(app, ctx):
    post_history(app)
    original = snapshot_notice(demo_community_id(), "2026-11", now=AFTER_NOV)
    correction = correct_notice(_user("admin"), original.id, "补录漏记积分")
    sheet = sheet_for(correction, kind="organisation", link="https://example.invalid/n")
    assert sheet.correction_note == "更正：本公示更正 2026年11月 的公示（补录漏记积分）"
    assert sheet.kind_label == "驻区单位" and sheet.rows[0].name == "幸福路小学"
    assert sheet_for(original).correction_note is None
    text = group_markdown(correction)
    assert text.startswith("## 2026年11月 红色积分公示（更正）") and "补录漏记积分" in text
    assert "积分之星" not in text and "1. 刘*　50 分" in text


def test_corrections_are_for_admins_of_the_community_with_a_reason(app, ctx):
    post_history(app)
    notice = snapshot_notice(demo_community_id(), "2026-11", now=AFTER_NOV)
    for who, reason, code in (
        ("resident-1", "原因", "forbidden"),
        ("admin", "   ", "reason_required"),
        ("admin", "长" * 201, "reason_required"),
    ):
        with pytest.raises(AppError) as refused:
            correct_notice(_user(who), notice.id, reason)
        assert refused.value.code == code
        db.session.rollback()
    with pytest.raises(AppError) as refused:
        correct_notice(_user("admin"), notice.id + 100, "原因")
    assert refused.value.code == "notice_not_found"
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 1
