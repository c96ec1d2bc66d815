"""Operator commands: `flask --app server grant-role ...` and `flask --app server seed-demo`."""

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from server.auth.models import User
from server.community import roles as community_roles
from server.community import service as community_service
from server.community.models import GRANTABLE_ROLES, PARTY_KINDS, Community, Grid
from server.db.session import db
from server.http.errors import AppError
from server.wechat.emulator import stable_id


def _resolve_user(user_id: int | None, openid: str | None, identity: str | None) -> User:
    if user_id:
        user = db.session.get(User, user_id)
        if user is None:
            raise click.ClickException(f"no user with id {user_id}")
        return user
    if identity:
        # Emulator identities map to stable openids; real deployments pass --openid or --user-id.
        openid = stable_id(current_app.config["WECHAT_APPID"], identity, "openid")
    if not openid:
        raise click.ClickException("give --user-id, --openid or --identity")
    user = db.session.scalar(select(User).where(User.openid == openid))
    if user is None:
        user = User(openid=openid)
        db.session.add(user)
        db.session.flush()
    return user


def grid_cli(app: Flask) -> AppGroup:
    """The `flask grid ...` group; each grid module adds its periodic commands to it."""
    group = app.cli.commands.get("grid")
    if group is None:
        group = AppGroup("grid", help="Grid work: periodic jobs.")
        app.cli.add_command(group)
    return group


def register_cli(app: Flask) -> None:
    from server.admin.console_cli import console_cli
    from server.commands.setup_cli import setup_cli
    from server.grid.wish_cli import expire_wishes_command
    from server.notices.cli import notices_cli
    from server.notify.cli import jobs_cli, notify_cli
    from server.points.cli import rankings_cli

    app.cli.add_command(console_cli)
    app.cli.add_command(notices_cli)
    app.cli.add_command(notify_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(rankings_cli)
    app.cli.add_command(setup_cli)
    grid_cli(app).add_command(expire_wishes_command)

    @app.cli.command("grant-role")
    @click.option("--community", "community_code", required=True, help="community code")
    @click.option("--role", type=click.Choice(GRANTABLE_ROLES), required=True)
    @click.option("--user-id", type=int)
    @click.option("--openid")
    @click.option("--identity", help="emulator identity, e.g. admin or resident-1")
    @click.option("--grid", "grid_code", help="grid code (grid_worker)")
    @click.option("--merchant-id", type=int, help="merchant id (merchant_staff)")
    @click.option("--organisation-id", type=int, help="organisation id (org_staff)")
    @click.option("--party-kind", type=click.Choice(PARTY_KINDS), help="party_member kind")
    def grant_role_command(
        community_code,
        role,
        user_id,
        openid,
        identity,
        grid_code,
        merchant_id,
        organisation_id,
        party_kind,
    ):
        """Grant a role, e.g. bootstrap the first admin of a community."""
        community = db.session.scalar(select(Community).where(Community.code == community_code))
        if community is None:
            raise click.ClickException(f"no community with code {community_code!r}")
        grid_id = None
        if grid_code:
            grid = db.session.scalar(
                select(Grid).where(Grid.community_id == community.id, Grid.code == grid_code)
            )
            if grid is None:
                raise click.ClickException(f"no grid {grid_code!r} in {community_code!r}")
            grid_id = grid.id
        user = _resolve_user(user_id, openid, identity)
        try:
            community_service.join_community(user, community.id)
            grant = community_roles.grant_role(
                None,
                community.id,
                user.id,
                role,
                grid_id=grid_id,
                merchant_id=merchant_id,
                organisation_id=organisation_id,
                party_kind=party_kind,
            )
        except AppError as exc:
            raise click.ClickException(f"{exc.code}: {exc.message}") from None
        click.echo(f"granted {role} in {community.code} to user {user.id} (grant {grant.id})")

    @app.cli.command("purge-uploads")
    @click.option("--older-than-days", type=int, default=2, show_default=True)
    def purge_uploads_command(older_than_days):
        """Delete photos uploaded but never attached to a claim (a periodic job)."""
        from datetime import timedelta

        from server.uploads.service import purge_unattached

        total = 0
        while removed := purge_unattached(timedelta(days=older_than_days)):
            total += removed
        click.echo(f"purged {total} unattached uploads")

    @app.cli.command("seed-demo")
    @click.option(
        "--if-empty",
        is_flag=True,
        help="seed only a database with no rows at all; say so and exit 0 otherwise",
    )
    def seed_demo_command(if_empty):
        """Create (or complete) the demo community, only on a demo database; safe to repeat."""
        from server.commands.demo_guard import NotADemoDatabase, database_is_empty
        from server.commands.seed_demo import seed_demo

        if if_empty and not database_is_empty():
            click.echo(
                "数据库不是新的，未写入演示数据。\n"
                "The database is not new: demo data not seeded "
                "(run `flask --app server seed-demo` to complete a demo database)."
            )
            return
        try:
            summary = seed_demo()
        except NotADemoDatabase as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        for name, count in summary.items():
            click.echo(f"{name}: {count}")
        if not summary:
            click.echo("演示数据已完整，未添加任何内容。")
            click.echo("The demo data is complete: nothing added.")
