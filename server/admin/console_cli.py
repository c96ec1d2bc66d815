"""`flask --app server console login-link <identity-or-user-id>`: a one-time console login
link (valid CONSOLE_LINK_MINUTES, single use) that bootstraps the first admin's login."""

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import or_, select

from server.admin.console_sessions import create_login_link
from server.auth.models import User
from server.db.session import db
from server.http.errors import AppError
from server.wechat.emulator import stable_id

console_cli = AppGroup("console", help="The office console (办公台).")


def _find_user(who: str) -> User | None:
    if who.isdigit():
        return db.session.get(User, int(who))
    # An emulator identity (development) or a real openid.
    emulated = stable_id(current_app.config["WECHAT_APPID"], who, "openid")
    return db.session.scalar(select(User).where(or_(User.openid == who, User.openid == emulated)))


@console_cli.command("login-link")
@click.argument("who")
def login_link_command(who):
    """Print a one-time login link for a staff member (user id, openid or emulator identity)."""
    user = _find_user(who)
    if user is None:
        raise click.ClickException(f"no user {who!r}; grant them a role first (grant-role)")
    try:
        token = create_login_link(user)
    except AppError as exc:
        raise click.ClickException(f"{exc.message} ({exc.code})") from None
    minutes = current_app.config["CONSOLE_LINK_MINUTES"]
    base = current_app.config["CONSOLE_BASE_URL"].rstrip("/")
    click.echo(f"{base}/console/login/link/{token}")
    click.echo(f"(valid {minutes} minutes, once)", err=True)
