"""Racing publishers on PostgreSQL: the scheduled snapshot of a (community, period) is one."""

import pytest
from sqlalchemy import func, select

from server.notices.models import Notice, NoticeRow
from server.notices.snapshot import publish_due_notices, snapshot_notice
from server.outbox.models import OutboxEvent
from tests.concurrency import run_n_together
from tests.ledger_helpers import demo_community_id
from tests.notices.notice_helpers import AFTER_NOV, NEW_YEAR, post_history

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("seeded")]


def _counts(query):
    return query(
        lambda s: (
            s.scalar(select(func.count()).select_from(Notice)),
            s.scalar(select(func.count()).select_from(NoticeRow)),
            s.scalar(select(func.count()).where(OutboxEvent.event_type == "notice.published")),
        )
    )


def test_racing_snapshots_write_one_notice(app, query):
    post_history(app)
    cid = query(lambda s: demo_community_id())
    results = run_n_together(app, 6, lambda i: snapshot_notice(cid, "2026-11", now=AFTER_NOV).id)
    assert {r[0] for r in results} == {"ok"}, results
    assert len({r[1] for r in results}) == 1
    notices, rows, events = _counts(query)
    assert (notices, events) == (1, 1) and rows == 4 + 1 + 1 + 1  # person, party, org, grid


def test_racing_schedulers_publish_each_period_once(app, query):
    post_history(app)
    results = run_n_together(app, 4, lambda i: publish_due_notices(now=NEW_YEAR))
    assert {r[0] for r in results} == {"ok"}, results
    notices, _, events = _counts(query)
    assert sum(r[1] for r in results) == notices == events
    assert publish_due_notices_again(app) == 0


def publish_due_notices_again(app) -> int:
    with app.app_context():
        return publish_due_notices(now=NEW_YEAR)
