"""Redemption windows (一季一兑换): when a community's residents may reserve rewards."""

from datetime import date, datetime

from sqlalchemy import exists, func, select

from server.auth.models import User
from server.community.authz import authorize, require_membership
from server.community.models import Community
from server.db.audit import jsonable, record_audit
from server.db.session import db
from server.http.errors import NotFound, Unprocessable
from server.http.pagination import paginate_by_id
from server.platform.localtime import local_today
from server.rewards import gates
from server.rewards.models import RedemptionWindow
from server.rewards.periods import days_after, quarter_starts

MAX_WINDOW_DAYS = 366


def window_state(community_id: int, today: date) -> dict:
    """Whether reserving is open today (the gate reserve uses), the window in force and the
    next opening."""
    is_open = db.session.scalar(select(gates.window_open(community_id, today)))
    of_community = RedemptionWindow.community_id == community_id
    if not db.session.scalar(select(exists().where(of_community))):
        return {"always_open": True, "open": bool(is_open), "current": None, "next_opens_on": None}
    current = db.session.scalar(
        select(RedemptionWindow)
        .where(of_community, gates.window_covers(today))
        .order_by(RedemptionWindow.ends_on.desc())
        .limit(1)
    )
    next_opens_on = db.session.scalar(
        select(func.min(RedemptionWindow.starts_on)).where(
            of_community, RedemptionWindow.starts_on > today
        )
    )
    return {
        "always_open": False,
        "open": bool(is_open),
        "current": current,
        "next_opens_on": next_opens_on,
    }


def my_window_state(user: User, now: datetime | None = None) -> dict:
    membership = require_membership(user)
    return window_state(membership.community_id, local_today(now))


def _community(community_id: int) -> Community:
    community = db.session.get(Community, community_id)
    if community is None or not community.is_active:
        raise NotFound("社区不存在", code="community_not_found")
    return community


def window_view(window: RedemptionWindow) -> dict:
    return {
        "id": window.id,
        "community_id": window.community_id,
        "starts_on": window.starts_on,
        "ends_on": window.ends_on,
        "note": window.note,
    }


def _check_range(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise Unprocessable("结束日期不能早于开始日期", code="window_ends_before_start")
    if (ends_on - starts_on).days >= MAX_WINDOW_DAYS:
        raise Unprocessable("单个兑换时段不能超过一年", code="window_too_long")


def create_windows(
    actor: User, community_id: int, ranges: list[tuple[date, date]], note: str = ""
) -> list[RedemptionWindow]:
    """Add redemption windows to a community (admins only; audited)."""
    community = _community(community_id)
    authorize(actor, community_id=community.id, roles=("admin",))
    for starts_on, ends_on in ranges:
        _check_range(starts_on, ends_on)
    windows = []
    for starts_on, ends_on in ranges:
        window = RedemptionWindow(
            community_id=community.id,
            starts_on=starts_on,
            ends_on=ends_on,
            note=note.strip(),
            created_by=actor.id,
        )
        db.session.add(window)
        db.session.flush()
        record_audit(
            actor_id=actor.id,
            action="redemption_window.create",
            target_type="redemption_window",
            target_id=window.id,
            community_id=community.id,
            after=jsonable(window_view(window)),
        )
        windows.append(window)
    db.session.commit()
    return windows


def create_quarterly_windows(
    actor: User, community_id: int, year: int, days: int, note: str = ""
) -> list[RedemptionWindow]:
    """The schemes' usual rule: the first `days` days of each quarter of `year`."""
    if not 1 <= days <= 31:
        raise Unprocessable("天数应在 1 到 31 之间", code="invalid_days")
    ranges = [(start, days_after(start, days - 1)) for start in quarter_starts(year)]
    return create_windows(actor, community_id, ranges, note or f"{year}年每季度前{days}天")


def delete_window(actor: User, community_id: int, window_id: int) -> None:
    community = _community(community_id)
    authorize(actor, community_id=community.id, roles=("admin",))
    window = db.session.get(RedemptionWindow, window_id)
    if window is None or window.community_id != community.id:
        raise NotFound("兑换时段不存在", code="window_not_found")
    before = jsonable(window_view(window))
    db.session.delete(window)
    record_audit(
        actor_id=actor.id,
        action="redemption_window.delete",
        target_type="redemption_window",
        target_id=window_id,
        community_id=community.id,
        before=before,
    )
    db.session.commit()


def list_windows(user: User, community_id: int, limit: int, cursor: str | None):
    """Windows of a community, for its members and admins, in id order."""
    community = _community(community_id)
    authorize(user, community_id=community.id, roles=("resident", "admin"))
    stmt = select(RedemptionWindow).where(RedemptionWindow.community_id == community.id)
    page = paginate_by_id(db.session, stmt, RedemptionWindow.id, limit, cursor, desc=False)
    page.items = [window_view(w) for w in page.items]
    return page
