"""Demo card holders: two residents without a smartphone, one in each of two grids, with the
history a community would have given them - registered by their grid worker or the office,
credited through a worker's service logs, a bonus and a claim filed for them, a reward
redeemed at the 积分超市 counter with card and PIN, and a reservation waiting there.

Everything goes through the real services (register, record_service, submit_claim with
`acted_by`, decide_claim, reserve, redeem_with_card), so acts, audit rows, events and ledger
entries are the real ones. A holder is found by name first: a second run adds nothing.
Skipped in tests unless SEED_DEMO_GRID is set, like the rest of the grid's demo work.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from server.auth.models import User
from server.commands.demo_guard import demo_user
from server.community.card_holder_models import CardHolder
from server.community.models import Community, Grid, Merchant
from server.db.session import db
from server.db.types import utcnow
from server.grid.service_log_models import ServiceItem
from server.points.models import PointItem
from server.rewards.models import Offer

DEMO_PIN = "2580"  # documented in the README's demo section
AIDE = ("AIDE", "居民志愿服务（代记）", 10, "auto", "网格员为不用手机的居民登记其志愿服务")
# name, building, unit, grid code, registered by (identity)
HOLDERS = [
    ("郭桂兰", "3栋", "2单元201", "g1", "grid-1"),
    ("孙长福", "和平苑6号楼", "1单元102", "g2", "reviewer"),
]


def _aide_item(community: Community, admin: User) -> int:
    from server.grid.service_log_items import create_item

    item_id = db.session.scalar(
        select(ServiceItem.id).where(
            ServiceItem.community_id == community.id, ServiceItem.code == AIDE[0]
        )
    )
    if item_id is None:
        code, name, points, rule, description = AIDE
        item_id = create_item(
            admin, code=code, name=name, points=points, rule=rule,
            beneficiary="resident", description=description, sort_order=10,
        ).id  # fmt: skip
    return item_id


def _offer_of_the_supermarket(community: Community) -> int:
    return db.session.scalar(
        select(Offer.id)
        .join(Merchant, Merchant.id == Offer.merchant_id)
        .where(Merchant.community_id == community.id, Merchant.kind == "supermarket")
        .order_by(Offer.points_cost, Offer.id)
        .limit(1)
    )


def _history(holder_id: int, staff: User, community: Community, aide_id: int, first: bool):
    from server.cards.cards import active_card
    from server.cards.counter import redeem_with_card
    from server.cards.numbers import qr_text
    from server.grid.service_logs import record_service
    from server.points.claim_review import decide_claim
    from server.points.claims import submit_claim
    from server.rewards.redemption import reserve

    worker, admin = demo_user("grid-1"), demo_user("admin")
    holder = db.session.get(User, holder_id)
    if first:  # her own service, recorded by her grid worker
        for days, notes in ((9, "郭阿姨清扫 3 栋楼道并整理杂物"), (6, "郭阿姨参加楼栋平安值守")):
            record_service(
                worker,
                item_id=aide_id,
                resident_id=holder_id,
                duration_minutes=90,
                served_at=utcnow() - timedelta(days=days),
                place="3栋楼道",
                notes=notes,
            )
    else:  # the office's yearly care for the elderly
        from server.points.adjustments import adjust

        adjust(admin, amount=30, reason="敬老表彰：重阳节慰问", user_id=holder_id)
    item_id = db.session.scalar(
        select(PointItem.id).where(PointItem.community_id == community.id, PointItem.code == "E01")
    )
    claim = submit_claim(
        holder,
        item_id=item_id,
        occurred_on=(utcnow() - timedelta(days=3)).date(),
        description="参加小区清洁日，清理花坛垃圾",
        acted_by=staff,
    )
    decider = admin if staff.id != admin.id else demo_user("reviewer")
    decide_claim(decider, claim.id, "approve")
    offer_id = _offer_of_the_supermarket(community)
    if first:
        number = active_card(holder_id).number
        redeem_with_card(demo_user("merchant-1"), qr_text(number), DEMO_PIN, offer_id=offer_id)
    else:
        reserve(holder_id, offer_id, acted_by=staff.id)


def seed_cards(community: Community) -> dict[str, int]:
    """Create the demo card holders that do not exist yet; return how many were added."""
    if not current_app.config.get("SEED_DEMO_GRID", not current_app.testing):
        return {}
    from server.cards.holders import register_card_holder

    db.session.commit()
    admin = demo_user("admin")
    aide_id = _aide_item(community, admin)
    added = 0
    for n, (name, building, unit, grid_code, staff_identity) in enumerate(HOLDERS):
        exists = db.session.scalar(
            select(CardHolder.user_id)
            .join(User, User.id == CardHolder.user_id)
            .where(CardHolder.community_id == community.id, User.real_name == name)
        )
        if exists is not None:
            continue
        staff = demo_user(staff_identity)
        grid_id = db.session.scalar(
            select(Grid.id).where(Grid.community_id == community.id, Grid.code == grid_code)
        )
        holder = register_card_holder(
            staff, real_name=name, building=building, unit=unit, pin=DEMO_PIN, grid_id=grid_id
        )
        _history(holder.user_id, demo_user(staff_identity), community, aide_id, first=n == 0)
        added += 1
    return {"card_holders": added} if added else {}
