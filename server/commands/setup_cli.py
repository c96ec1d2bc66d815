"""`flask --app server setup ...`: a real community from nothing (docs/setup.md).

template   write the set-up workbook (docs/templates/communities.xlsx)
import     create a community from a filled-in workbook, all or nothing
community  create a community and its grids from arguments
invite     a one-time invitation to a role; invite-admin for the first admin
The rules live in the domains (server/community/setup.py, server/community/invitations.py,
server/admin/community_import.py); these commands parse arguments and print results.
"""

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from server.admin.community_import import WorkbookRefused, import_workbook
from server.admin.workbook_template import write_template
from server.community import invitations
from server.community.models import GRANTABLE_ROLES, PARTY_KINDS, Community, Grid
from server.community.setup import CommunitySpec, GridSpec, create_community
from server.db.session import db
from server.http.errors import AppError
from server.platform.localtime import SHANGHAI

setup_cli = AppGroup("setup", help="Set up a real community: workbook import and invitations.")


def _fail(exc: AppError) -> click.ClickException:
    fields = exc.details.get("fields") if isinstance(exc.details, dict) else None
    extra = "".join(f"\n  {name}: {why}" for name, why in (fields or {}).items())
    return click.ClickException(f"{exc.code}: {exc.message}{extra}")


@setup_cli.command("template")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def template_command(out: Path):
    """Write the set-up workbook template to OUT (its example rows import as they are)."""
    click.echo(f"wrote {write_template(out)}")


@setup_cli.command("import")
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(workbook: Path):
    """Create the community described by WORKBOOK (.xlsx); nothing is written if a row is wrong."""
    try:
        summary = import_workbook(workbook)
    except WorkbookRefused as exc:
        for refusal in exc.refusals:
            click.echo(str(refusal), err=True)
        raise click.ClickException(exc.message) from None
    except AppError as exc:
        raise _fail(exc) from None
    click.echo(
        "created community {community_code} (id {community_id}): {grids} grids, "
        "{categories} categories, {items} items, {merchants} merchants, {offers} offers".format(
            **summary
        )
    )
    code = summary["community_code"]
    click.echo(f"next: flask --app server setup invite-admin --community {code}")


@setup_cli.command("community")
@click.option("--street", required=True, help="街道, e.g. 红星街道")
@click.option("--district", required=True, help="区县, e.g. 示范区")
@click.option("--name", required=True, help="社区名称")
@click.option("--code", required=True, help="community code: letters, digits, - or _")
@click.option("--grid", "grids", multiple=True, metavar="CODE:NAME", help="a grid (repeatable)")
def community_command(street, district, name, code, grids):
    """Create a community (and its street, unless one of that name exists) with its grids."""
    specs = []
    for grid in grids:
        grid_code, sep, grid_name = grid.partition(":")
        if not sep:
            raise click.BadParameter(f"{grid!r}: expected CODE:NAME", param_hint="--grid")
        specs.append(GridSpec(grid_code.strip(), grid_name.strip()))
    try:
        community = create_community(
            None, CommunitySpec(street.strip(), district.strip(), name.strip(), code, tuple(specs))
        )
    except AppError as exc:
        raise _fail(exc) from None
    click.echo(f"created community {community.code} (id {community.id}) with {len(specs)} grids")


def _community(code: str) -> Community:
    community = db.session.scalar(select(Community).where(Community.code == code))
    if community is None:
        raise click.ClickException(f"no community with code {code!r}")
    return community


def _issue(community: Community, role: str, qr_out: Path | None, with_qr: bool, **scope):
    try:
        issued = invitations.create_invitation(None, community.id, role, with_qr=with_qr, **scope)
    except AppError as exc:
        raise _fail(exc) from None
    invitation = issued.invitation
    local = invitation.expires_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    click.echo(f"invitation {invitation.id}: {role} of {community.code} ({community.name})")
    click.echo(f"code:    {issued.code}   (works once; show it only to the person invited)")
    click.echo(f"expires: {local} Asia/Shanghai ({invitation.expires_at.isoformat()})")
    click.echo(f"scene:   {issued.scene}")
    if issued.qr_png is not None:
        path = qr_out or Path(f"invitation-{community.code}-{invitation.id}.png")
        path.write_bytes(issued.qr_png)
        click.echo(f"QR code: {path.resolve()}")
    elif with_qr:
        click.echo(f"QR code: not drawn ({issued.qr_error}); the code above works alone", err=True)


_qr_options = [
    click.option("--expires-in-hours", "ttl_hours", type=click.IntRange(1, 720), default=72),
    click.option("--note", default="", help="who it is for, e.g. 王主任"),
    click.option("--qr-out", type=click.Path(dir_okay=False, path_type=Path), help="PNG path"),
    click.option("--no-qr", is_flag=True, help="print the code only, do not ask WeChat for a QR"),
]


def _with_qr_options(fn):
    for option in reversed(_qr_options):
        fn = option(fn)
    return fn


@setup_cli.command("invite-admin")
@click.option("--community", "community_code", required=True, help="community code")
@_with_qr_options
def invite_admin_command(community_code, ttl_hours, note, qr_out, no_qr):
    """Invite the community's first admin: prints a one-time code and saves its QR code."""
    community = _community(community_code)
    _issue(community, "admin", qr_out, not no_qr, note=note, ttl_hours=ttl_hours)


@setup_cli.command("invite")
@click.option("--community", "community_code", required=True, help="community code")
@click.option("--role", type=click.Choice(GRANTABLE_ROLES), required=True)
@click.option("--grid", "grid_code", help="grid code (grid_worker)")
@click.option("--merchant-id", type=int, help="merchant id (merchant_staff)")
@click.option("--organisation-id", type=int, help="organisation id (org_staff)")
@click.option("--party-kind", type=click.Choice(PARTY_KINDS), help="party_member kind")
@_with_qr_options
def invite_command(community_code, role, grid_code, ttl_hours, note, qr_out, no_qr, **scope):
    """Invite someone to a role of a community (reviewer, grid_worker, merchant_staff, ...)."""
    community = _community(community_code)
    if grid_code:
        grid_id = db.session.scalar(
            select(Grid.id).where(Grid.community_id == community.id, Grid.code == grid_code)
        )
        if grid_id is None:
            raise click.ClickException(f"no grid {grid_code!r} in {community_code!r}")
        scope["grid_id"] = grid_id
    _issue(community, role, qr_out, not no_qr, note=note, ttl_hours=ttl_hours, **scope)
