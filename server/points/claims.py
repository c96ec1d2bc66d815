"""Point claims: submission with photos, content security and caps.

Who sees a claim and the review queue are in server/points/claim_queue.py; decisions
(approve, reject, batches) in server/points/claim_review.py.
"""

from calendar import monthrange
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select

from server.auth.models import User
from server.community.acting import record_act
from server.community.authz import grants_of, has_role, require_membership
from server.community.models import Organisation
from server.db.session import db, get_by_id
from server.http.errors import Conflict, Forbidden, Unprocessable
from server.outbox.emit import emit_event
from server.platform.localtime import local_today
from server.points.catalogue import item_in
from server.points.claim_models import LIVE_STATUSES, PointClaim
from server.points.claim_queue import ClaimNotFound, is_org_staff
from server.points.models import PointItem
from server.uploads import service as uploads
from server.wechat.content_security import check_text

DEFAULT_MAX_AGE_DAYS = 60


class CapReached(Conflict):
    code, message = "cap_reached", "该项目已达到申报上限"


class DuplicateClaim(Conflict):
    code, message = "duplicate_claim", "同一天同一项目已申报过，请勿重复申报"


class ClaimNotRejected(Conflict):
    code, message = "claim_not_rejected", "只有未通过的申报可以修改后重新提交"


class AlreadyResubmitted(Conflict):
    code, message = "claim_already_resubmitted", "该申报已重新提交过"


def account_kinds_of(user: User, community_id: int) -> set[str]:
    """The account kinds a person earns as: everyone is a person; grants add the others."""
    kinds = {"person"}
    for grant in grants_of(user, community_id):
        if grant.role in ("party_member", "grid_worker"):
            kinds.add(grant.role)
    return kinds


# --- submission -----------------------------------------------------------------------------


def _month_bounds(day: date) -> tuple[date, date]:
    return day.replace(day=1), day.replace(day=monthrange(day.year, day.month)[1])


def _live_count(holder: dict, item_id: int, first: date, last: date) -> int:
    stmt = select(func.count(PointClaim.id)).where(
        PointClaim.item_id == item_id,
        PointClaim.status.in_(LIVE_STATUSES),
        PointClaim.occurred_on >= first,
        PointClaim.occurred_on <= last,
    )
    if holder["organisation_id"] is not None:
        stmt = stmt.where(PointClaim.organisation_id == holder["organisation_id"])
    else:
        stmt = stmt.where(
            PointClaim.claimant_id == holder["user_id"], PointClaim.organisation_id.is_(None)
        )
    return db.session.scalar(stmt)


def _check_caps(holder: dict, item: PointItem, occurred_on: date) -> None:
    """Refuse a claim over the item's daily or monthly cap, or a second one for the same day.

    Without a daily cap an item is claimed at most once a day (a second is a duplicate);
    a daily cap of N allows N claims of that item on one day.
    """
    same_day = _live_count(holder, item.id, occurred_on, occurred_on)
    if item.daily_cap is not None and same_day >= item.daily_cap:
        raise CapReached(
            f"该项目每天最多申报 {item.daily_cap} 次",
            details={"period": "day", "cap": item.daily_cap, "used": same_day},
        )
    if item.daily_cap is None and same_day >= 1:
        raise DuplicateClaim(details={"item_id": item.id, "occurred_on": occurred_on.isoformat()})
    if item.monthly_cap is not None:
        first, last = _month_bounds(occurred_on)
        used = _live_count(holder, item.id, first, last)
        if used >= item.monthly_cap:
            raise CapReached(
                f"该项目每月最多申报 {item.monthly_cap} 次",
                details={"period": "month", "cap": item.monthly_cap, "used": used},
            )


def _lock_holder(holder: dict) -> None:
    """Serialise one holder's submissions so two at once cannot both pass the caps.

    PostgreSQL takes a row lock; SQLite already runs every writer under BEGIN IMMEDIATE.
    """
    if holder["organisation_id"] is not None:
        stmt = select(Organisation.id).where(Organisation.id == holder["organisation_id"])
    else:
        stmt = select(User.id).where(User.id == holder["user_id"])
    db.session.execute(stmt.with_for_update())


def _validate_submission(user, item_id, occurred_on, photo_ids, organisation_id) -> dict:
    membership = require_membership(user)
    community_id = membership.community_id
    item = item_in(community_id, item_id)
    if not item.active:
        raise Unprocessable("该项目已停用", code="item_inactive", details={"item_id": item.id})
    if item.direction != "earn":
        raise Unprocessable(
            "扣分项目不能申报", code="item_not_claimable", details={"item_id": item.id}
        )
    if organisation_id is not None:
        org = get_by_id(Organisation, organisation_id)
        if org is None or org.community_id != community_id:
            raise Unprocessable(
                "单位不存在",
                code="unknown_organisation",
                details={"organisation_id": organisation_id},
            )
        if not has_role(user, community_id, "org_staff", organisation_id=org.id):
            raise Forbidden("您不是该单位的工作人员", code="not_organisation_staff")
        kinds = {"organisation"}
    else:
        kinds = account_kinds_of(user, community_id)
    if not kinds & set(item.account_kinds or []):
        raise Unprocessable(
            "您的账户类型不能申报该项目",
            code="item_not_for_account_kind",
            details={"account_kinds": list(item.account_kinds or [])},
        )
    today = local_today()
    max_age = int(current_app.config.get("CLAIM_MAX_AGE_DAYS") or DEFAULT_MAX_AGE_DAYS)
    if occurred_on > today:
        raise Unprocessable("发生日期不能晚于今天", code="occurred_on_in_future")
    if occurred_on < today - timedelta(days=max_age):
        raise Unprocessable(
            f"只能申报 {max_age} 天内的事项", code="occurred_on_too_old", details={"days": max_age}
        )
    version = item.version_on(occurred_on)
    if version is None:
        raise Unprocessable("该项目在发生日期尚未生效", code="item_not_in_force")
    uploads.check_attachable(user, photo_ids)
    holder = {"user_id": user.id, "organisation_id": organisation_id}
    _check_caps(holder, item, occurred_on)
    return {
        "community_id": community_id,
        "grid_id": membership.grid_id,
        "category_id": item.category_id,
        "version_id": version.id,
        "points": version.points,
        "holder": holder,
    }


def submit_claim(
    user: User,
    *,
    item_id: int,
    occurred_on: date,
    description: str,
    photo_ids: list[int] | None = None,
    organisation_id: int | None = None,
    acted_by: User | None = None,
    resubmits: PointClaim | None = None,
) -> PointClaim:
    """Submit a claim: `pending`, or `flagged` when its text needs a human look first.

    `acted_by`: the staff member or grid worker filing for a card holder (`user`); they wrote
    the text, so it is checked under their WeChat identity, and they never approve it.
    `resubmits`: the rejected claim this one corrects (see resubmit_claim); its photos may be
    kept, and stay attached to it."""
    photo_ids = list(photo_ids or [])
    description = description.strip()
    if not description:
        raise Unprocessable("请填写申报说明", code="description_required")
    resubmits_id = resubmits.id if resubmits is not None else None
    kept = set(resubmits.photo_ids or []) if resubmits is not None else set()
    fresh = [pid for pid in photo_ids if pid not in kept]
    plan = _validate_submission(user, item_id, occurred_on, fresh, organisation_id)
    openid, user_id = (acted_by or user).openid, user.id
    actor_id = acted_by.id if acted_by else None

    # Nothing is written yet: end the read transaction so the WeChat round trip holds no
    # database lock (on SQLite every transaction is a writer's BEGIN IMMEDIATE).
    db.session.rollback()
    verdict = check_text(description, openid=openid)

    user = db.session.get(User, user_id)
    _lock_holder(plan["holder"])
    item = db.session.get(PointItem, item_id)
    _check_caps(plan["holder"], item, occurred_on)  # again, now that the holder is locked
    if resubmits_id is not None:
        _check_resubmittable(db.session.get(PointClaim, resubmits_id))
    uploads.check_attachable(user, fresh)
    claim = PointClaim(
        community_id=plan["community_id"],
        claimant_id=user_id,
        organisation_id=organisation_id,
        grid_id=plan["grid_id"],
        item_id=item_id,
        category_id=plan["category_id"],
        occurred_on=occurred_on,
        description=description,
        photo_ids=photo_ids,
        status="pending" if verdict.passed else "flagged",
        content_verdict=verdict.suggest,
        content_label=verdict.label,
        item_version_id=plan["version_id"],
        points=plan["points"],
        filed_by=actor_id,
        resubmitted_from=resubmits_id,
    )
    db.session.add(claim)
    db.session.flush()
    uploads.attach(user, fresh, "claim", claim.id)
    if actor_id is not None:
        record_act(actor_id, user_id, "claim.file", "claim", claim.id)
    emit_event(
        "claim.submitted",
        aggregate_type="claim",
        aggregate_id=claim.id,
        community_id=claim.community_id,
        payload={
            "claim_id": claim.id,
            "claimant_id": user_id,
            "organisation_id": organisation_id,
            "item_id": item_id,
            "status": claim.status,
            "resubmitted_from": resubmits_id,
        },
    )
    db.session.commit()
    return claim


# --- resubmission ---------------------------------------------------------------------------


def _check_resubmittable(claim: PointClaim) -> None:
    if claim.status != "rejected":
        raise ClaimNotRejected(details={"status": claim.status})
    again = db.session.scalar(select(PointClaim.id).where(PointClaim.resubmitted_from == claim.id))
    if again is not None:
        raise AlreadyResubmitted(details={"claim_id": again})


def resubmit_claim(
    user: User, claim_id: int, *, acted_by: User | None = None, **fields
) -> PointClaim:
    """Correct a rejected claim and file it again, once: a new claim through submit_claim.

    Only the claim's holder (its claimant, or a staff member of its organisation; a card
    holder's claim through whoever acts for them) may; others see no such claim."""
    original = get_by_id(PointClaim, claim_id)
    if original is None or not (original.claimant_id == user.id or is_org_staff(user, original)):
        raise ClaimNotFound()
    _check_resubmittable(original)
    return submit_claim(
        user,
        **fields,
        organisation_id=original.organisation_id,
        acted_by=acted_by,
        resubmits=original,
    )
