"""Demo rewards: the points supermarket, two partner merchants and their offers."""

from sqlalchemy import select

from server.community.models import Community, Merchant
from server.db.session import db
from server.rewards.models import Offer

SUPERMARKET = "幸福社区积分超市"
MERCHANTS = [
    (SUPERMARKET, "supermarket", "幸福路 88 号社区服务中心一楼"),
    ("阳光理发店", "partner", "幸福路 102 号"),
    ("康乐便民洗衣店", "partner", "和平苑 3 栋底商"),
]
# merchant, title, description, points, stock, limit per person, period
OFFERS = [
    (SUPERMARKET, "洗衣液 2kg", "蓝月亮深层洁净洗衣液一瓶", 50, 100, 2, "month"),
    (SUPERMARKET, "东北大米 5kg", "五常稻花香大米一袋", 100, 50, 1, "quarter"),
    (SUPERMARKET, "食用油 1.8L", "花生调和油一桶", 80, 60, 1, "month"),
    (SUPERMARKET, "纯棉毛巾", "纯棉毛巾一条", 20, 200, None, "month"),
    ("阳光理发店", "免费理发一次", "男士/女士剪发一次（不含烫染）", 30, 40, 1, "month"),
    ("阳光理发店", "老人上门理发", "为 70 岁以上老人上门理发一次", 20, 20, 1, "month"),
    ("康乐便民洗衣店", "干洗外套一件", "羽绒服、大衣等外套干洗一件", 40, 30, 1, "month"),
    ("康乐便民洗衣店", "洗衣八折券", "全店洗衣服务八折一次", 10, 100, 2, "month"),
]


def seed_rewards(community: Community) -> dict[str, int]:
    """Create the demo merchants and offers that do not exist yet; return what was added."""
    added = {"merchants": 0, "offers": 0}
    merchants = {}
    for name, kind, address in MERCHANTS:
        merchant = db.session.scalar(
            select(Merchant).where(Merchant.community_id == community.id, Merchant.name == name)
        )
        if merchant is None:
            merchant = Merchant(
                community_id=community.id,
                name=name,
                kind=kind,
                status="approved",
                address=address,
            )
            db.session.add(merchant)
            db.session.flush()
            added["merchants"] += 1
        merchants[name] = merchant
    for merchant_name, title, description, points, stock, limit, period in OFFERS:
        merchant = merchants[merchant_name]
        exists = db.session.scalar(
            select(Offer.id).where(Offer.merchant_id == merchant.id, Offer.title == title)
        )
        if exists is None:
            db.session.add(
                Offer(
                    community_id=community.id,
                    merchant_id=merchant.id,
                    title=title,
                    description=description,
                    points_cost=points,
                    stock=stock,
                    limit_per_person=limit,
                    limit_period=period,
                    active=True,
                )
            )
            added["offers"] += 1
    db.session.flush()
    from server.rewards.offer_images import seed_offer_pictures

    added["offer_pictures"] = seed_offer_pictures(community)
    return {name: count for name, count in added.items() if count}
