"""`flask --app server grid expire-wishes`: the periodic job that expires unclaimed wishes."""

import click
from flask.cli import with_appcontext

from server.grid.wish_expiry import expire_wishes


@click.command("expire-wishes")
@with_appcontext
def expire_wishes_command():
    """Expire wishes nobody claimed by their needed_by day (each with a wish.expired event)."""
    click.echo(f"expired {expire_wishes()} wishes")
