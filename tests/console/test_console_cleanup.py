"""The console's daily cleanup: login requests, one-time links and sessions that ended more
than 30 days ago are deleted, live and recent ones kept; as a scheduled job it acts once a day."""

from datetime import timedelta

from sqlalchemy import select

from server.admin.console_cleanup import purge_ended_console_records
from server.admin.console_models import (
    ConsoleLogin,
    ConsoleLoginLink,
    ConsoleLoginLog,
    ConsoleSession,
)
from server.auth.models import User
from server.community.models import Community
from server.db.session import db
from server.db.types import utcnow
from server.notify import schedule

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def _add_rows(app, now) -> None:
    """Old and recent rows of each kind, named by what the test expects of them."""
    with app.app_context():
        user_id = db.session.scalar(select(User.id).limit(1))
        community_id = db.session.scalar(select(Community.id).limit(1))
        for name, expires in (("old", now - 31 * DAY), ("recent", now - 29 * DAY)):
            db.session.add(ConsoleLogin(browser_digest=name, scene=name, expires_at=expires))
            db.session.add(
                ConsoleLoginLink(
                    token_digest=name,
                    user_id=user_id,
                    community_id=community_id,
                    expires_at=expires,
                )
            )
        sessions = {
            "revoked-old": dict(created_at=now - 40 * DAY, revoked_at=now - 31 * DAY),
            "revoked-recent": dict(created_at=now - 29 * DAY - HOUR, revoked_at=now - 29 * DAY),
            # Its absolute limit (12 hours) ended it long before it was revoked.
            "revoked-late": dict(created_at=now - 40 * DAY, revoked_at=now - 29 * DAY),
            "idle-old": dict(created_at=now - 31 * DAY, last_seen_at=now - 31 * DAY),
            "idle-recent": dict(created_at=now - 29 * DAY, last_seen_at=now - 29 * DAY),
            "live": dict(created_at=now - timedelta(hours=1), last_seen_at=now),
        }
        for name, times in sessions.items():
            times.setdefault("last_seen_at", times["created_at"])
            db.session.add(
                ConsoleSession(
                    token_digest=name,
                    csrf_token="x",
                    user_id=user_id,
                    community_id=community_id,
                    **times,
                )
            )
        db.session.add(ConsoleLoginLog(user_id=user_id, outcome="ok", at=now - 90 * DAY))
        db.session.commit()
        db.session.remove()


def _left(query) -> dict:
    return query(
        lambda s: {
            "logins": sorted(s.scalars(select(ConsoleLogin.scene))),
            "links": sorted(s.scalars(select(ConsoleLoginLink.token_digest))),
            "sessions": sorted(s.scalars(select(ConsoleSession.token_digest))),
            "log": len(s.scalars(select(ConsoleLoginLog.id)).all()),
        }
    )


def test_purge_deletes_what_ended_over_30_days_ago(app, seeded, query):
    now = utcnow()
    _add_rows(app, now)
    with app.app_context():
        first = purge_ended_console_records(now)
        again = purge_ended_console_records(now)
        assert first == {"logins": 1, "links": 1, "sessions": 3, "exports": 0}
        assert again == {"logins": 0, "links": 0, "sessions": 0, "exports": 0}
        db.session.remove()
    assert _left(query) == {
        "logins": ["recent"],
        "links": ["recent"],
        "sessions": ["idle-recent", "live", "revoked-recent"],
        "log": 1,  # the login log is kept
    }


def test_the_daily_job_runs_once_a_day(app, seeded, query):
    now = utcnow()
    _add_rows(app, now)
    job = next(j for j in schedule.JOBS if j.name == "console_cleanup")
    assert job.every == "day"
    with app.app_context():
        first = schedule.run_due(now, jobs=(job,))
        second = schedule.run_due(now, jobs=(job,))  # the same day
        db.session.remove()
    assert first == {"console_cleanup": {"logins": 1, "links": 1, "sessions": 3, "exports": 0}}
    assert second == {}
    assert _left(query)["sessions"] == ["idle-recent", "live", "revoked-recent"]


def test_the_jobs_page_labels_the_cleanup(app, seeded, api):
    from tests.console.cc_helpers import console_as

    admin = console_as(app, api, "admin")
    html = admin.get("/console/jobs").get_data(as_text=True)
    assert "清理 30 天前结束的办公台登录与会话" in html
