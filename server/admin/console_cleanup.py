"""The console's daily cleanup: login requests, one-time links and sessions that ended more
than 30 days ago are deleted (the login log stays). Registered with notify's schedule from
here, since notify may not import admin."""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_

from server.admin.console_exports import purge_old_exports
from server.admin.console_models import ConsoleLogin, ConsoleLoginLink, ConsoleSession
from server.db.session import db
from server.notify import schedule

KEEP_DAYS = 30


def purge_ended_console_records(now: datetime) -> dict:
    """Delete what ended before `now` - 30 days; {table: rows deleted}. Running it again
    deletes nothing more."""
    cutoff = now - timedelta(days=KEEP_DAYS)
    config = current_app.config
    # A session ends at revocation, after its idle time or at its absolute limit.
    ended_sessions = or_(
        ConsoleSession.revoked_at < cutoff,
        ConsoleSession.last_seen_at < cutoff - timedelta(minutes=config["CONSOLE_IDLE_MINUTES"]),
        ConsoleSession.created_at < cutoff - timedelta(hours=config["CONSOLE_ABSOLUTE_HOURS"]),
    )
    deleted = {
        "logins": db.session.execute(
            delete(ConsoleLogin).where(ConsoleLogin.expires_at < cutoff)
        ).rowcount,
        "links": db.session.execute(
            delete(ConsoleLoginLink).where(ConsoleLoginLink.expires_at < cutoff)
        ).rowcount,
        "sessions": db.session.execute(delete(ConsoleSession).where(ended_sessions)).rowcount,
    }
    db.session.commit()
    deleted["exports"] = purge_old_exports(now)
    return deleted


schedule.register(schedule.Job("console_cleanup", "day", purge_ended_console_records))
