"""Claiming a scheduled job's run: one row per (job, scope, period), unique, inserted in the
caller's transaction, so of two workers (or a run and its repeat after downtime) one acts."""

from sqlalchemy import String, cast, exists, literal, update
from sqlalchemy.dialects import postgresql, sqlite

from server.db.session import db
from server.db.types import utcnow
from server.notify.job_models import JobRun


def _insert():
    return (postgresql if db.engine.dialect.name == "postgresql" else sqlite).insert


def claim_run(job: str, scope: int, period: str) -> int | None:
    """Record that `job` runs for (scope, period), in the caller's transaction; the run's id,
    or None when it already ran (or is running) for that period."""
    stmt = (
        _insert()(JobRun)
        .values(job=job, scope=scope, period=period, started_at=utcnow())
        .on_conflict_do_nothing()
        .returning(JobRun.id)
    )
    return db.session.execute(stmt).scalar()


def finish_run(run_id: int, result: dict) -> None:
    db.session.execute(
        update(JobRun).where(JobRun.id == run_id).values(finished_at=utcnow(), result=result)
    )


def not_yet_run(job: str, scope_column, prefix: str, id_column):
    """SQL: no run of `job` yet for the row's occasion `<prefix><id>` (so a sweep over due
    objects skips the ones already acted on instead of re-reading them every time)."""
    return ~exists().where(
        JobRun.job == job,
        JobRun.scope == scope_column,
        JobRun.period == literal(prefix) + cast(id_column, String),
    )
