"""Two (or eight) reviewers at the same moment: the claim is credited exactly once."""

import threading

import pytest
from sqlalchemy import func, select

from server.auth.models import User
from server.community.models import Community, RoleGrant
from server.db.session import db
from server.points import claim_review
from server.points import claims as claims_service
from server.points.claim_models import PointClaim
from server.points.ledger_models import Account, LedgerEntry
from server.points.models import PointItem
from server.wechat.emulator import stable_id
from tests.claims_helpers import today
from tests.concurrency import run_together
from tests.conftest import APPID

N = 8


def user_id(identity):
    return db.session.scalar(
        select(User.id).where(User.openid == stable_id(APPID, identity, "openid"))
    )


@pytest.fixture
def reviewers(app, seeded):
    """N reviewers of the demo community (residents 5..12 get the role)."""
    with app.app_context():
        cid = db.session.scalar(select(Community.id).where(Community.code == "demo"))
        ids = []
        for n in range(5, 5 + N):
            uid = user_id(f"resident-{n}")
            db.session.add(RoleGrant(user_id=uid, community_id=cid, role="reviewer"))
            ids.append(uid)
        db.session.commit()
        return ids


def submit(app, identity, code="C01"):
    with app.app_context():
        user = db.session.get(User, user_id(identity))
        iid = db.session.scalar(select(PointItem.id).where(PointItem.code == code))
        claim = claims_service.submit_claim(
            user, item_id=iid, occurred_on=today(), description="同时审核测试"
        )
        claim_id = claim.id
        db.session.remove()
        return claim_id


@pytest.mark.postgres
def test_concurrent_approvals_credit_once(app, reviewers, query):
    claim_id = submit(app, "resident-1")

    def approve(reviewer_id):
        claim = claim_review.decide_claim(db.session.get(User, reviewer_id), claim_id, "approve")
        return claim.ledger_entry_id

    outcomes = run_together(app, approve, reviewers)
    assert sorted(o[0] for o in outcomes) == ["error"] * (N - 1) + ["ok"]
    assert {o[1] for o in outcomes if o[0] == "error"} == {"claim_already_decided"}

    def check(s):
        entries = s.scalars(select(LedgerEntry)).all()
        assert len(entries) == 1 and entries[0].amount == 10
        assert entries[0].idempotency_key == f"claim:{claim_id}"
        account = s.scalar(select(Account).where(Account.holder_id == user_id("resident-1")))
        assert account.balance == 10 and account.earned == 10
        claim = s.get(PointClaim, claim_id)
        assert claim.status == "approved" and claim.ledger_entry_id == entries[0].id

    query(check)


@pytest.mark.postgres
def test_concurrent_approve_and_reject_one_wins(app, reviewers, query):
    claim_id = submit(app, "resident-1")
    decisions = ["approve", "reject"] * (N // 2)

    def decide(i):
        actor = db.session.get(User, reviewers[i])
        return claim_review.decide_claim(actor, claim_id, decisions[i], "并发").status

    outcomes = run_together(app, decide, list(range(N)))
    winners = [o for o in outcomes if o[0] == "ok"]
    assert len(winners) == 1
    status = query(lambda s: s.get(PointClaim, claim_id).status)
    credits = query(lambda s: s.scalar(select(func.count(LedgerEntry.id))))
    assert status == winners[0][1] and credits == (1 if status == "approved" else 0)


@pytest.mark.postgres
def test_concurrent_batches_over_the_same_claims(app, reviewers, query):
    claim_ids = [submit(app, f"resident-{n}") for n in (1, 2, 3, 4)]

    def batch(reviewer_id):
        actor = db.session.get(User, reviewer_id)
        return claim_review.batch_decide(actor, claim_ids, "approve")

    outcomes = run_together(app, batch, reviewers[:4])
    assert all(o[0] == "ok" for o in outcomes), outcomes
    wins = [r["id"] for o in outcomes for r in o[1] if r["ok"]]
    assert sorted(wins) == sorted(claim_ids)  # each claim approved by exactly one batch

    def check(s):
        keys = s.scalars(select(LedgerEntry.idempotency_key)).all()
        assert sorted(keys) == sorted(f"claim:{i}" for i in claim_ids)
        assert set(s.scalars(select(PointClaim.status))) == {"approved"}

    query(check)


@pytest.mark.postgres
def test_concurrent_submissions_respect_duplicates_and_caps(app, seeded, query):
    with app.app_context():
        uid = user_id("resident-1")

    def go(_):
        return submit(app, "resident-1")

    outcomes = run_together(app, go, list(range(N)))
    assert sorted(o[0] for o in outcomes) == ["error"] * (N - 1) + ["ok"]
    assert {o[1] for o in outcomes if o[0] == "error"} == {"duplicate_claim"}

    # C05 (获评文明家庭) has a monthly cap of 1.
    outcomes = run_together(app, lambda _: submit(app, "resident-1", "C05"), list(range(N)))
    assert sum(o[0] == "ok" for o in outcomes) == 1
    count = query(
        lambda s: s.scalar(select(func.count(PointClaim.id)).where(PointClaim.claimant_id == uid))
    )
    assert count == 2


@pytest.mark.postgres
def test_two_reviewers_click_approve_at_the_same_moment_over_http(app, api, seeded, query):
    claim_id = submit(app, "resident-1")
    headers = [api.headers("reviewer"), api.headers("admin")]
    url = f"/api/v1/points/claims/{claim_id}/approve"

    def click(h):
        return app.test_client().post(url, json={}, headers=h).status_code

    barrier = threading.Barrier(2)
    statuses = []

    def worker(h):
        barrier.wait()
        statuses.append(click(h))

    threads = [threading.Thread(target=worker, args=(h,)) for h in headers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(statuses) == [200, 409]
    assert query(lambda s: s.scalar(select(func.count(LedgerEntry.id)))) == 1
    assert query(lambda s: s.scalar(select(Account.balance))) == 10
