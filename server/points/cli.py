"""`flask --app server rankings rebuild`: recompute ranking totals from the ledger, refill Redis."""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from server.community.models import Community
from server.db.session import db
from server.points import ranking_rebuild

rankings_cli = AppGroup("rankings", help="Ranking maintenance.")


@rankings_cli.command("rebuild")
@click.option("--community", "community_code", help="community code (default: all)")
def rebuild_command(community_code: str | None):
    """Rebuild period totals from ledger entries and the Redis sorted sets from those totals."""
    stmt = select(Community.id, Community.code).order_by(Community.id)
    if community_code:
        stmt = stmt.where(Community.code == community_code)
    communities = db.session.execute(stmt).all()
    if community_code and not communities:
        raise click.ClickException(f"no community with code {community_code!r}")
    for community_id, code in communities:
        summary = ranking_rebuild.rebuild(community_id)
        click.echo(
            f"{code}: {summary['period_totals']} period totals, {summary['redis_keys']} redis keys"
        )
