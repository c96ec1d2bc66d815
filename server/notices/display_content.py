"""What the hall screen shows: this month's ranking, open tasks, recent thanks and the current
notice. Everything here is public: people appear only as masked names (张*明), never with a
phone number or anything else about them."""

from datetime import datetime

from sqlalchemy import select

from server.auth.models import User
from server.db.session import db
from server.grid.wish_models import Wish
from server.notices.models import Notice
from server.platform.localtime import SHANGHAI
from server.platform.masking import mask_name
from server.points.claim_models import PointClaim
from server.points.models import PointItem
from server.points.rankings import community_ranking
from server.tasks import clock
from server.tasks.models import Task

SHOWN = 10  # rows per panel: what a 1080-pixel-high screen shows in large type
_WEEKDAYS = "一二三四五六日"


def local_label(start: datetime, end: datetime | None = None) -> str:
    """'12月9日 周二 09:00' (and '–11:00' with an end the same day) in Shanghai time."""
    s = start.astimezone(SHANGHAI)
    text = f"{s.month}月{s.day}日 周{_WEEKDAYS[s.weekday()]} {s:%H:%M}"
    if end is not None:
        e = end.astimezone(SHANGHAI)
        text += f"–{e:%H:%M}" if e.date() == s.date() else f" 至 {e.month}月{e.day}日 {e:%H:%M}"
    return text


def ranking_rows(community_id: int) -> dict:
    """This month's person ranking, top 10, from the rankings service (names masked there)."""
    page = community_ranking(community_id, period=None, kind="person", limit=SHOWN)
    rows = [{"rank": r["rank"], "name": r["name"], "points": r["points"]} for r in page["items"]]
    return {"period": page["period"], "items": rows}


def open_tasks(community_id: int) -> list[dict]:
    """The next 10 published tasks that have not started yet, soonest first."""
    tasks = db.session.scalars(
        select(Task)
        .where(
            Task.community_id == community_id,
            Task.status == "published",
            Task.starts_at > clock.now(),
        )
        .order_by(Task.starts_at, Task.id)
        .limit(SHOWN)
    )
    return [
        {
            "title": t.title,
            "starts_at": t.starts_at,
            "time": local_label(t.starts_at, t.ends_at),
            "place": t.place_name or "",
            "seats_left": max(0, t.capacity - t.confirmed_count),
        }
        for t in tasks
    ]


def _masked_names(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(User.id, User.real_name, User.nickname).where(User.id.in_(user_ids))
    )
    return {u.id: mask_name(u.real_name or u.nickname) for u in rows}


def recent_thanks(community_id: int) -> list[dict]:
    """The last 10 approved claims and confirmed (fulfilled and credited) wishes, newest first,
    as '张*明 参加 垃圾分类督导 +10'. A wish's title is the resident's own words, so it is left
    out: the screen says only that a wish was fulfilled."""
    claims = db.session.execute(
        select(PointClaim.claimant_id, PointClaim.points, PointClaim.decided_at, PointItem.name)
        .join(PointItem, PointItem.id == PointClaim.item_id)
        .where(
            PointClaim.community_id == community_id,
            PointClaim.status == "approved",
            PointClaim.decided_at.is_not(None),
        )
        .order_by(PointClaim.decided_at.desc(), PointClaim.id.desc())
        .limit(SHOWN)
    ).all()
    wishes = db.session.execute(
        select(Wish.claimer_id, Wish.points, Wish.confirmed_at)
        .where(
            Wish.community_id == community_id,
            Wish.status == "confirmed",
            Wish.confirmed_at.is_not(None),
        )
        .order_by(Wish.confirmed_at.desc(), Wish.id.desc())
        .limit(SHOWN)
    ).all()
    names = _masked_names({c.claimant_id for c in claims} | {w.claimer_id for w in wishes})
    rows = [
        (c.decided_at, names.get(c.claimant_id, mask_name(None)), f"参加 {c.name}", c.points)
        for c in claims
    ] + [
        (w.confirmed_at, names.get(w.claimer_id, mask_name(None)), "完成 微心愿", w.points)
        for w in wishes
    ]
    rows.sort(key=lambda r: r[0], reverse=True)
    return [
        {
            "at": at,
            "name": name,
            "what": what,
            "points": points or 0,
            "text": f"{name} {what} +{points or 0}",
        }
        for at, name, what, points in rows[:SHOWN]
    ]


def current_notice(community_id: int) -> dict | None:
    """The latest published notice as {"title", "items": [{"rank", "name", "points"}]} (its top
    10 of 个人, masked); None before the first - the screen then skips the panel."""
    from server.notices.renderings import sheet_for

    notice = db.session.scalar(
        select(Notice)
        .where(Notice.community_id == community_id)
        .order_by(Notice.published_at.desc(), Notice.id.desc())
        .limit(1)
    )
    if notice is None:
        return None
    sheet = sheet_for(notice)
    return {
        "title": sheet.title,
        "items": [{"rank": r.rank, "name": r.name, "points": r.points} for r in sheet.rows],
    }


def screen_content(community_id: int) -> dict:
    return {
        "notice": current_notice(community_id),
        "ranking": ranking_rows(community_id),
        "tasks": open_tasks(community_id),
        "thanks": recent_thanks(community_id),
    }
