"""Account deletion racing a reservation and another deletion, on real PostgreSQL."""

import pytest
from sqlalchemy import func, select

from server.auth.models import User
from server.db.audit import AuditLog
from server.db.session import db
from server.points.ledger import Hold
from server.privacy import deletion
from server.rewards import redemption as redemption_service
from server.rewards.models import Redemption
from tests.concurrency import run_n_together
from tests.rewards.test_rewards_support import (
    balance,
    give_points,
    ledger_consistent,
    make_offer,
    user_id,
)

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("write_path", "seeded")]


def _delete(uid: int):
    return deletion.delete_account(db.session.get(User, uid))


@pytest.mark.parametrize("round_", range(4))
def test_delete_racing_a_reservation_leaves_the_ledger_consistent(app, api, query, round_):
    api.login("resident-1")
    uid = user_id(query, "resident-1")
    give_points(app, uid, 100)
    offer = make_offer(app, points_cost=30, stock=5)

    def step(i):
        if i == 0:
            return _delete(uid).user_id
        return redemption_service.reserve(uid, offer)[0].id

    results = run_n_together(app, 2, step)
    assert results[0] == ("ok", uid), results
    assert results[1][0] in ("ok", "refused"), results  # refused: the token's user is gone
    ledger_consistent(query)
    rows = query(
        lambda s: s.execute(
            select(Redemption.status, Hold.status)
            .join(Hold, Hold.id == Redemption.hold_id)
            .where(Redemption.user_id == uid)
        ).all()
    )
    # whatever won, each redemption and its hold agree: cancelled and released, or (a
    # reservation that read the account as active just before the delete committed and
    # committed after its sweep) reserved and pending until the expiry job releases it
    agreeing = {("cancelled", "released"), ("reserved", "pending")}
    assert all(row in agreeing for row in rows), rows
    held = sum(30 for r, _ in rows if r == "reserved")
    assert balance(query, uid) == (100, held)
    assert query(lambda s: s.get(User, uid).openid) is None


def test_two_deletions_at_once_delete_once(app, api, query):
    api.login("resident-2")
    uid = user_id(query, "resident-2")
    results = run_n_together(app, 2, lambda i: _delete(uid).already_deleted)
    assert sorted(results) == [("ok", False), ("ok", True)], results
    audits = query(
        lambda s: s.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "user.delete"))
    )
    assert audits == 1
