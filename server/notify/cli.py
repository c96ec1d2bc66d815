"""`flask --app server notify drain`: plan deliveries for new outbox events and send what is
due, once (run it every minute from cron or a systemd timer until the RQ workers come)."""

import click
from flask.cli import AppGroup

from server.notify.pump import pump

notify_cli = AppGroup("notify", help="Group-chat notifications.")


@notify_cli.command("drain")
def drain_command():
    """Plan deliveries for new events, then send every due one."""
    counts = pump()
    click.echo(", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
