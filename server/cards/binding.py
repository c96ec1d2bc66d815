"""Binding a card holder to a WeChat login later (老人的子女代为绑定).

Staff print a one-time code for the holder (8 digits, 72 hours, stored as an HMAC). The person
logs in with WeChat, which makes a new empty user, and enters the code: the WeChat identity
moves onto the holder's user (account, balance, history, rankings and card stay where they
are) and the empty user is retired. A WeChat user who already has anything - a community, an
account, a role, a card - cannot take a second identity this way. The code is spent by one
conditional UPDATE, so two people typing it at once bind once.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from server.auth.models import User
from server.auth.tokens import issue_access_token
from server.community.acting import holder_for
from server.community.card_holder_models import CardHolder
from server.community.models import Membership, RoleGrant
from server.db.audit import record_audit
from server.db.session import db
from server.db.types import utcnow
from server.http.errors import Conflict, Unprocessable
from server.http.rate_limits import hit
from server.outbox.emit import emit_event

CODE_DIGITS = 8
CODE_TTL = timedelta(hours=72)


class BindCodeInvalid(Unprocessable):
    code, message = "bind_code_invalid", "绑定码无效或已过期，请到社区重新打印"


class AlreadyHasAccount(Conflict):
    code = "already_has_account"
    message = "此微信已在使用，不能再绑定积分卡；请用未使用过的微信登录后绑定"


def _digest(code: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    key = hmac.new(secret, b"redpoints/card-bind/v1", hashlib.sha256).digest()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def issue_bind_code(actor: User, holder_id: int) -> dict:
    """A new one-time code for the holder (any earlier one stops working); shown once."""
    holder = holder_for(actor, holder_id)
    if holder.bound_at is not None:
        raise Conflict("该居民已绑定微信", code="already_bound")
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    expires_at = utcnow() + CODE_TTL
    holder.bind_code_hash, holder.bind_code_expires_at = _digest(code), expires_at
    record_audit(
        actor_id=actor.id,
        action="card.bind_code",
        target_type="user",
        target_id=holder.user_id,
        community_id=holder.community_id,
        after={"expires_at": expires_at.isoformat()},
    )
    db.session.commit()
    return {"code": code, "expires_at": expires_at}


def _has_anything(user: User) -> bool:
    from server.points.ledger_models import Account  # the ledger's table, read only

    for column in (Membership.user_id, RoleGrant.user_id, CardHolder.user_id):
        if db.session.scalar(select(column).where(column == user.id).limit(1)) is not None:
            return True
    account = select(Account.id).where(Account.holder_type == "user", Account.holder_id == user.id)
    return db.session.scalar(account.limit(1)) is not None


def bind_card(user: User, code: str) -> dict:
    """Move the caller's WeChat identity onto the card holder the code names."""
    hit("card_bind", current_app.config["CARD_BIND_RATE_LIMIT"], str(user.id))
    code = (code or "").strip()
    if len(code) != CODE_DIGITS or not code.isdigit():
        raise BindCodeInvalid()
    if user.openid is None or _has_anything(user):
        raise AlreadyHasAccount()
    now = utcnow()
    holder_id = db.session.execute(
        update(CardHolder)
        .where(
            CardHolder.bind_code_hash == _digest(code),
            CardHolder.bind_code_expires_at > now,
            CardHolder.bound_at.is_(None),
        )
        .values(bind_code_hash=None, bind_code_expires_at=None, bound_at=now)
        .returning(CardHolder.user_id)
    ).scalar_one_or_none()
    if holder_id is None:
        db.session.rollback()
        raise BindCodeInvalid()
    holder_user = db.session.get(User, holder_id)
    identity = {
        "openid": user.openid,
        "unionid": user.unionid,
        "session_key": user.session_key,
        "nickname": user.nickname,
        "avatar_url": user.avatar_url,
        "last_login_at": now,
    }
    # The empty login user gives its identity up first: openid is UNIQUE.
    user.openid, user.unionid, user.session_key, user.is_active = None, None, None, False
    db.session.flush()
    for name, value in identity.items():
        setattr(holder_user, name, value)
    record_audit(
        actor_id=holder_id,
        action="card.bind",
        target_type="user",
        target_id=holder_id,
        community_id=db.session.get(CardHolder, holder_id).community_id,
        after={"retired_user_id": user.id},
    )
    emit_event(
        "card_holder.bound",
        aggregate_type="user",
        aggregate_id=holder_id,
        community_id=db.session.get(CardHolder, holder_id).community_id,
        payload={"user_id": holder_id},
    )
    db.session.commit()
    token, ttl = issue_access_token(holder_id)
    return {"token": token, "expires_in": ttl, "user_id": holder_id}
