"""The one gate of every report transition: a conditional UPDATE on the report's status.

Of two people moving a report at the same moment only one changes the row (on PostgreSQL the
second UPDATE waits for the first transaction, then matches nothing); the loser gets a 409
naming the state it found. Each transition also writes its outbox event.
"""

from sqlalchemy import update

from server.db.session import db
from server.db.types import utcnow
from server.grid.report_models import Report
from server.http.errors import Conflict, Forbidden
from server.outbox.emit import emit_event


class WrongState(Conflict):
    code, message = "report_state_conflict", "问题当前状态不允许该操作，请刷新后查看"


class OwnReport(Forbidden):
    code, message = "cannot_handle_own_report", "不能处理自己上报的问题"


def move(report: Report, from_statuses: tuple[str, ...], *extra, **values) -> Report:
    """Set `values` if the report is in one of `from_statuses` (and `extra` holds); else 409."""
    won = db.session.execute(
        update(Report)
        .where(Report.id == report.id, Report.status.in_(from_statuses), *extra)
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(report)  # the row as committed now, whoever changed it
    if won != 1:
        raise WrongState(details={"status": report.status})
    return report


def announce(event_type: str, report: Report, actor_id: int | None, **extra) -> None:
    """The outbox event of a transition (types in schemas/events.json, payloads fixed)."""
    emit_event(
        event_type,
        aggregate_type="report",
        aggregate_id=report.id,
        community_id=report.community_id,
        payload={
            "report_id": report.id,
            "reporter_id": report.reporter_id,
            "grid_id": report.grid_id,
            "status": report.status,
            "actor_id": actor_id,
            **extra,
        },
    )
