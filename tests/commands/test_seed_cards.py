"""seed-demo's card holders: one in each of two grids, with history made through the services,
and a second run adds nothing."""

from sqlalchemy import select

from server.auth.models import User
from server.community.card_holder_models import ActOnBehalf, CardHolder
from server.community.models import Membership
from server.points.ledger_models import Account
from server.rewards.models import Redemption
from tests.commands.test_seed_grid import _seed, _snapshot, with_grid  # noqa: F401 (fixture)


def test_two_card_holders_in_two_grids_with_history_and_a_rerun_adds_nothing(
    app,
    query,
    with_grid,  # noqa: F811
):
    added = _seed(app)
    assert added["card_holders"] == 2

    def read(s):
        rows = s.execute(
            select(User.real_name, User.openid, Membership.grid_id, CardHolder.user_id)
            .join(CardHolder, CardHolder.user_id == User.id)
            .join(Membership, Membership.user_id == User.id)
            .order_by(User.id)
        ).all()
        out = []
        for name, openid, grid_id, uid in rows:
            account = s.scalar(
                select(Account).where(Account.holder_type == "user", Account.holder_id == uid)
            )
            statuses = sorted(s.scalars(select(Redemption.status).where(Redemption.user_id == uid)))
            acts = sorted(
                {
                    a
                    for a in s.scalars(
                        select(ActOnBehalf.action).where(ActOnBehalf.holder_id == uid)
                    )
                }
            )
            out.append((name, openid, grid_id, account.earned, statuses, acts))
        return out

    (first, second) = query(read)
    assert first[0] == "郭桂兰" and second[0] == "孙长福"
    assert first[1] is None and second[1] is None  # no WeChat yet
    assert first[2] != second[2]
    assert first[3] == 25 and second[3] == 35  # two service logs and a claim; a bonus and a claim
    assert first[4] == ["redeemed"] and second[4] == ["reserved"]
    assert first[5] == [
        "claim.file", "redemption.card_verify", "redemption.reserve", "service_log.credit"
    ]  # fmt: skip
    assert second[5] == ["claim.file", "redemption.reserve"]

    before = _snapshot(query)
    assert "card_holders" not in _seed(app)
    assert _snapshot(query) == before
