"""Helpers shared by the rewards and redemption tests (this module holds no tests)."""

import uuid

from sqlalchemy import select

from server.auth.models import User
from server.community.models import (
    Community,
    Membership,
    Merchant,
    RoleGrant,
    scope_key_for,
)
from server.db.session import db
from server.points import ledger
from server.points.ledger import Account, Hold, LedgerEntry
from server.rewards.models import Offer, Redemption
from server.rewards.seed import SUPERMARKET
from server.wechat.emulator import stable_id
from tests.conftest import APPID
from tests.factories import add_other_community


def user_id(query, identity: str) -> int:
    openid = stable_id(APPID, identity, "openid")
    return query(lambda s: s.scalar(select(User.id).where(User.openid == openid)))


def demo_community_id(query) -> int:
    return query(lambda s: s.scalar(select(Community.id).where(Community.code == "demo")))


def merchant_id(query, name: str = SUPERMARKET) -> int:
    return query(lambda s: s.scalar(select(Merchant.id).where(Merchant.name == name)))


def give_points(app, identity_or_id, amount: int, community_id: int | None = None) -> None:
    """Credit points to a person, as an approved claim would."""
    with app.app_context():
        uid = identity_or_id
        if isinstance(identity_or_id, str):
            openid = stable_id(APPID, identity_or_id, "openid")
            uid = db.session.scalar(select(User.id).where(User.openid == openid))
        if community_id is None:
            community_id = db.session.scalar(
                select(Membership.community_id).where(Membership.user_id == uid)
            )
        account = ledger.account_for_user(community_id, uid)
        ledger.credit(
            account,
            amount,
            reason="测试积分",
            idempotency_key=f"test:{uuid.uuid4().hex}",
            cause_type="adjustment",
            cause_id="test",
        )
        db.session.commit()
        db.session.remove()


def make_offer(app, merchant_name: str = SUPERMARKET, **fields) -> int:
    with app.app_context():
        merchant = db.session.scalar(select(Merchant).where(Merchant.name == merchant_name))
        values = {
            "title": "测试商品",
            "description": "",
            "points_cost": 30,
            "stock": 10,
            "limit_per_person": None,
            "limit_period": "month",
            "active": True,
        }
        values.update(fields)
        offer = Offer(community_id=merchant.community_id, merchant_id=merchant.id, **values)
        db.session.add(offer)
        db.session.commit()
        oid = offer.id
        db.session.remove()
        return oid


def add_staff(app, identity: str, merchant_name: str, community_code: str = "demo") -> int:
    """Create (or reuse) a user who is merchant staff of `merchant_name`."""
    with app.app_context():
        community = db.session.scalar(select(Community).where(Community.code == community_code))
        merchant = db.session.scalar(
            select(Merchant).where(
                Merchant.community_id == community.id, Merchant.name == merchant_name
            )
        )
        openid = stable_id(APPID, identity, "openid")
        user = db.session.scalar(select(User).where(User.openid == openid))
        if user is None:
            user = User(openid=openid, nickname=identity, real_name="赵店员")
            db.session.add(user)
            db.session.flush()
            db.session.add(Membership(user_id=user.id, community_id=community.id))
        db.session.add(
            RoleGrant(
                user_id=user.id,
                community_id=community.id,
                role="merchant_staff",
                scope_key=scope_key_for(merchant_id=merchant.id),
                merchant_id=merchant.id,
            )
        )
        db.session.commit()
        uid = user.id
        db.session.remove()
        return uid


def make_other_community(app) -> int:
    """A second community with an admin, a resident and an approved merchant."""
    with app.app_context():
        other, _grid = add_other_community()
        db.session.add(
            Merchant(community_id=other.id, name="和谐超市", kind="supermarket", status="approved")
        )
        for identity, role in (("other-admin", "admin"), ("other-resident", None)):
            user = User(openid=stable_id(APPID, identity, "openid"), real_name="钱多多")
            db.session.add(user)
            db.session.flush()
            db.session.add(Membership(user_id=user.id, community_id=other.id))
            if role:
                db.session.add(RoleGrant(user_id=user.id, community_id=other.id, role=role))
        db.session.commit()
        oid = other.id
        db.session.remove()
        return oid


def balance(query, identity_or_id, community_id=None) -> tuple[int, int]:
    """(balance, held) of a person's account, read fresh."""

    def read(s):
        uid = identity_or_id
        if isinstance(uid, str):
            openid = stable_id(APPID, uid, "openid")
            uid = s.scalar(select(User.id).where(User.openid == openid))
        stmt = select(Account).where(Account.holder_type == "user", Account.holder_id == uid)
        account = s.scalar(stmt)
        return (account.balance, account.held) if account else (0, 0)

    return query(read)


def stock(query, offer_id: int) -> int:
    return query(lambda s: s.get(Offer, offer_id).stock)


def redemption(query, rid: int) -> Redemption:
    def read(s):
        r = s.get(Redemption, rid)
        s.expunge(r)
        return r

    return query(read)


def ledger_consistent(query) -> None:
    """Invariant 2: every balance is the sum of its entries; held is the sum of pending holds."""

    def check(s):
        for account in s.scalars(select(Account)):
            entries = s.scalars(
                select(LedgerEntry.amount).where(LedgerEntry.account_id == account.id)
            ).all()
            pending = s.scalars(
                select(Hold.amount).where(Hold.account_id == account.id, Hold.status == "pending")
            ).all()
            assert account.balance == sum(entries), account
            assert account.held == sum(pending), account
            assert 0 <= account.held <= account.balance

    query(check)
