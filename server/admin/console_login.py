"""Login by scanning: the browser starts a login and shows its mini-program code; the staff
member scans it, sees what is asking and confirms or cancels; the browser's poll turns a
confirmation into a session, once."""

import re
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from server.admin.console_models import ConsoleLogin
from server.admin.console_sessions import (
    Client,
    create_session,
    digest,
    log_login,
    refuse_without_role,
    staff_identity,
)
from server.auth.models import User
from server.db.session import db
from server.db.types import utcnow
from server.http.errors import Conflict, NotFound
from server.wechat.client import get_unlimited_wxacode

LOGIN_PAGE = "pages/console-login/index"
SCENE_SHAPE = re.compile(r"^c[A-Za-z0-9_-]{1,31}$")


class LoginNotFound(NotFound):
    code, message = "console_login_not_found", "登录请求不存在"


class LoginExpired(Conflict):
    code, message = "console_login_expired", "二维码已过期，请在电脑上刷新后重新扫码"


class LoginDone(Conflict):
    code, message = "console_login_done", "该登录请求已处理"


def start_login(client: Client) -> tuple[ConsoleLogin, str, bytes]:
    """A new login request: (the row, the browser's secret id for its cookie, the code's PNG)."""
    browser_id = secrets.token_urlsafe(32)
    login = ConsoleLogin(
        browser_digest=digest(browser_id),
        scene="c" + secrets.token_urlsafe(15),  # 21 characters, within getUnlimited's 32
        ip=client.ip,
        user_agent=client.user_agent,
        expires_at=utcnow() + timedelta(seconds=current_app.config["CONSOLE_LOGIN_SECONDS"]),
    )
    png = get_unlimited_wxacode(login.scene, page=LOGIN_PAGE)
    db.session.add(login)
    db.session.commit()
    return login, browser_id, png


def _by_scene(scene: str) -> ConsoleLogin:
    login = None
    if SCENE_SHAPE.match(scene or ""):
        login = db.session.scalar(select(ConsoleLogin).where(ConsoleLogin.scene == scene))
    if login is None:
        raise LoginNotFound()
    return login


def _status(login: ConsoleLogin) -> str:
    if login.status == "pending" and login.expires_at <= utcnow():
        return "expired"
    return login.status


def browser_summary(user_agent: str) -> str:
    """A short, readable name for the asking browser (no version noise, nothing secret)."""
    agent = user_agent or ""
    browser = next(
        (name for key, name in (("Edg/", "Edge"), ("Chrome/", "Chrome"), ("Firefox/", "Firefox"),
                                ("Safari/", "Safari")) if key in agent),
        "浏览器",
    )  # fmt: skip
    system = next(
        (name for key, name in (("Windows", "Windows"), ("Mac OS", "macOS"),
                                ("Linux", "Linux")) if key in agent),
        "",
    )  # fmt: skip
    return f"{browser}（{system}）" if system else browser


def pending_view(scene: str) -> dict:
    """What is asking to log in, for the mini-program: browser, address, time; no secrets."""
    login = _by_scene(scene)
    return {
        "scene": login.scene,
        "status": _status(login),
        "browser": browser_summary(login.user_agent),
        "ip": login.ip,
        "requested_at": login.created_at,
        "expires_at": login.expires_at,
    }


def _decide(scene: str, user: User, status: str, **values) -> ConsoleLogin:
    """Move a pending, unexpired login to `status` (the gate); explain a refusal."""
    login = _by_scene(scene)
    changed = db.session.scalar(
        update(ConsoleLogin)
        .where(
            ConsoleLogin.id == login.id,
            ConsoleLogin.status == "pending",
            ConsoleLogin.expires_at > utcnow(),
        )
        .values(status=status, **values)
        .returning(ConsoleLogin.id)
    )
    if changed is None:
        db.session.rollback()
        if _status(login) == "expired":
            raise LoginExpired()
        raise LoginDone()
    return login


def confirm_login(scene: str, user: User, client: Client) -> dict:
    """The staff member confirms in the mini-program; refused (403, logged) without a role."""
    login = _by_scene(scene)
    identity = staff_identity(user)
    refuse_without_role(identity, client)
    if _status(login) == "expired":
        log_login("expired", client, user.id, identity.community_id)
        db.session.commit()
        raise LoginExpired()
    _decide(
        scene,
        user,
        "confirmed",
        user_id=user.id,
        community_id=identity.community_id,
        confirmed_at=utcnow(),
    )
    db.session.commit()
    return pending_view(scene)


def cancel_login(scene: str, user: User, client: Client) -> dict:
    """The person who scanned says no; the browser shows it and stops polling."""
    _decide(scene, user, "cancelled", user_id=user.id)
    log_login("cancelled", client, user.id, staff_identity(user).community_id)
    db.session.commit()
    return pending_view(scene)


def poll_login(browser_id: str | None, client: Client) -> tuple[str, str | None]:
    """(status, session token): a confirmed login becomes a session once; later polls see
    'used'. Unknown ids read as 'expired' so the page offers a new code."""
    if not browser_id or len(browser_id) > 128:
        return "expired", None
    login = db.session.scalar(
        select(ConsoleLogin).where(ConsoleLogin.browser_digest == digest(browser_id))
    )
    if login is None:
        return "expired", None
    if login.status != "confirmed":
        return _status(login), None
    spent = db.session.scalar(
        update(ConsoleLogin)
        .where(ConsoleLogin.id == login.id, ConsoleLogin.consumed_at.is_(None))
        .values(consumed_at=utcnow())
        .returning(ConsoleLogin.id)
    )
    if spent is None:
        db.session.rollback()
        return "used", None
    identity = staff_identity(db.session.get(User, login.user_id))
    if not identity.roles or identity.community_id != login.community_id:
        db.session.commit()  # a role lost between confirm and poll: no session
        return "cancelled", None
    log_login("ok", client, login.user_id, login.community_id)
    token = create_session(identity, client)
    db.session.commit()
    return "confirmed", token
