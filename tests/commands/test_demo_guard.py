"""Demo data goes only into demo databases, and a later run credits nobody again."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.commands.demo_guard import NotADemoDatabase
from server.commands.seed_demo import seed_demo
from server.community.models import Community, Street
from server.db.session import db
from server.db.types import utcnow
from server.points import ledger
from server.points.ledger_models import Account, LedgerEntry
from tests.ledger_helpers import demo_community_id, post_credit, user_id_of


@pytest.fixture
def with_history(app, monkeypatch):
    """Seed as `scripts/run` does outside tests: with point history and demo tasks."""
    monkeypatch.setitem(app.config, "SEED_POINTS_HISTORY", True)
    monkeypatch.setitem(app.config, "SEED_DEMO_TASKS", True)


def _next_month(monkeypatch):
    later = utcnow() + timedelta(days=35)
    monkeypatch.setattr("server.points.seed_history.utcnow", lambda: later)


def _balances(query) -> dict:
    rows = query(
        lambda s: s.execute(
            select(Account.holder_type, Account.holder_id, Account.balance, Account.earned)
        ).all()
    )
    return {(t, h): (b, e) for t, h, b, e in rows}


def _entries(query) -> int:
    return query(lambda s: s.scalar(select(func.count(LedgerEntry.id))))


def test_scripts_run_twice_after_real_members_joined_leaves_real_balances_unchanged(
    app, api, query, with_history, monkeypatch
):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--if-empty"])  # what scripts/run calls
    assert first.exit_code == 0, first.output
    assert "ledger_entries" in first.output and "tasks: 9" in first.output

    cid = query(lambda s: demo_community_id())
    for identity in ("neighbour-zhang", "neighbour-li"):
        joined = api.post(f"/api/v1/communities/{cid}/join", identity, json={})
        assert joined.status_code == 200, joined.get_json()
    with app.app_context():
        for n, identity in enumerate(("neighbour-zhang", "neighbour-li"), start=1):
            post_credit(ledger.account_for_user(cid, user_id_of(identity)), 10 * n, f"real:{n}")
        db.session.commit()
    before, entries = _balances(query), _entries(query)
    real_ids = [query(lambda s, i=i: user_id_of(i)) for i in ("neighbour-zhang", "neighbour-li")]
    assert [before[("user", uid)] for uid in real_ids] == [(10, 10), (20, 20)]

    _next_month(monkeypatch)
    second = runner.invoke(args=["seed-demo", "--if-empty"])
    assert second.exit_code == 0, second.output
    assert "未写入演示数据" in second.output and "not seeded" in second.output
    assert _balances(query) == before and _entries(query) == entries

    forced = runner.invoke(args=["seed-demo"])
    assert forced.exit_code != 0
    assert "2 名非演示用户" in forced.output and "2 non-demo user(s)" in forced.output
    assert _balances(query) == before and _entries(query) == entries


def test_a_month_later_the_demo_credits_nobody_again(app, seeded, query, with_history, monkeypatch):
    with app.app_context():
        posted = seed_demo().get("ledger_entries", 0)
        db.session.remove()
    before, entries = _balances(query), _entries(query)
    assert posted > 100

    _next_month(monkeypatch)
    with app.app_context():
        again = seed_demo()
        db.session.remove()
    assert "ledger_entries" not in again
    assert _balances(query) == before and _entries(query) == entries


def test_seed_demo_refuses_an_operators_database_and_writes_nothing(app, query):
    with app.app_context():
        street = Street(name="长安街道", district="城关区")
        db.session.add(street)
        db.session.flush()
        db.session.add(Community(street_id=street.id, name="长安社区", code="changan"))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "1 个非演示社区" in result.output and "1 other street(s)" in result.output
    assert query(lambda s: s.scalar(select(func.count(Street.id)))) == 1
    assert query(lambda s: s.scalar(select(Community.code))) == "changan"

    skipped = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
    assert skipped.exit_code == 0 and "not seeded" in skipped.output
    assert query(lambda s: s.scalar(select(func.count(Community.id)))) == 1


def test_seed_demo_refuses_once_a_real_member_logged_in(app, api, seeded, query):
    api.login("real-resident")
    with app.app_context():
        with pytest.raises(NotADemoDatabase, match="1 名非演示用户"):
            seed_demo()
        db.session.remove()
    # the demo identities themselves never make a database "not a demo database"
    api.login("resident-5")
    assert query(lambda s: s.scalar(select(func.count(Community.id)))) == 1
