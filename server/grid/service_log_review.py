"""Review of service logs (approve or reject) and the one credit a log earns its worker.

A log leaves `pending` through a conditional UPDATE, so of reviewers deciding at the same
moment only one changes the row (on PostgreSQL the others wait for its transaction, then match
nothing); the credit, keyed `service_log:<id>`, commits in that same transaction.
"""

from sqlalchemy import update

from server.auth.models import User
from server.community.acting import record_act
from server.community.authz import has_role, membership_of
from server.community.card_holder_models import CardHolder
from server.db.audit import record_audit
from server.db.session import db, get_by_id
from server.db.types import utcnow
from server.grid.service_log_models import ServiceItem, ServiceLog
from server.grid.service_log_queue import REVIEWER_ROLES, ServiceLogNotFound
from server.http.errors import Conflict, Forbidden, Unprocessable
from server.outbox.emit import emit_event
from server.points import ledger

CAUSE_TYPE = "service_log"  # counted for the grid_worker ranking (points/rankings.py)


class AlreadyDecided(Conflict):
    code, message = "service_log_already_decided", "该服务记录已审核，请刷新后查看"


class OwnServiceLog(Forbidden):
    code, message = "cannot_review_own_service_log", "不能审核自己的服务记录"


def credit_log(log: ServiceLog, actor_id: int | None) -> None:
    """Credit the log's points once per log whoever calls it - to its worker, or to the
    resident served when the item says so - and record the act for a card holder. No commit."""
    item = db.session.get(ServiceItem, log.item_id)
    earner = log.resident_id if log.beneficiary == "resident" else log.worker_id
    entry = ledger.credit(
        ledger.account_for_user(log.community_id, earner),
        log.points,
        reason=f"网格服务：{item.name}",
        idempotency_key=f"service_log:{log.id}",
        cause_type=CAUSE_TYPE,
        cause_id=log.id,
        actor_id=actor_id,
    )
    log.ledger_entry_id = entry.id
    if earner != log.worker_id and db.session.get(CardHolder, earner) is not None:
        record_act(log.worker_id, earner, "service_log.credit", "service_log", log.id)
    db.session.flush()


def emit_approved(log: ServiceLog) -> None:
    emit_event(
        "service_log.approved",
        aggregate_type="service_log",
        aggregate_id=log.id,
        community_id=log.community_id,
        payload={
            "service_log_id": log.id,
            "worker_id": log.worker_id,
            "item_id": log.item_id,
            "points": log.points,
            "ledger_entry_id": log.ledger_entry_id,
            "decided_by": log.decided_by,
            "automatic": log.decided_by is None,
        },
    )


def _load_for_review(actor: User, log_id: int) -> ServiceLog:
    log = get_by_id(ServiceLog, log_id)
    membership = membership_of(actor)
    if log is None or membership is None or membership.community_id != log.community_id:
        raise ServiceLogNotFound()  # another community's log looks absent
    if not has_role(actor, log.community_id, *REVIEWER_ROLES):
        raise Forbidden("只有审核员或管理员可以审核服务记录", code="not_a_reviewer")
    if actor.id in (log.worker_id, log.resident_id):
        raise OwnServiceLog()
    return log


def decide_log(actor: User, log_id: int, decision: str, reason: str | None = None) -> ServiceLog:
    """Approve (and credit once) or reject a pending log: reviewers and admins of its
    community, never the worker who recorded it."""
    reason = (reason or "").strip() or None
    if decision == "reject" and reason is None:
        raise Unprocessable("驳回时请填写原因", code="reason_required")
    log = _load_for_review(actor, log_id)
    status = "approved" if decision == "approve" else "rejected"
    now = utcnow()
    won = db.session.execute(
        update(ServiceLog)
        .where(ServiceLog.id == log.id, ServiceLog.status == "pending")
        .values(
            status=status,
            decided_by=actor.id,
            decided_at=now,
            decision_reason=reason,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(log)  # the row as committed now, whoever changed it
    if won != 1:
        raise AlreadyDecided(details={"status": log.status})
    if status == "approved":
        credit_log(log, actor.id)
        emit_approved(log)
    else:
        emit_event(
            "service_log.rejected",
            aggregate_type="service_log",
            aggregate_id=log.id,
            community_id=log.community_id,
            payload={
                "service_log_id": log.id,
                "worker_id": log.worker_id,
                "item_id": log.item_id,
                "decided_by": actor.id,
                "reason": reason,
            },
        )
    record_audit(
        actor_id=actor.id,
        action=f"service_log.{decision}",
        target_type="service_log",
        target_id=log.id,
        community_id=log.community_id,
        before={"status": "pending"},
        after={
            "status": log.status,
            "points": log.points if status == "approved" else None,
            "ledger_entry_id": log.ledger_entry_id,
            "reason": reason,
        },
    )
    db.session.commit()
    return log
