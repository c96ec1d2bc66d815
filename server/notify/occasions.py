"""Scheduled occasions that notify people: they find what has come due and emit an outbox
event for it, claiming the occasion (server/notify/job_runs.py) in the same transaction, so
each is announced once however often or late the sweep runs. What each event tells whom is
routed like any other event: groups in messages.py, people by subscribe message."""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from server.community.models import Community
from server.db.session import db
from server.grid.report_models import Report
from server.grid.report_queue import overdue_clause
from server.notify.job_runs import claim_run, not_yet_run
from server.outbox.emit import emit_event
from server.platform.localtime import SHANGHAI
from server.points.claim_models import PointClaim
from server.rewards.models import Offer, Redemption
from server.tasks.models import Task

REMIND_BEFORE = timedelta(hours=1)
EXPIRY_WARNING = timedelta(hours=24)
OVERDUE_LOOKBACK = timedelta(days=3)  # catch-up after downtime, not a flood of old reports
BATCH = 1000
DIGEST_HOUR = 9  # the weekly digest for last week goes out from Monday 09:00 local time
WAITING_CLAIMS = ("pending", "flagged")


def _announce(job: str, community_id: int, key: str, event_type: str, **event) -> bool:
    """Claim the occasion and emit its event in one transaction; False if already done."""
    if claim_run(job, community_id, key) is None:
        db.session.rollback()
        return False
    emit_event(event_type, community_id=community_id, **event)
    db.session.commit()
    return True


def remind_tasks(now: datetime) -> dict:
    """`task.reminder` for every published task starting within the hour."""
    rows = db.session.execute(
        select(Task.id, Task.community_id, Task.title, Task.starts_at)
        .where(
            Task.status == "published",
            Task.starts_at > now,
            Task.starts_at <= now + REMIND_BEFORE,
            not_yet_run("task_reminder", Task.community_id, "task:", Task.id),
        )
        .order_by(Task.starts_at, Task.id)
        .limit(BATCH)
    ).all()
    db.session.rollback()
    sent = sum(
        _announce("task_reminder", community_id, f"task:{task_id}", "task.reminder",
                  aggregate_type="task", aggregate_id=task_id,
                  payload={"task_id": task_id, "title": title,
                           "starts_at": starts_at.isoformat()})
        for task_id, community_id, title, starts_at in rows
    )  # fmt: skip
    return {"reminded": sent}


def warn_expiring_reservations(now: datetime) -> dict:
    """`redemption.expiring` for every reservation whose hold ends within a day."""
    rows = db.session.execute(
        select(Redemption, Offer.title)
        .join(Offer, Offer.id == Redemption.offer_id)
        .where(
            Redemption.status == "reserved",
            Redemption.expires_at > now,
            Redemption.expires_at <= now + EXPIRY_WARNING,
            not_yet_run("reservation_expiring", Redemption.community_id, "r:", Redemption.id),
        )
        .order_by(Redemption.expires_at, Redemption.id)
        .limit(BATCH)
    ).all()
    facts = [(r.id, r.community_id, r.user_id, r.offer_id, r.points, r.expires_at, title)
             for r, title in rows]  # fmt: skip
    db.session.rollback()
    sent = sum(
        _announce("reservation_expiring", community_id, f"r:{rid}", "redemption.expiring",
                  aggregate_type="redemption", aggregate_id=rid,
                  payload={"user_id": user_id, "offer_id": offer_id, "offer_title": title,
                           "points": points, "expires_at": expires_at.isoformat()})
        for rid, community_id, user_id, offer_id, points, expires_at, title in facts
    )  # fmt: skip
    return {"warned": sent}


def flag_overdue_reports(now: datetime) -> dict:
    """`report.overdue` once for each report that went past its accept or resolve due time
    (within the last three days, so downtime is caught up without reviving old ones)."""
    rows = db.session.execute(
        select(Report)
        .where(
            overdue_clause(now),
            func.coalesce(Report.resolve_due_at, Report.accept_due_at) > now - OVERDUE_LOOKBACK,
            not_yet_run("report_overdue", Report.community_id, "report:", Report.id),
        )
        .order_by(Report.id)
        .limit(BATCH)
    ).scalars()
    facts = []
    for r in rows:
        accept_late = r.status == "submitted" and r.accept_due_at and r.accept_due_at < now
        due = r.accept_due_at if accept_late else r.resolve_due_at
        facts.append((r.id, r.community_id, r.reporter_id, r.grid_id, r.status, due))
    db.session.rollback()
    sent = sum(
        _announce("report_overdue", community_id, f"report:{rid}", "report.overdue",
                  aggregate_type="report", aggregate_id=rid,
                  payload={"report_id": rid, "reporter_id": reporter_id, "grid_id": grid_id,
                           "status": status, "due_at": due.isoformat()})
        for rid, community_id, reporter_id, grid_id, status, due in facts
    )  # fmt: skip
    return {"flagged": sent}


def last_week(now: datetime) -> str | None:
    """The ISO week whose digest is due at `now` ('2026-W49'), or None before Monday 09:00."""
    local = now.astimezone(SHANGHAI)
    if local.weekday() == 0 and local.hour < DIGEST_HOUR:
        local -= timedelta(days=1)  # still last week's Sunday as far as the digest goes
    year, week, _ = (local - timedelta(days=7)).isocalendar()
    return f"{year}-W{week:02d}"


def send_weekly_digests(now: datetime) -> dict:
    """一周一审核: for each community, once a week, how many claims wait for review."""
    week = last_week(now)
    waiting = dict(
        (community_id, (count, oldest))
        for community_id, count, oldest in db.session.execute(
            select(PointClaim.community_id, func.count(), func.min(PointClaim.created_at))
            .where(PointClaim.status.in_(WAITING_CLAIMS))
            .group_by(PointClaim.community_id)
        )
    )
    communities = list(db.session.scalars(select(Community.id).order_by(Community.id)))
    db.session.rollback()
    sent = 0
    for community_id in communities:
        count, oldest = waiting.get(community_id, (0, None))
        if not count:
            continue
        sent += _announce(
            "weekly_digest", community_id, week, "claims.weekly_digest",
            aggregate_type="community", aggregate_id=community_id,
            payload={"week": week, "pending": count,
                     "oldest_submitted_at": oldest.isoformat() if oldest else None},
        )  # fmt: skip
    return {"digests": sent, "week": week}
