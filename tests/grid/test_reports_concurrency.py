"""Handlers racing for one report, and retried credits: the reporter is credited once.

Threads are released together by a barrier, each on its own connection and transaction
(PostgreSQL only: SQLite serialises every writer anyway).
"""

import pytest
from sqlalchemy import func, select

from server.auth.models import User
from server.community.models import RoleGrant
from server.db.session import db
from server.grid import report_handling, report_points
from server.grid.report_models import Report
from server.points.ledger_models import Account, LedgerEntry
from tests.concurrency import run_together
from tests.grid import reports_helpers
from tests.grid.reports_helpers import demo_community_id, new_report, user_id

clock = reports_helpers.clock
reports_world = reports_helpers.reports_world
N = 8


@pytest.fixture
def handlers(app, reports_world):
    """N reviewers (residents 8..15) besides the demo's admin, reviewer and grid worker."""
    with app.app_context():
        cid = demo_community_id()
        ids = []
        for n in range(8, 8 + N):
            uid = user_id(f"resident-{n}")
            db.session.add(RoleGrant(user_id=uid, community_id=cid, role="reviewer"))
            ids.append(uid)
        db.session.commit()
        db.session.remove()
        return ids


def _credits(query, report_id):
    def fn(s):
        entries = s.scalars(
            select(LedgerEntry).where(LedgerEntry.idempotency_key == f"report:{report_id}:reporter")
        ).all()
        balance = s.scalar(
            select(func.sum(Account.balance)).where(
                Account.holder_type == "user", Account.holder_id == user_id("resident-1")
            )
        )
        return len(entries), balance

    return query(fn)


@pytest.mark.postgres
def test_concurrent_accepts_credit_the_reporter_once(app, api, reports_world, handlers, query):
    report = new_report(api, "resident-1", reports_world["general"])

    def accept(uid):
        with app.app_context():
            actor = db.session.get(User, uid)
            return report_handling.accept_report(actor, report["id"]).status

    outcomes = run_together(app, accept, handlers)
    assert sorted(o[0] for o in outcomes) == ["error"] * (N - 1) + ["ok"]
    assert {o[1] for o in outcomes if o[0] == "error"} == {"report_state_conflict"}
    assert _credits(query, report["id"]) == (1, 5)


@pytest.mark.postgres
def test_retried_credits_post_once(app, api, reports_world, handlers, query):
    """The credit itself retried at once, as a crashed-and-retried worker would: one entry."""
    report = new_report(api, "resident-1", reports_world["general"])
    api.post(f"/api/v1/grid/reports/{report['id']}/accept", "grid-1", json={})
    with app.app_context():
        db.session.execute(Report.__table__.update().values(reporter_entry_id=None))
        db.session.commit()
        db.session.remove()

    def credit(uid):
        row = db.session.get(Report, report["id"])
        entry_id = report_points.credit_validated_report(row, uid)
        db.session.commit()
        return entry_id

    outcomes = run_together(app, credit, handlers)
    assert all(o[0] == "ok" for o in outcomes), outcomes
    assert len({o[1] for o in outcomes}) == 1  # every retry replays the first entry
    assert _credits(query, report["id"]) == (1, 5)


def test_an_idempotent_accept_replays_without_a_second_credit(api, reports_world, query):
    report = new_report(api, "resident-1", reports_world["general"])
    headers = {"Idempotency-Key": "accept-once-0001"}
    first = api.post(f"/api/v1/grid/reports/{report['id']}/accept", "grid-1", headers=headers)
    again = api.post(f"/api/v1/grid/reports/{report['id']}/accept", "grid-1", headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json()
    assert _credits(query, report["id"]) == (1, 5)
