"""seed-demo's grid work: service logs, reports and wishes in every state, made through the
grid's services (real events, audit rows and credits), and a second run adds and credits nothing.
"""

from collections import Counter

import pytest
from sqlalchemy import func, select

from server.commands.seed_demo import seed_demo
from server.db.audit import AuditLog
from server.db.session import db
from server.grid.report_models import Report
from server.grid.service_log_models import ServiceLog
from server.grid.wish_models import Wish
from server.outbox.models import OutboxEvent
from server.points.ledger_models import Account, LedgerEntry
from tests.ledger_helpers import check_invariants, user_id_of

REPORTS = "/api/v1/grid/reports"


@pytest.fixture
def with_grid(app, monkeypatch):
    """Seed as `scripts/run` does outside tests: with the demo's grid work."""
    monkeypatch.setitem(app.config, "SEED_DEMO_GRID", True)


def _seed(app) -> dict:
    with app.app_context():
        added = seed_demo()
        db.session.remove()
    return added


def _snapshot(query) -> dict:
    def read(s):
        return {
            "logs": s.scalar(select(func.count(ServiceLog.id))),
            "reports": s.scalar(select(func.count(Report.id))),
            "wishes": s.scalar(select(func.count(Wish.id))),
            "entries": s.scalar(select(func.count(LedgerEntry.id))),
            "events": s.scalar(select(func.count(OutboxEvent.id))),
            "audit": s.scalar(select(func.count(AuditLog.id))),
            "balances": sorted(s.execute(select(Account.id, Account.balance)).all()),
        }

    return query(read)


def test_seed_demo_adds_grid_work_in_every_state_through_the_services(app, query, with_grid):
    added = _seed(app)
    assert added["grid_service_items"] == 4 and added["report_categories"] == 4
    assert added["grid_service_logs"] == 8 and added["reports"] == 12 and added["wishes"] == 12

    logs = query(lambda s: s.execute(select(ServiceLog.rule, ServiceLog.status)).all())
    assert set(logs) == {
        ("auto", "approved"),
        ("review", "approved"),
        ("review", "rejected"),
        ("review", "pending"),
    }
    reports = query(lambda s: s.scalars(select(Report)).all())
    statuses = Counter(r.status for r in reports)
    assert set(statuses) == {
        "submitted",
        "accepted",
        "waiting",
        "resolved",
        "confirmed",
        "duplicate",
    }
    assert sorted(r.rating for r in reports if r.status == "confirmed") == [4, 5]
    reopened = [r for r in reports if r.reopened_count]
    assert [r.status for r in reopened] == ["accepted"]
    assert any(r.duplicate_of_id for r in reports if r.status == "duplicate")
    assert any(r.grid_id is None for r in reports)  # the escalated one, in the community queue
    wishes = query(lambda s: Counter(s.scalars(select(Wish.status)).all()))
    assert set(wishes) >= {
        "rejected", "published", "claimed", "fulfilled", "confirmed", "cancelled", "expired",
    }  # fmt: skip
    assert wishes["pending"] + wishes["flagged"] == 1
    claim_kinds = query(lambda s: set(s.scalars(select(Wish.claimer_kind)).all()))
    assert claim_kinds >= {"person", "organisation", "merchant"}

    # Real credits: one per credited log, accepted report and confirmed wish, by their keys.
    causes = query(
        lambda s: Counter(
            s.scalars(
                select(LedgerEntry.cause_type).where(
                    LedgerEntry.cause_type.in_(("service_log", "report", "wish"))
                )
            ).all()
        )
    )
    accepted = sum(1 for r in reports if r.reporter_entry_id is not None)
    # grid-1's five credited logs, and two of a card holder's own service (seed_cards.py).
    assert causes == {"service_log": 7, "report": accepted, "wish": 2}
    assert accepted == 6  # every report a handler accepted, none marked duplicate
    query(check_invariants)
    # Real events and audit rows, as the services write them.
    events = query(lambda s: set(s.scalars(select(OutboxEvent.event_type)).all()))
    assert {
        "service_log.recorded", "service_log.approved", "report.accepted", "report.waiting",
        "report.resolved", "report.confirmed", "report.reopened", "report.transferred",
        "report.escalated", "report.marked_duplicate", "wish.published", "wish.claimed",
        "wish.handed_back", "wish.fulfilled", "wish.confirmed", "wish.expired",
    } <= events  # fmt: skip
    actions = query(lambda s: set(s.scalars(select(AuditLog.action)).all()))
    assert {"service_item.create", "report.accept", "wish.approve", "wish.reject"} <= actions


def test_the_demo_queue_and_per_grid_counts_show_overdue_reports(app, api, query, with_grid):
    _seed(app)
    queue = api.get(f"{REPORTS}?scope=grid&limit=50", "grid-1")
    assert queue.status_code == 200, queue.get_json()
    items = queue.get_json()["items"]
    assert any(r["overdue"] for r in items) and any(not r["overdue"] for r in items)
    transferred = query(
        lambda s: s.scalar(select(Report.id).where(Report.last_reason.contains("第一网格")))
    )
    assert transferred in {r["id"] for r in items}  # a transfer to g1 is in g1's queue

    stats = api.get(f"{REPORTS}/stats", "reviewer")
    assert stats.status_code == 200, stats.get_json()
    body = stats.get_json()
    overdue = {g["grid"]["name"][:4]: g["overdue"] for g in body["items"]}
    assert overdue["第一网格"] >= 1 and overdue["第二网格"] >= 1
    assert body["queue"]["open"] == 1  # the escalated report


def test_a_second_seed_demo_adds_and_credits_nothing(app, query, with_grid):
    _seed(app)
    before = _snapshot(query)
    worker_balance = before["balances"]
    again = _seed(app)
    assert not {"grid_service_items", "grid_service_logs", "reports", "wishes"} & set(again)
    assert "report_categories" not in again
    assert _snapshot(query) == before
    assert worker_balance == _snapshot(query)["balances"]
    assert query(lambda s: user_id_of("grid-1")) is not None


def test_resident_1_has_an_approved_a_rejected_and_a_waiting_claim(app, api, query, with_grid):
    added = _seed(app)
    assert added["claims"] == 3
    mine = api.get("/api/v1/points/claims?limit=20", "resident-1").get_json()["items"]
    assert sorted(c["status"] for c in mine) == ["approved", "pending", "rejected"]
    rejected = next(c for c in mine if c["status"] == "rejected")
    assert "重新提交" in rejected["decision_reason"] and rejected["resubmittable"] is True
    approved = next(c for c in mine if c["status"] == "approved")
    credits = query(
        lambda s: s.scalars(
            select(LedgerEntry.amount).where(
                LedgerEntry.cause_type == "claim", LedgerEntry.cause_id == str(approved["id"])
            )
        ).all()
    )
    assert credits == [approved["points"]]  # the reviewer's approval credited it once
    query(check_invariants)
    assert "claims" not in _seed(app)  # a second run files nothing
