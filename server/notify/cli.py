"""`flask --app server notify drain`: plan deliveries for new outbox events and send what is
due, once (run it every minute from cron or a systemd timer until the RQ workers come)."""

import click
from flask.cli import AppGroup

from server.notify.deliveries import deliver_due, plan_deliveries

notify_cli = AppGroup("notify", help="Group-chat notifications.")


@notify_cli.command("drain")
def drain_command():
    """Plan deliveries for new events, then send every due one."""
    planned = plan_deliveries()
    sent = deliver_due()
    click.echo(f"planned {planned}; " + ", ".join(f"{k} {v}" for k, v in sorted(sent.items())))
