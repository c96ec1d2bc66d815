"""Review of point claims: approve or reject, singly or in batches; approval credits once.

The claim leaves `pending`/`flagged` through a conditional UPDATE, so of two reviewers
deciding at the same moment only one changes the row (on PostgreSQL the second UPDATE waits
for the first transaction and then matches nothing); the credit, with the idempotency key
`claim:<id>`, commits in the same transaction as the status change.
"""

from sqlalchemy import select, update

from server.auth.models import User
from server.community.authz import has_role, membership_of
from server.db.audit import record_audit
from server.db.session import db, get_by_id
from server.db.types import utcnow
from server.http.errors import AppError, Conflict, Forbidden, Unprocessable
from server.outbox.emit import emit_event
from server.points.claim_models import OPEN_STATUSES, PointClaim
from server.points.claim_queue import REVIEWER_ROLES, ClaimNotFound, is_org_staff
from server.points.models import PointItem, PointItemVersion


class AlreadyDecided(Conflict):
    code, message = "claim_already_decided", "该申报已审核，请刷新后查看"


class OwnClaim(Forbidden):
    code, message = "cannot_review_own_claim", "不能审核自己的申报"


def _load_for_review(actor: User, claim_id: int) -> PointClaim:
    claim = get_by_id(PointClaim, claim_id)
    membership = membership_of(actor)
    if claim is None or membership is None or membership.community_id != claim.community_id:
        raise ClaimNotFound()  # another community's claim looks absent
    if not has_role(actor, claim.community_id, *REVIEWER_ROLES):
        raise Forbidden("只有审核员或管理员可以审核申报", code="not_a_reviewer")
    if claim.claimant_id == actor.id or is_org_staff(actor, claim):
        raise OwnClaim()
    if claim.filed_by == actor.id:  # filed for a card holder: someone else decides
        raise OwnClaim("不能审核自己代为申报的积分", code="cannot_review_own_filing")
    return claim


def _version_for(claim: PointClaim) -> PointItemVersion:
    version = db.session.scalar(
        select(PointItemVersion)
        .where(
            PointItemVersion.item_id == claim.item_id,
            PointItemVersion.effective_from <= claim.occurred_on,
        )
        .order_by(PointItemVersion.effective_from.desc())
        .limit(1)
    )
    if version is None:
        raise Conflict("该项目在发生日期没有分值", code="item_not_in_force")
    return version


def _decide(actor: User, claim: PointClaim, decision: str, reason: str | None) -> PointClaim:
    """Move an open claim to approved/rejected once; on approval credit the ledger. No commit."""
    status = "approved" if decision == "approve" else "rejected"
    if status == "rejected" and not (reason or "").strip():
        raise Unprocessable("驳回时请填写原因", code="reason_required")
    before_status = claim.status
    now = utcnow()
    won = db.session.execute(
        update(PointClaim)
        .where(PointClaim.id == claim.id, PointClaim.status.in_(OPEN_STATUSES))
        .values(
            status=status,
            decided_by=actor.id,
            decided_at=now,
            decision_reason=(reason or "").strip() or None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(claim)  # the row as committed now, whoever changed it
    if won != 1:
        raise AlreadyDecided(details={"status": claim.status})
    if status == "approved":
        _credit(actor, claim)
    after = {
        "status": claim.status,
        "points": claim.points if status == "approved" else None,
        "item_version_id": claim.item_version_id if status == "approved" else None,
        "ledger_entry_id": claim.ledger_entry_id,
        "reason": claim.decision_reason,
    }
    record_audit(
        actor_id=actor.id,
        action=f"claim.{'approve' if status == 'approved' else 'reject'}",
        target_type="claim",
        target_id=claim.id,
        community_id=claim.community_id,
        before={"status": before_status},
        after=after,
    )
    emit_event(
        "claim.decided",
        aggregate_type="claim",
        aggregate_id=claim.id,
        community_id=claim.community_id,
        payload={
            "claim_id": claim.id,
            "decision": status,
            "claimant_id": claim.claimant_id,
            "organisation_id": claim.organisation_id,
            "item_id": claim.item_id,
            **after,
        },
    )
    return claim


def _credit(actor: User, claim: PointClaim) -> None:
    from server.points import ledger  # the ledger module is owned by its own domain

    version = _version_for(claim)
    item = db.session.get(PointItem, claim.item_id)
    if claim.organisation_id is not None:
        account = ledger.account_for_organisation(claim.community_id, claim.organisation_id)
    else:
        account = ledger.account_for_user(claim.community_id, claim.claimant_id)
    entry = ledger.credit(
        account,
        version.points,
        reason=f"{item.category.name}：{item.name}",
        idempotency_key=f"claim:{claim.id}",
        cause_type="claim",
        cause_id=claim.id,
        actor_id=actor.id,
        item_version_id=version.id,
    )
    claim.points = version.points
    claim.item_version_id = version.id
    claim.ledger_entry_id = entry.id
    db.session.flush()


def decide_claim(actor: User, claim_id: int, decision: str, reason: str | None = None):
    """Approve or reject one claim (reviewers and admins of its community, never their own)."""
    claim = _load_for_review(actor, claim_id)
    _decide(actor, claim, decision, reason)
    db.session.commit()
    return claim


def batch_decide(actor: User, ids: list[int], decision: str, reason: str | None = None):
    """Decide several claims at once; each succeeds or fails on its own, reported per id."""
    if decision == "reject" and not (reason or "").strip():
        raise Unprocessable("驳回时请填写原因", code="reason_required")
    membership = membership_of(actor)  # a non-reviewer is refused outright, not per claim
    if membership is None or not has_role(actor, membership.community_id, *REVIEWER_ROLES):
        raise Forbidden("只有审核员或管理员可以审核申报", code="not_a_reviewer")
    results = []
    for claim_id in dict.fromkeys(ids):
        try:
            with db.session.begin_nested():
                claim = _load_for_review(actor, claim_id)
                _decide(actor, claim, decision, reason)
            results.append({"id": claim_id, "ok": True, "status": claim.status, "error": None})
        except AppError as exc:
            error = {"code": exc.code, "message": exc.message, "details": exc.details}
            results.append({"id": claim_id, "ok": False, "status": None, "error": error})
    db.session.commit()
    return results
