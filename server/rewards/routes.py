"""The rewards blueprints, by audience, for server/__init__.py; and the operator command."""

import click

from server.rewards import closing
from server.rewards.admin_routes import admin_blp
from server.rewards.merchant_routes import merchant_blp
from server.rewards.resident_routes import blp

__all__ = ["admin_blp", "blp", "merchant_blp"]


# -- operator commands: `flask --app server rewards expire-reservations` ---------------------


@blp.cli.command("expire-reservations")
@click.option("--batch", default=500, show_default=True, help="reservations per run")
def expire_reservations_command(batch):
    """Release reservations past their expiry: points back, stock restored."""
    total = 0
    while True:
        done = closing.expire_due(batch=batch)
        total += done
        if done < batch:
            break
    click.echo(f"expired {total} reservation(s)")
