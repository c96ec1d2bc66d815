"""Login with WeChat and phone binding."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.auth import login_limits
from server.auth.models import User
from server.auth.tokens import issue_access_token
from server.db.session import db
from server.db.types import utcnow
from server.http.errors import Forbidden
from server.outbox.emit import emit_event
from server.wechat import client as wechat


@dataclass
class LoginResult:
    user_id: int
    token: str
    expires_in: int
    is_new: bool


class AccountDeactivated(Forbidden):
    code, message = "account_deactivated", "该账号已被停用，如有疑问请联系社区工作人员"


def login_with_wechat(
    code: str, *, address: str = "127.0.0.1", device_id: str | None = None
) -> LoginResult:
    """Exchange a wx.login code for a user (created on first login) and an access token.

    Counted per address and device before WeChat is asked and per WeChat identity after
    (login_limits); a deactivated account is refused and gets no token.
    """
    login_limits.limit_client(address, device_id)
    session = wechat.code_to_session(code)
    openid, unionid = session["openid"], session.get("unionid")
    login_limits.limit_identity(openid)
    user = db.session.scalar(select(User).where(User.openid == openid))
    if user is not None and not user.is_active:
        db.session.rollback()
        raise AccountDeactivated()
    is_new = user is None
    if is_new:
        try:
            with db.session.begin_nested():
                user = User(openid=openid, unionid=unionid)
                db.session.add(user)
        except IntegrityError:
            # A concurrent first login of the same person created the row first.
            is_new = False
            user = db.session.scalar(select(User).where(User.openid == openid))
    if unionid:
        user.unionid = unionid
    user.session_key = session["session_key"]
    user.last_login_at = utcnow()
    if is_new:
        db.session.flush()
        emit_event(
            "user.registered",
            aggregate_type="user",
            aggregate_id=user.id,
            community_id=None,
            payload={"user_id": user.id},
        )
    user_id = user.id
    db.session.commit()
    token, ttl = issue_access_token(user_id)
    return LoginResult(user_id=user_id, token=token, expires_in=ttl, is_new=is_new)


def bind_phone(user: User, code: str) -> User:
    """Bind the phone number WeChat vouches for (getPhoneNumber button code)."""
    info = wechat.get_phone_number(code, openid=user.openid)
    user.phone = info["purePhoneNumber"]
    user.phone_country_code = str(info.get("countryCode") or "86")
    db.session.commit()
    return user
