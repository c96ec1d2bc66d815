"""Twenty reviewers approve one service log at the same moment: one wins, one credit."""

import pytest
from sqlalchemy import select

from server.auth.models import User
from server.community.models import Community, RoleGrant
from server.db.session import db
from server.grid import service_log_review
from server.grid.service_log_models import ServiceLog
from server.points.ledger_models import Account, LedgerEntry
from tests import write_paths
from tests.concurrency import run_together
from tests.grid import service_log_helpers as h

upload_dir = h.upload_dir
gapi = h.gapi
write_path = write_paths.write_path  # the fixture: both ledger paths on PostgreSQL
N = 20


@pytest.fixture
def reviewers(app, query, gapi):
    """Residents 1..20 of the demo community all become reviewers."""
    ids = [h.uid(query, f"resident-{n}") for n in range(1, N + 1)]
    with app.app_context():
        cid = db.session.scalar(select(Community.id).where(Community.code == "demo"))
        db.session.add_all(RoleGrant(user_id=i, community_id=cid, role="reviewer") for i in ids)
        db.session.commit()
        db.session.remove()
    return ids


@pytest.mark.postgres
@pytest.mark.usefixtures("write_path")
def test_twenty_concurrent_approvals_credit_once(app, gapi, query, reviewers):
    log_id = h.record(gapi).get_json()["id"]

    def decide(reviewer_id):
        actor = db.session.get(User, reviewer_id)
        return service_log_review.decide_log(actor, log_id, "approve").ledger_entry_id

    outcomes = run_together(app, decide, reviewers)
    assert sorted(o[0] for o in outcomes) == ["error"] * (N - 1) + ["ok"]
    assert {o[1] for o in outcomes if o[0] == "error"} == {"service_log_already_decided"}

    def check(s):
        (entry,) = s.scalars(select(LedgerEntry)).all()
        assert entry.idempotency_key == f"service_log:{log_id}" and entry.amount == 10
        worker = h.uid(query, "grid-1")
        account = s.scalar(select(Account).where(Account.holder_id == worker))
        assert account.balance == 10 and account.earned == 10
        log = s.get(ServiceLog, log_id)
        assert log.status == "approved" and log.ledger_entry_id == entry.id

    query(check)


@pytest.mark.postgres
def test_concurrent_approve_and_reject_one_decision_wins(app, gapi, query, reviewers):
    log_id = h.record(gapi).get_json()["id"]
    decisions = ["approve", "reject"] * (N // 2)

    def decide(i):
        actor = db.session.get(User, reviewers[i])
        return service_log_review.decide_log(actor, log_id, decisions[i], "并发审核").status

    outcomes = run_together(app, decide, list(range(N)))
    winners = [o for o in outcomes if o[0] == "ok"]
    assert len(winners) == 1
    status = query(lambda s: s.get(ServiceLog, log_id).status)
    credits = len(h.entries(query))
    assert status == winners[0][1] and credits == (1 if status == "approved" else 0)
