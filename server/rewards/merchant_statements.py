"""Merchant views: redemption history, the monthly statement and its xlsx export."""

import io
from datetime import UTC, date, datetime, time, timedelta

from openpyxl import Workbook
from sqlalchemy import func, select

from server.auth.models import User
from server.community.models import Merchant
from server.db.session import db
from server.http.errors import Unprocessable
from server.http.pagination import decode_id_cursor, encode_cursor, paginate_by_id
from server.platform.localtime import SHANGHAI, local_today
from server.platform.masking import mask_name
from server.rewards.merchants import staff_merchant
from server.rewards.models import Offer, Redemption
from server.rewards.periods import month_bounds_utc

MAX_EXPORT_LINES = 50_000


def _names(user_ids) -> dict[int, str]:
    ids = {i for i in user_ids if i}
    if not ids:
        return {}
    users = db.session.scalars(select(User).where(User.id.in_(ids)))
    return {u.id: u.display_name for u in users}


def history_views(rows: list[Redemption]) -> list[dict]:
    names = _names([r.user_id for r in rows] + [r.redeemed_by for r in rows])
    return [
        {
            "id": r.id,
            "offer_id": r.offer_id,
            "offer_title": r.offer.title,
            "points": r.points,
            "status": r.status,
            "resident_name": mask_name(names.get(r.user_id)),
            "created_at": r.created_at,
            "redeemed_at": r.redeemed_at,
            # Masked like the resident: a name masked in one view never shows in full in another.
            "redeemed_by": mask_name(names.get(r.redeemed_by)) if r.redeemed_by else None,
        }
        for r in rows
    ]


def history(
    user: User,
    merchant_id: int | None,
    limit: int,
    cursor: str | None,
    *,
    status: str | None = None,
    month: str | None = None,
):
    """The merchant's redemptions, newest first (its staff and the community's admins)."""
    merchant = staff_merchant(user, merchant_id)
    stmt = select(Redemption).where(Redemption.merchant_id == merchant.id)
    if status:
        stmt = stmt.where(Redemption.status == status)
    if month:
        start, end = month_bounds_utc(month)
        stmt = stmt.where(Redemption.created_at >= start, Redemption.created_at < end)
    page = paginate_by_id(db.session, stmt, Redemption.id, limit, cursor)
    page.items = history_views(page.items)
    return page


def _statement_query(merchant: Merchant, month: str):
    start, end = month_bounds_utc(month)
    return (
        select(
            Redemption.offer_id,
            func.count(Redemption.id).label("count"),
            func.sum(Redemption.points).label("points"),
        )
        .where(
            Redemption.merchant_id == merchant.id,
            Redemption.status == "redeemed",
            Redemption.redeemed_at >= start,
            Redemption.redeemed_at < end,
        )
        .group_by(Redemption.offer_id)
    )


def day_totals(merchant: Merchant, day: date) -> dict:
    """How many redemptions the merchant verified on one local day, and their points."""
    start = datetime.combine(day, time(), SHANGHAI).astimezone(UTC)
    count, points = db.session.execute(
        select(func.count(Redemption.id), func.sum(Redemption.points)).where(
            Redemption.merchant_id == merchant.id,
            Redemption.status == "redeemed",
            Redemption.redeemed_at >= start,
            Redemption.redeemed_at < start + timedelta(days=1),
        )
    ).one()
    return {"date": day, "count": int(count or 0), "points": int(points or 0)}


def statement(
    user: User,
    merchant_id: int | None,
    month: str,
    limit: int,
    cursor: str | None,
    *,
    now: datetime | None = None,
):
    """Verified redemptions of one local month, per offer, with totals and today's figures."""
    merchant = staff_merchant(user, merchant_id)
    base = _statement_query(merchant, month).subquery()
    totals = db.session.execute(
        select(func.count(base.c.offer_id), func.sum(base.c.count), func.sum(base.c.points))
    ).one()
    stmt = _statement_query(merchant, month)
    if cursor:
        stmt = stmt.where(Redemption.offer_id > decode_id_cursor(cursor))
    rows = db.session.execute(stmt.order_by(Redemption.offer_id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    titles = dict(
        db.session.execute(
            select(Offer.id, Offer.title).where(Offer.id.in_([row.offer_id for row in rows]))
        ).all()
    )
    items = [
        {
            "offer_id": row.offer_id,
            "offer_title": titles.get(row.offer_id, ""),
            "count": int(row.count),
            "points": int(row.points or 0),
        }
        for row in rows
    ]
    return {
        "merchant_id": merchant.id,
        "merchant_name": merchant.name,
        "month": month,
        "today": day_totals(merchant, local_today(now)),
        "offers": int(totals[0] or 0),
        "total_count": int(totals[1] or 0),
        "total_points": int(totals[2] or 0),
        "items": items,
        "next_cursor": encode_cursor([rows[-1].offer_id]) if more and rows else None,
    }


def _local(value: datetime | None) -> datetime | None:
    return value.astimezone(SHANGHAI).replace(tzinfo=None) if value else None


def statement_xlsx(user: User, merchant_id: int | None, month: str) -> tuple[bytes, str]:
    """The monthly statement as an xlsx workbook: a summary sheet and every verified line."""
    merchant = staff_merchant(user, merchant_id)
    start, end = month_bounds_utc(month)
    summary = db.session.execute(_statement_query(merchant, month).order_by("offer_id")).all()
    titles = dict(
        db.session.execute(
            select(Offer.id, Offer.title).where(Offer.merchant_id == merchant.id)
        ).all()
    )
    lines = list(
        db.session.scalars(
            select(Redemption)
            .where(
                Redemption.merchant_id == merchant.id,
                Redemption.status == "redeemed",
                Redemption.redeemed_at >= start,
                Redemption.redeemed_at < end,
            )
            .order_by(Redemption.redeemed_at, Redemption.id)
            .limit(MAX_EXPORT_LINES + 1)
        )
    )
    if len(lines) > MAX_EXPORT_LINES:
        raise Unprocessable(
            "本月核销记录过多，请联系社区导出",
            code="export_too_large",
            details={"max": MAX_EXPORT_LINES},
        )
    views = history_views(lines)

    wb = Workbook(write_only=True)
    sheet = wb.create_sheet("月度结算")
    sheet.append([f"{merchant.name} {month} 兑换结算单"])
    sheet.append(["商品编号", "商品名称", "核销次数", "积分合计"])
    total_count = total_points = 0
    for row in summary:
        count, points = int(row.count), int(row.points or 0)
        total_count += count
        total_points += points
        sheet.append([row.offer_id, titles.get(row.offer_id, ""), count, points])
    sheet.append(["合计", "", total_count, total_points])

    detail = wb.create_sheet("核销明细")
    detail.append(["兑换编号", "商品名称", "积分", "居民", "核销时间（北京时间）", "核销人"])
    for view in views:
        detail.append(
            [
                view["id"],
                view["offer_title"],
                view["points"],
                view["resident_name"],
                _local(view["redeemed_at"]),
                view["redeemed_by"] or "",
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), f"statement-{merchant.id}-{month}.xlsx"
