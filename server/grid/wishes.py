"""Wishes (微心愿) posted by residents, withdrawn by them, and reviewed by the community.

Every change of state is one conditional UPDATE whose WHERE is the rule (the gate); when it
changes no row, the state is read only to pick the error. Claiming, handing back, fulfilling
and confirming are in server/grid/wish_claims.py; expiry in server/grid/wish_expiry.py.
"""

from datetime import date, timedelta

from sqlalchemy import update

from server.auth.models import User
from server.community.authz import require_membership
from server.community.models import Grid
from server.db.audit import record_audit
from server.db.session import db, get_by_id
from server.db.types import utcnow
from server.grid.wish_access import WishViewer, visible_wish
from server.grid.wish_models import REVIEW_STATUSES, UNCLAIMED_OPEN_STATUSES, Wish
from server.http.errors import Conflict, Forbidden, Unprocessable
from server.outbox.emit import emit_event
from server.platform.localtime import local_today
from server.uploads import service as uploads
from server.wechat.content_security import check_text

MAX_DAYS_AHEAD = 180
DEFAULT_WISH_POINTS = 10
NO_SYNC = {"synchronize_session": False}


class WishNotOpen(Conflict):
    code, message = "wish_not_open", "该心愿当前状态不能进行此操作，请刷新后查看"


class WishAlreadyReviewed(Conflict):
    code, message = "wish_already_reviewed", "该心愿已审核或已结束，请刷新后查看"


class WishNotCancellable(Conflict):
    code, message = "wish_not_cancellable", "心愿已被认领或已结束，不能撤回"


class WishPastNeededBy(Conflict):
    code, message = "wish_past_needed_by", "该心愿已过期望完成日期"


def refuse(wish: Wish, error: type[Conflict], *, due_in: tuple[str, ...] = (), today=None):
    """A gate changed nothing: say why from the row as it is now. `due_in`: the states in
    which the gate also required `needed_by >= today`, so being past it is the reason."""
    db.session.refresh(wish)
    if wish.status in due_in and wish.needed_by < today:
        raise WishPastNeededBy(details={"status": wish.status, "needed_by": str(wish.needed_by)})
    raise error(details={"status": wish.status})


def gate(wish: Wish, *conditions, **values) -> bool:
    """Change the wish only where `conditions` hold; True if it did (the row is then fresh)."""
    values.setdefault("updated_at", utcnow())
    changed = db.session.execute(
        update(Wish)
        .where(Wish.id == wish.id, *conditions)
        .values(**values)
        .execution_options(**NO_SYNC)
    ).rowcount
    if changed == 1:
        db.session.refresh(wish)
    return changed == 1


def _payload(wish: Wish, **extra) -> dict:
    return {"wish_id": wish.id, "resident_id": wish.resident_id, "status": wish.status, **extra}


def emit(event_type: str, wish: Wish, **extra) -> None:
    emit_event(
        event_type,
        aggregate_type="wish",
        aggregate_id=wish.id,
        community_id=wish.community_id,
        payload=_payload(wish, **extra),
    )


# --- posting and withdrawing ----------------------------------------------------------------


def _check_needed_by(needed_by: date) -> None:
    today = local_today()
    if needed_by < today:
        raise Unprocessable("期望完成日期不能早于今天", code="needed_by_in_past")
    if needed_by > today + timedelta(days=MAX_DAYS_AHEAD):
        raise Unprocessable(
            f"期望完成日期不能晚于 {MAX_DAYS_AHEAD} 天后",
            code="needed_by_too_far",
            details={"max_days": MAX_DAYS_AHEAD},
        )


def post_wish(
    user: User,
    *,
    title: str,
    needed_by: date,
    details: str = "",
    place: str = "",
    beneficiary: str = "",
    photo_ids: list[int] | None = None,
) -> Wish:
    """A resident posts a wish: `pending` for review, or `flagged` when its text needs a look."""
    title, details = title.strip(), (details or "").strip()
    place, beneficiary = (place or "").strip(), (beneficiary or "").strip()
    photo_ids = list(photo_ids or [])
    if not title:
        raise Unprocessable("请填写心愿内容", code="title_required")
    membership = require_membership(user)
    community_id, grid_id = membership.community_id, membership.grid_id
    _check_needed_by(needed_by)
    uploads.check_attachable(user, photo_ids)
    openid, user_id = user.openid, user.id

    # Nothing is written yet: end the read transaction so the WeChat round trip holds no lock.
    db.session.rollback()
    text = "\n".join(part for part in (title, details, place, beneficiary) if part)
    verdict = check_text(text, openid=openid)

    user = db.session.get(User, user_id)
    uploads.check_attachable(user, photo_ids)  # again: another request may have used them
    wish = Wish(
        community_id=community_id,
        grid_id=grid_id,
        resident_id=user_id,
        title=title,
        details=details,
        needed_by=needed_by,
        place=place,
        beneficiary=beneficiary,
        photo_ids=photo_ids,
        status="pending" if verdict.passed else "flagged",
        content_verdict=verdict.suggest,
        content_label=verdict.label,
    )
    db.session.add(wish)
    db.session.flush()
    uploads.attach(user, photo_ids, "wish", wish.id)
    emit("wish.submitted", wish, needed_by=needed_by.isoformat())
    db.session.commit()
    return wish


def cancel_wish(user: User, wish_id: int) -> Wish:
    """The resident withdraws a wish nobody has claimed yet."""
    wish = visible_wish(WishViewer(user), wish_id)
    if wish.resident_id != user.id:
        raise Forbidden("只有发布人可以撤回心愿", code="not_wish_owner")
    previous = wish.status
    if not gate(
        wish,
        Wish.status.in_(UNCLAIMED_OPEN_STATUSES),
        status="cancelled",
        closed_at=utcnow(),
    ):
        refuse(wish, WishNotCancellable)
    emit("wish.cancelled", wish, previous_status=previous)
    db.session.commit()
    return wish


# --- review ---------------------------------------------------------------------------------


def _load_for_review(actor: User, wish_id: int) -> Wish:
    viewer = WishViewer(actor)
    wish = visible_wish(viewer, wish_id)
    if not viewer.reviews(wish):
        raise Forbidden("只有审核员或管理员可以审核心愿", code="not_a_reviewer")
    if wish.resident_id == actor.id:
        raise Forbidden("不能审核自己的心愿", code="cannot_review_own_wish")
    return wish


def _audit(actor: User, wish: Wish, action: str, before: str, after: dict) -> None:
    record_audit(
        actor_id=actor.id,
        action=action,
        target_type="wish",
        target_id=wish.id,
        community_id=wish.community_id,
        before={"status": before},
        after={"status": wish.status, **after},
    )


def approve_wish(
    actor: User,
    wish_id: int,
    *,
    audience: str = "community",
    grid_id: int | None = None,
    points: int | None = None,
) -> Wish:
    """Publish a wish to the whole community or to one of its grids (default: the resident's),
    worth `points` to whoever fulfils it (default 10, as most catalogue items)."""
    wish = _load_for_review(actor, wish_id)
    if audience == "grid":
        grid_id = grid_id or wish.grid_id
        if grid_id is None:
            raise Unprocessable("居民未加入网格，请指定网格", code="grid_required")
        grid = get_by_id(Grid, grid_id)
        if grid is None or grid.community_id != wish.community_id:
            raise Unprocessable("网格不存在", code="unknown_grid", details={"grid_id": grid_id})
    elif grid_id is not None:
        raise Unprocessable("发布到全社区时不能指定网格", code="grid_not_expected")
    points = points or DEFAULT_WISH_POINTS
    today, before = local_today(), wish.status
    if not gate(
        wish,
        Wish.status.in_(REVIEW_STATUSES),
        Wish.needed_by >= today,
        status="published",
        audience=audience,
        audience_grid_id=grid_id if audience == "grid" else None,
        points=points,
        reviewed_by=actor.id,
        reviewed_at=utcnow(),
    ):
        refuse(wish, WishAlreadyReviewed, due_in=REVIEW_STATUSES, today=today)
    after = {"audience": audience, "audience_grid_id": wish.audience_grid_id, "points": points}
    _audit(actor, wish, "wish.approve", before, after)
    emit("wish.published", wish, needed_by=wish.needed_by.isoformat(), **after)
    db.session.commit()
    return wish


def reject_wish(actor: User, wish_id: int, reason: str) -> Wish:
    """Refuse a wish with a reason the resident sees."""
    reason = (reason or "").strip()
    if not reason:
        raise Unprocessable("驳回时请填写原因", code="reason_required")
    wish = _load_for_review(actor, wish_id)
    before = wish.status
    if not gate(
        wish,
        Wish.status.in_(REVIEW_STATUSES),
        status="rejected",
        review_reason=reason,
        reviewed_by=actor.id,
        reviewed_at=utcnow(),
        closed_at=utcnow(),
    ):
        refuse(wish, WishAlreadyReviewed)
    _audit(actor, wish, "wish.reject", before, {"reason": reason})
    emit("wish.rejected", wish, reason=reason)
    db.session.commit()
    return wish
