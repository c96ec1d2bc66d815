"""Who sees a claim (the claimant, their unit's staff, reviewers) and the review queue."""

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from server.auth.models import User
from server.community.authz import has_role, membership_of
from server.community.models import Organisation
from server.db.session import db, get_by_id
from server.http.errors import Forbidden, NotFound
from server.http.pagination import paginate_by_id
from server.points.claim_models import OPEN_STATUSES, PointClaim
from server.points.models import PointItem
from server.uploads import service as uploads

REVIEWER_ROLES = ("reviewer", "admin")


class ClaimNotFound(NotFound):
    code, message = "claim_not_found", "申报不存在或无权查看"


# --- who is who -----------------------------------------------------------------------------


def is_org_staff(user: User, claim: PointClaim) -> bool:
    return claim.organisation_id is not None and has_role(
        user, claim.community_id, "org_staff", organisation_id=claim.organisation_id
    )


def can_see(user: User, claim: PointClaim) -> bool:
    """The claimant, their organisation's staff, and the community's reviewers and admins."""
    if claim.claimant_id == user.id or is_org_staff(user, claim):
        return True
    return has_role(user, claim.community_id, *REVIEWER_ROLES)


def _photo_visible(user: User, upload) -> bool:
    try:
        claim = db.session.get(PointClaim, int(upload.attached_id))
    except (TypeError, ValueError):
        return False
    return claim is not None and can_see(user, claim)


uploads.register_access_check("claim", _photo_visible)


def claim_views(claims: list[PointClaim]) -> list[dict]:
    """Claims as the API shows them, loading names and photos in a few queries."""
    if not claims:
        return []
    user_ids = {c.claimant_id for c in claims} | {c.decided_by for c in claims if c.decided_by}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
    org_ids = {c.organisation_id for c in claims if c.organisation_id}
    orgs = {
        o.id: o
        for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(org_ids)))
    }
    # Which of these claims were corrected and filed again, and by which claim.
    resubmitted_as = dict(
        db.session.execute(
            select(PointClaim.resubmitted_from, PointClaim.id).where(
                PointClaim.resubmitted_from.in_([c.id for c in claims])
            )
        ).all()
    )
    items = {
        i.id: i
        for i in db.session.scalars(
            select(PointItem)
            .where(PointItem.id.in_({c.item_id for c in claims}))
            .options(selectinload(PointItem.category))
        )
    }
    out = []
    for c in claims:
        item = items[c.item_id]
        org = orgs.get(c.organisation_id)
        out.append(
            {
                "id": c.id,
                "community_id": c.community_id,
                "claimant": {"id": c.claimant_id, "name": users[c.claimant_id].display_name},
                "organisation": {"id": org.id, "name": org.name} if org else None,
                "grid_id": c.grid_id,
                "item": {
                    "id": item.id,
                    "code": item.code,
                    "name": item.name,
                    "category_id": item.category_id,
                    "category_name": item.category.name,
                },
                "occurred_on": c.occurred_on,
                "description": c.description,
                "photos": [
                    {"id": pid, "url": f"/api/v1/uploads/{pid}"} for pid in c.photo_ids or []
                ],
                "status": c.status,
                "content_verdict": c.content_verdict,
                "points": c.points,
                "item_version_id": c.item_version_id,
                "decided_by": (
                    {"id": c.decided_by, "name": users[c.decided_by].display_name}
                    if c.decided_by
                    else None
                ),
                "decided_at": c.decided_at,
                "decision_reason": c.decision_reason,
                "ledger_entry_id": c.ledger_entry_id,
                "created_at": c.created_at,
                "resubmitted_from": c.resubmitted_from,
                "resubmitted_as": resubmitted_as.get(c.id),
                "resubmittable": c.status == "rejected" and c.id not in resubmitted_as,
            }
        )
    return out


def get_claim(user: User, claim_id: int) -> PointClaim:
    claim = get_by_id(PointClaim, claim_id)
    if claim is None or not can_see(user, claim):
        raise ClaimNotFound()
    return claim


def list_claims(user: User, limit: int, cursor: str | None, *, scope: str = "mine", **filters):
    """`mine`: the caller's own claims (or their organisation's), newest first.
    `queue`: the community's claims for its reviewers, oldest first, open ones by default."""
    membership = membership_of(user)
    stmt = select(PointClaim)
    if scope == "queue":
        if membership is None or not has_role(user, membership.community_id, *REVIEWER_ROLES):
            raise Forbidden("只有审核员或管理员可以查看审核队列", code="not_a_reviewer")
        stmt = stmt.where(PointClaim.community_id == membership.community_id)
        statuses = [filters["status"]] if filters.get("status") else list(OPEN_STATUSES)
        stmt = stmt.where(PointClaim.status.in_(statuses))
        desc = False
    else:
        org_id = filters.get("organisation_id")
        if org_id is not None:
            if membership is None or not has_role(
                user, membership.community_id, "org_staff", organisation_id=org_id
            ):
                raise Forbidden("您不是该单位的工作人员", code="not_organisation_staff")
            stmt = stmt.where(PointClaim.organisation_id == org_id)
        else:
            stmt = stmt.where(PointClaim.claimant_id == user.id)
        if filters.get("status"):
            stmt = stmt.where(PointClaim.status == filters["status"])
        desc = True
    if filters.get("date_from"):
        stmt = stmt.where(PointClaim.occurred_on >= filters["date_from"])
    if filters.get("date_to"):
        stmt = stmt.where(PointClaim.occurred_on <= filters["date_to"])
    for name in ("grid_id", "category_id", "item_id"):
        if filters.get(name):
            stmt = stmt.where(getattr(PointClaim, name) == filters[name])
    if filters.get("claimant_name"):  # the console's 申报人 filter: part of the name
        pattern = "%" + filters["claimant_name"].replace("%", "").replace("_", "") + "%"
        named = select(User.id).where(
            or_(
                User.real_name.like(pattern), User.real_name.is_(None) & User.nickname.like(pattern)
            )
        )  # display_name: the real name, else the nickname
        stmt = stmt.where(PointClaim.claimant_id.in_(named))
    page = paginate_by_id(db.session, stmt, PointClaim.id, limit, cursor, desc=desc)
    page.items = claim_views(page.items)
    return page
