"""Scheduled jobs: each acts once per (job, scope, period), catches up after downtime, and the
occasions they find (reminders, expiring holds, overdue reports, the weekly digest) reach the
outbox once and the right groups."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from server.db.session import db
from server.grid.report_models import Report
from server.notify import schedule
from server.notify.job_models import JobRun
from server.notify.job_runs import claim_run
from server.notify.pump import pump
from server.outbox.models import OutboxEvent
from server.points.claim_models import PointClaim
from tests.concurrency import run_n_together
from tests.grid.reports_helpers import create_category, new_report
from tests.notify.channel_helpers import new_robot, received
from tests.tasks.test_tasks_support import T0, Clock, create_task

MONDAY_10 = datetime(2026, 6, 8, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, the start of week 24


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    return Clock(monkeypatch)


def events(query, event_type) -> list[OutboxEvent]:
    return query(
        lambda s: s.scalars(
            select(OutboxEvent).where(OutboxEvent.event_type == event_type).order_by(OutboxEvent.id)
        ).all()
    )


def run(app, now, *names) -> dict:
    jobs = tuple(j for j in schedule.JOBS if not names or j.name in names)
    with app.app_context():
        done = schedule.run_due(now, jobs)
        db.session.remove()
    return done


def staff_channel(api, emulator, name="社区工作群") -> str:
    key = new_robot(emulator)
    body = {"key": key, "name": name, "audience": "staff"}
    resp = api.post("/api/v1/admin/group-channels", "admin", json=body)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["audience"] == "staff"
    return key


def test_a_scheduled_job_run_twice_acts_once(api, seeded, query, app):
    task = create_task(api, query, starts_at=(T0 + timedelta(minutes=40)).isoformat(),
                       ends_at=(T0 + timedelta(hours=2)).isoformat())  # fmt: skip
    first = run(app, T0, "task_reminders")
    assert first == {"task_reminders": {"reminded": 1}}
    assert run(app, T0, "task_reminders") == {}  # the same period: nothing at all
    later = run(app, T0 + timedelta(minutes=5), "task_reminders")  # a new period, same task
    assert later == {"task_reminders": {"reminded": 0}}
    (reminder,) = events(query, "task.reminder")
    assert reminder.payload["task_id"] == task["id"]
    runs = query(lambda s: s.scalar(select(func.count()).where(JobRun.job == "task_reminders")))
    assert runs == 2


def test_a_reminder_waits_for_the_hour_before_start_and_catches_up_after_downtime(
    api, seeded, query, app
):
    create_task(api, query, starts_at=(T0 + timedelta(hours=3)).isoformat(),
                ends_at=(T0 + timedelta(hours=4)).isoformat())  # fmt: skip
    assert run(app, T0, "task_reminders")["task_reminders"] == {"reminded": 0}
    # Down from T0 until 20 minutes before the start: the first tick after it reminds.
    assert run(app, T0 + timedelta(hours=2, minutes=40), "task_reminders")["task_reminders"] == {
        "reminded": 1
    }
    assert len(events(query, "task.reminder")) == 1


def test_two_workers_claiming_one_period_act_once(app, seeded):
    def claim(_i):
        run_id = claim_run("weekly_digest", 1, "2026-W24")
        db.session.commit()
        return run_id

    results = run_n_together(app, 8, claim)
    assert [r[0] for r in results] == ["ok"] * 8
    assert len([r for _, r in results if r is not None]) == 1


def test_a_failing_job_is_recorded_and_the_others_still_run(app, seeded, query):
    def boom(_now):
        raise RuntimeError("disk full")

    jobs = (schedule.Job("boom", "minute", boom), schedule.Job("ok", "minute", lambda n: {"n": 1}))
    with app.app_context():
        done = schedule.run_due(T0, jobs)
        db.session.remove()
    assert done == {"boom": {"error": "RuntimeError"}, "ok": {"n": 1}}
    failed = query(lambda s: s.scalar(select(JobRun).where(JobRun.job == "boom")))
    assert failed.finished_at is not None and failed.result == {"error": "RuntimeError"}


def pending_claims(api, query, n):
    from tests.contract.idempotency_cases import claim

    for i in range(n):
        claim(api, query, who=f"resident-{i + 2}")
    waiting = PointClaim.status.in_(("pending", "flagged"))
    return query(lambda s: s.scalar(select(func.count()).where(waiting)))


def test_the_weekly_digest_goes_to_the_staff_group_once_a_week_and_is_caught_up(
    api, seeded, query, app, emulator
):
    staff = staff_channel(api, emulator)
    residents = new_robot(emulator)
    api.post("/api/v1/admin/group-channels", "admin", json={"key": residents, "name": "居民群"})
    waiting = pending_claims(api, query, 3)
    assert waiting >= 3
    # Monday before 09:00: week 23's review is not closed yet; the digest due is week 22's.
    early = run(app, MONDAY_10 - timedelta(hours=2), "weekly_digest")["weekly_digest"]
    assert early["week"] == "2026-W22"
    assert [e.payload["week"] for e in events(query, "claims.weekly_digest")] == ["2026-W22"]
    # Down from then until Wednesday: its first tick sends week 23's digest, later ticks nothing.
    wednesday = MONDAY_10 + timedelta(days=2)
    assert run(app, wednesday, "weekly_digest")["weekly_digest"]["digests"] == 1
    assert (
        run(app, wednesday + timedelta(hours=1), "weekly_digest")["weekly_digest"]["digests"] == 0
    )
    digest = events(query, "claims.weekly_digest")[-1]
    assert digest.payload["week"] == "2026-W23" and digest.payload["pending"] == waiting
    assert len(events(query, "claims.weekly_digest")) == 2
    with app.app_context():
        pump()
        db.session.remove()
    texts = [m["content"] for m in received(emulator, staff)]
    assert any("2026年第23周" in t and f">{waiting}<" in t for t in texts), texts
    assert not [m for m in received(emulator, residents) if "一周一审核" in m.get("content", "")]


def test_an_overdue_report_is_flagged_once_to_the_staff_group(api, seeded, query, app, emulator):
    staff = staff_channel(api, emulator)
    category = create_category(api, "环境卫生")
    report = new_report(api, "resident-2", category["id"])
    now = datetime.now(UTC)
    query(lambda s: (s.execute(update(Report).where(Report.id == report["id"]).values(
        status="submitted", accept_due_at=now - timedelta(hours=1),
        resolve_due_at=now + timedelta(days=2))), s.commit()))  # fmt: skip
    assert run(app, now, "overdue_reports")["overdue_reports"] == {"flagged": 1}
    assert run(app, now + timedelta(minutes=5), "overdue_reports")["overdue_reports"] == {
        "flagged": 0
    }
    (flag,) = events(query, "report.overdue")
    assert flag.payload["report_id"] == report["id"] and flag.payload["status"] == "submitted"
    with app.app_context():
        pump()
        db.session.remove()
    assert any(f"#{report['id']}" in m["content"] for m in received(emulator, staff))


def test_a_reservation_about_to_expire_is_announced_once(api, seeded, query, app):
    from server.rewards.models import Redemption
    from tests.rewards.test_redemption import reserve
    from tests.rewards.test_rewards_support import give_points, make_offer

    offer = make_offer(app, points_cost=30, stock=5)
    give_points(app, "resident-1", 100)
    resp = reserve(api, "resident-1", offer)
    assert resp.status_code == 201, resp.get_json()
    rid = resp.get_json()["id"]
    expires = query(lambda s: s.get(Redemption, rid).expires_at)
    assert run(app, expires - timedelta(days=2), "expiring_reservations")[
        "expiring_reservations"
    ] == {"warned": 0}
    for minutes in (0, 5):
        run(app, expires - timedelta(hours=3) + timedelta(minutes=minutes))
    (warning,) = events(query, "redemption.expiring")
    assert warning.payload["offer_id"] == offer and warning.payload["points"] == 30
    assert warning.aggregate_id == str(rid)
