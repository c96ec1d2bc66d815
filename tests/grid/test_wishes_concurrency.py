"""Wishes under real concurrency: PostgreSQL, threads released together by a Barrier."""

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.auth.models import User
from server.community.models import Community, Grid, Membership, RoleGrant
from server.db.audit import AuditLog
from server.db.session import db
from server.grid import wish_claims, wishes
from server.grid.wish_models import Wish
from server.outbox.models import OutboxEvent
from server.points.ledger_models import LedgerEntry
from tests import claims_helpers
from tests.concurrency import run_n_together as run_together
from tests.grid.wish_helpers import today, uid

pytestmark = pytest.mark.postgres
upload_dir = claims_helpers.upload_dir
CLAIMERS = 50


def party_members(app, n) -> list[int]:
    """n new party members of the demo community, in its first grid."""
    with app.app_context():
        community_id = db.session.scalar(select(Community.id).where(Community.code == "demo"))
        grid_id = db.session.scalar(select(Grid.id).where(Grid.community_id == community_id))
        ids = []
        for i in range(n):
            user = User(openid=f"party-{i}", nickname=f"党员{i}", real_name=f"党员{i:02d}号")
            db.session.add(user)
            db.session.flush()
            db.session.add(Membership(user_id=user.id, community_id=community_id, grid_id=grid_id))
            db.session.add(
                RoleGrant(
                    user_id=user.id,
                    community_id=community_id,
                    role="party_member",
                    party_kind="在职",
                )
            )
            ids.append(user.id)
        db.session.commit()
        return ids


def published_wish(app) -> int:
    with app.app_context():
        resident = db.session.get(User, uid("resident-4"))
        wish = wishes.post_wish(resident, title="帮忙搬家", needed_by=today() + timedelta(days=3))
        wishes.approve_wish(db.session.get(User, uid("reviewer")), wish.id)
        wish_id = wish.id
        db.session.remove()
        return wish_id


def test_fifty_party_members_claim_one_wish_and_exactly_one_wins(app, seeded, query):
    members = party_members(app, CLAIMERS)
    wish_id = published_wish(app)

    def claim(i):
        return wish_claims.claim_wish(db.session.get(User, members[i]), wish_id).claimer_id

    results = run_together(app, CLAIMERS, claim)
    assert Counter(r[0] for r in results) == {"ok": 1, "refused": CLAIMERS - 1}, results
    assert {r[1] for r in results if r[0] == "refused"} == {"wish_already_claimed"}
    (winner,) = [r[1] for r in results if r[0] == "ok"]

    def check(s):
        wish = s.get(Wish, wish_id)
        assert (wish.status, wish.claimer_id) == ("claimed", winner)
        claimed_events = s.scalar(
            select(func.count(OutboxEvent.id)).where(OutboxEvent.event_type == "wish.claimed")
        )
        assert claimed_events == 1

    query(check)


def test_confirmations_at_once_credit_the_fulfiller_once(app, seeded, query, upload_dir):
    import io

    from server.uploads.service import save_upload

    wish_id = published_wish(app)
    with app.app_context():
        claimer = db.session.get(User, uid("resident-1"))
        wish_claims.claim_wish(claimer, wish_id)
        photo = save_upload(claimer, io.BytesIO(claims_helpers.image_bytes())).id
        wish_claims.fulfil_wish(claimer, wish_id, note="搬完了", photo_ids=[photo])
        resident_id = uid("resident-4")
        db.session.remove()

    def confirm(_i):
        return wish_claims.confirm_wish(db.session.get(User, resident_id), wish_id).ledger_entry_id

    results = run_together(app, 8, confirm)
    assert Counter(r[0] for r in results) == {"ok": 1, "refused": 7}, results
    assert {r[1] for r in results if r[0] == "refused"} == {"wish_not_fulfilled"}
    entries = query(
        lambda s: s.scalars(select(LedgerEntry).where(LedgerEntry.cause_type == "wish")).all()
    )
    assert [(e.idempotency_key, e.amount) for e in entries] == [(f"wish:{wish_id}:fulfil", 10)]


def test_reviewers_deciding_at_once_decide_once(app, seeded, query):
    with app.app_context():
        resident = db.session.get(User, uid("resident-4"))
        wish_id = wishes.post_wish(resident, title="求一副老花镜", needed_by=today()).id
        reviewers = [uid("reviewer"), uid("admin")] * 2
        db.session.remove()

    def decide(i):
        actor = db.session.get(User, reviewers[i])
        if i % 2:
            return wishes.reject_wish(actor, wish_id, "重复").status
        return wishes.approve_wish(actor, wish_id).status

    results = run_together(app, len(reviewers), decide)
    assert Counter(r[0] for r in results) == {"ok": 1, "refused": 3}, results
    assert {r[1] for r in results if r[0] == "refused"} == {"wish_already_reviewed"}
    audits = query(lambda s: s.scalar(select(func.count(AuditLog.id))))
    assert audits == 1
