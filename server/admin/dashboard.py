"""工作台's figures: a read model above the domains, for a community's admins and reviewers.

Every figure reads an index or a per-month total the domains already keep, so its cost does
not grow with the ledger: monthly totals (point_period_totals), the claim queue index, the
claims decided in a month and redemptions by community and time (migration n1dashbd0001).
"""

from datetime import date, datetime

from sqlalchemy import case, func, select

from server.community.authz import authorize
from server.db.session import db
from server.db.types import utcnow
from server.grid import report_sla
from server.grid.report_models import OPEN_STATUSES as OPEN_REPORT_STATUSES
from server.grid.report_models import Report
from server.grid.report_queue import overdue_clause
from server.platform.localtime import SHANGHAI, local_today
from server.points.claim_models import OPEN_STATUSES as OPEN_CLAIM_STATUSES
from server.points.claim_models import PointClaim
from server.points.ledger_models import OWN_KIND, PeriodTotal
from server.points.models import PointItem
from server.rewards.models import Redemption

MONTHS = 12
TOP_ITEMS = 10
# Every earning counts once in its holder's own ranking kind, so these add up to points issued.
ISSUED_KINDS = tuple(OWN_KIND.values())


def last_months(today: date, count: int = MONTHS) -> list[str]:
    """The `count` local months ending with today's, oldest first: ['2025-12', …, '2026-11']."""
    index = today.year * 12 + today.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


def month_start(month: str) -> datetime:
    """The instant a local month begins."""
    year, number = (int(part) for part in month.split("-"))
    return datetime(year, number, 1, tzinfo=SHANGHAI)


def _next_month(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def participants(community_id: int, month: str) -> int:
    """Members credited at least once in the month (their person total is above zero)."""
    return db.session.scalar(
        select(func.count(PeriodTotal.id)).where(
            PeriodTotal.community_id == community_id,
            PeriodTotal.kind == OWN_KIND["user"],
            PeriodTotal.month == month,
            PeriodTotal.points > 0,
        )
    )


def points_issued(community_id: int, months: list[str]) -> dict[str, int]:
    """Points earned per month by everyone in the community (net of reversed earnings)."""
    rows = db.session.execute(
        select(PeriodTotal.month, func.sum(PeriodTotal.points))
        .where(
            PeriodTotal.community_id == community_id,
            PeriodTotal.kind.in_(ISSUED_KINDS),
            PeriodTotal.month.in_(months),
        )
        .group_by(PeriodTotal.month)
    )
    totals = {month: int(points or 0) for month, points in rows}
    return {month: totals.get(month, 0) for month in months}


def points_redeemed(community_id: int, months: list[str]) -> dict[str, int]:
    """Points of rewards handed over per month: one range of the community's redemptions."""
    bounds = [month_start(m) for m in months] + [month_start(_next_month(months[-1]))]
    at = Redemption.redeemed_at
    sums = [
        func.sum(case(((at >= start) & (at < end), Redemption.points), else_=0))
        for start, end in zip(bounds, bounds[1:], strict=False)
    ]
    row = db.session.execute(
        select(*sums).where(
            Redemption.community_id == community_id,
            Redemption.redeemed_at >= bounds[0],
            Redemption.redeemed_at < bounds[-1],
        )
    ).one()
    return {month: int(value or 0) for month, value in zip(months, row, strict=True)}


def report_counts(community_id: int, at: datetime) -> dict[str, int]:
    """Open reports of the community and how many of them are past a due time."""
    total, late = db.session.execute(
        select(func.count(Report.id), func.sum(case((overdue_clause(at), 1), else_=0))).where(
            Report.community_id == community_id, Report.status.in_(OPEN_REPORT_STATUSES)
        )
    ).one()
    return {"open": int(total or 0), "overdue": int(late or 0)}


def top_items(community_id: int, month: str, limit: int = TOP_ITEMS) -> list[dict]:
    """The month's point items by points of approved claims, most first."""
    points = func.sum(PointClaim.points)
    rows = db.session.execute(
        select(PointClaim.item_id, points, func.count(PointClaim.id))
        .where(
            PointClaim.community_id == community_id,
            PointClaim.decided_at >= month_start(month),
            PointClaim.decided_at < month_start(_next_month(month)),
            PointClaim.status == "approved",
        )
        .group_by(PointClaim.item_id)
        .order_by(points.desc(), PointClaim.item_id)
        .limit(limit)
    ).all()
    names = dict(
        db.session.execute(
            select(PointItem.id, PointItem.name).where(PointItem.id.in_([r[0] for r in rows]))
        ).all()
    )
    return [
        {"item_id": item_id, "name": names[item_id], "points": int(total or 0), "claims": n}
        for item_id, total, n in rows
    ]


def pending_claims(community_id: int) -> dict:
    """Claims waiting for a reviewer and when the oldest was submitted (the queue's index)."""
    count, oldest_id = db.session.execute(
        select(func.count(PointClaim.id), func.min(PointClaim.id)).where(
            PointClaim.community_id == community_id,
            PointClaim.status.in_(OPEN_CLAIM_STATUSES),
        )
    ).one()
    oldest = db.session.get(PointClaim, oldest_id) if oldest_id else None
    return {
        "count": int(count or 0),
        "oldest_id": oldest_id,
        "oldest_at": oldest.created_at.astimezone(SHANGHAI) if oldest else None,
    }


def community_dashboard(user, community_id: int, now: datetime | None = None) -> dict:
    """Every figure of 工作台 for the community; its admins and reviewers only."""
    roles = ("admin", "reviewer")
    authorize(user, community_id=community_id, roles=roles, message="仅管理员或审核员可查看")
    now = now or utcnow()
    months = last_months(local_today(now))
    issued = points_issued(community_id, months)
    redeemed = points_redeemed(community_id, months)
    return {
        "month": months[-1],
        "participants": participants(community_id, months[-1]),
        "issued_this_month": issued[months[-1]],
        "redeemed_this_month": redeemed[months[-1]],
        "chart": {
            "months": months,
            "issued": [issued[m] for m in months],
            "redeemed": [redeemed[m] for m in months],
        },
        "reports": report_counts(community_id, report_sla.now()),  # the grid domain's clock
        "top_items": top_items(community_id, months[-1]),
        "pending": pending_claims(community_id),
    }
