"""`flask --app server notices publish-due`: publish every due notice (run it daily from cron
or a systemd timer; a missed run is caught up by the next)."""

import click
from flask.cli import AppGroup

from server.notices.snapshot import publish_due_notices

notices_cli = AppGroup("notices", help="Public notices (一月一公示).")


@notices_cli.command("publish-due")
def publish_due_command():
    """Snapshot every finished month, quarter and year that has no notice yet."""
    click.echo(f"published {publish_due_notices()}")
