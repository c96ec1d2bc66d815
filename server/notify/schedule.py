"""Scheduled jobs: each acts once per (job, scope, period).

`claim_run` inserts the job's row for a period (unique, so of two workers or two runs one
wins) in the caller's transaction; a job that emits events claims and emits in one
transaction, so a crash leaves neither. `run_due` runs every job whose current period has not
run: the RQ cron (`flask --app server jobs cron`), the in-process drain, or a cron entry calling
`flask --app server jobs run-due` ticks it every minute. A period missed during downtime is
caught up by the next tick: sweeps act on everything due, the weekly digest on the last
completed week, the notices on every missing period (server/notices).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from server.db.session import db
from server.db.types import utcnow
from server.notify import occasions
from server.notify.job_models import JobRun
from server.notify.job_runs import claim_run, finish_run
from server.platform.localtime import SHANGHAI

log = logging.getLogger(__name__)
SWEEP = 0  # the scope of a job over every community


def period_of(every: str, now: datetime) -> str:
    """The label of the period `now` falls in, in the schemes' local time."""
    local = now.astimezone(SHANGHAI)
    if every == "minute":
        return local.strftime("%Y-%m-%dT%H:%M")
    if every == "5min":
        return local.replace(minute=local.minute - local.minute % 5).strftime("%Y-%m-%dT%H:%M")
    if every == "hour":
        return local.strftime("%Y-%m-%dT%H")
    if every == "day":
        return local.strftime("%Y-%m-%d")
    raise ValueError(every)


@dataclass(frozen=True)
class Job:
    name: str
    every: str  # minute | 5min | hour | day
    run: Callable[[datetime], dict]  # does the work (and commits it); what it did


def _expire_holds(now: datetime) -> dict:
    from server.points.ledger import expire_due_holds
    from server.rewards.closing import expire_due

    return {"reservations": expire_due(now=now), "holds": expire_due_holds(now)}


def _expire_wishes(now: datetime) -> dict:
    from server.grid.wish_expiry import expire_wishes

    return {"wishes": expire_wishes(now.astimezone(SHANGHAI).date())}


def _purge_uploads(_now: datetime) -> dict:
    from server.uploads.service import purge_unattached

    return {"uploads": purge_unattached()}


def _rebuild_rankings(_now: datetime) -> dict:
    from server.community.models import Community
    from server.points.ranking_rebuild import rebuild_redis

    ids = list(db.session.scalars(select(Community.id)))
    return {"redis_keys": sum(rebuild_redis(community_id) for community_id in ids)}


def _publish_notices(now: datetime) -> dict:
    from server.notices.snapshot import publish_due_notices

    return {"notices": publish_due_notices(now)}


JOBS: tuple[Job, ...] = (
    Job("expire_holds", "minute", _expire_holds),
    Job("task_reminders", "5min", occasions.remind_tasks),
    Job("expiring_reservations", "5min", occasions.warn_expiring_reservations),
    Job("overdue_reports", "5min", occasions.flag_overdue_reports),
    Job("weekly_digest", "hour", occasions.send_weekly_digests),
    Job("public_notices", "hour", _publish_notices),
    Job("expire_wishes", "day", _expire_wishes),
    Job("purge_uploads", "day", _purge_uploads),
    Job("rankings_rebuild", "day", _rebuild_rankings),
)


def register(job: Job) -> None:
    """Add a job from a room above notify (the console's cleanup), at app start; the same
    name twice is kept once, so creating several apps registers it once."""
    global JOBS
    if all(known.name != job.name for known in JOBS):
        JOBS = (*JOBS, job)


def run_job(job: Job, now: datetime) -> dict | None:
    """Run `job` for the period `now` is in, unless it ran; what it did, or None."""
    run_id = claim_run(job.name, SWEEP, period_of(job.every, now))
    db.session.commit()  # claimed before the work: a second runner skips this period
    if run_id is None:
        return None
    try:
        result = job.run(now)
    except Exception as exc:  # noqa: BLE001 - one job's failure must not stop the others
        db.session.rollback()
        log.exception("scheduled job %s failed", job.name)
        result = {"error": type(exc).__name__}
    finish_run(run_id, result)
    db.session.commit()
    return result


def run_due(now: datetime | None = None, jobs: tuple[Job, ...] | None = None) -> dict:
    """Run every job whose period has not run yet; {job: what it did} for those that ran."""
    now = now or utcnow()
    done = {}
    for job in jobs or JOBS:
        result = run_job(job, now)
        if result is not None:
            done[job.name] = result
    return done


def last_runs(limit_per_job: int = 1) -> dict[str, list[JobRun]]:
    """Each job's latest runs, newest first (for the console)."""
    out = {}
    for job in JOBS:
        out[job.name] = list(
            db.session.scalars(
                select(JobRun)
                .where(JobRun.job == job.name)
                .order_by(JobRun.started_at.desc(), JobRun.id.desc())
                .limit(limit_per_job)
            )
        )
    return out
