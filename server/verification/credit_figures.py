"""What a credit reference states about its holder, read when it is issued: points this year
and in total, volunteer hours, the rank band in the year's ranking, and standing since."""

import math

from sqlalchemy import func, select

from server.auth.models import User
from server.community.models import Community, Membership, Merchant, Organisation
from server.db.session import db
from server.platform.localtime import local_date
from server.platform.masking import mask_name
from server.points.balance import year_earned
from server.points.ledger import find_account
from server.points.ledger_models import OWN_KIND, PeriodTotal
from server.tasks.hours import lifetime_minutes

# (share of the ranked, label), best first; everyone else, and anyone unranked, is 其他.
BANDS = ((0.10, "前10%"), (0.30, "前30%"))
OTHER = "其他"


def rank_band(community_id: int, kind: str, year: int, account_id: int | None) -> str:
    """The holder's band in the community's yearly ranking of its kind (ties share a rank)."""
    if account_id is None:
        return OTHER
    months = [f"{year}-{month:02d}" for month in range(1, 13)]
    total = func.sum(PeriodTotal.points)
    totals = (
        select(PeriodTotal.account_id, total.label("points"))
        .where(
            PeriodTotal.community_id == community_id,
            PeriodTotal.kind == kind,
            PeriodTotal.month.in_(months),
        )
        .group_by(PeriodTotal.account_id)
        .having(total > 0)
        .subquery()
    )
    mine = db.session.scalar(select(totals.c.points).where(totals.c.account_id == account_id))
    if not mine:
        return OTHER
    ranked, above = db.session.execute(
        select(func.count(), func.count().filter(totals.c.points > mine)).select_from(totals)
    ).one()
    rank = above + 1
    for share, label in BANDS:
        if rank <= math.ceil(ranked * share):
            return label
    return OTHER


def holder_figures(community_id: int, holder_type: str, holder_id: int, year: int) -> dict:
    """The snapshot columns of a reference for this holder, as of now."""
    community = db.session.get(Community, community_id)
    account = find_account(community_id, holder_type, holder_id)
    if holder_type == "user":
        user = db.session.get(User, holder_id)
        name = mask_name(user.real_name or user.nickname)
        joined = db.session.scalar(
            select(Membership.joined_at).where(
                Membership.user_id == holder_id, Membership.community_id == community_id
            )
        )
        minutes = lifetime_minutes(holder_id)
    else:
        holder = db.session.get(
            Organisation if holder_type == "organisation" else Merchant, holder_id
        )
        name, joined, minutes = holder.name, holder.created_at, None
    return {
        "community_id": community_id,
        "holder_type": holder_type,
        "holder_id": holder_id,
        "holder_name": name[:64],
        "community_name": community.name,
        "year": year,
        "points_year": year_earned(account, year) if account else 0,
        "points_total": account.earned if account else 0,
        "volunteer_minutes": minutes,
        "rank_band": rank_band(
            community_id, OWN_KIND[holder_type], year, account.id if account else None
        ),
        "member_since": local_date(joined) if joined else None,
    }
