"""Rankings by period and kind, from SQL and from Redis; rebuild; the seeded history."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from server.commands.seed_demo import seed_demo
from server.db.session import db
from server.platform.localtime import month_of
from server.platform.redis_client import get_redis
from server.points import ledger, rankings
from server.points.ledger_models import LedgerEntry, PeriodTotal
from tests.conftest import error_code
from tests.ledger_helpers import check_invariants, demo_community_id, org_id_of, user_id_of

pytestmark = pytest.mark.usefixtures("write_path")

NOV = datetime(2026, 11, 10, 4, tzinfo=UTC)
OCT = datetime(2026, 10, 10, 4, tzinfo=UTC)
AUG = datetime(2026, 8, 10, 4, tzinfo=UTC)


def _post(app, postings, prefix="r"):
    """postings: (identity or org name, amount, when, cause_type); return entry ids."""
    ids = []
    with app.app_context():
        cid = demo_community_id()
        for n, (who, amount, at, cause) in enumerate(postings):
            if who.startswith("org:"):
                account = ledger.account_for_organisation(cid, org_id_of(who[4:]))
            else:
                account = ledger.account_for_user(cid, user_id_of(who))
            ids.append(
                ledger.credit(
                    account,
                    amount,
                    reason="志愿服务：探访独居老人",
                    idempotency_key=f"{prefix}{n}",
                    cause_type=cause,
                    cause_id=n,
                    at=at,
                ).id
            )
        db.session.commit()
    return ids


@pytest.fixture
def history(app, seeded):
    return _post(
        app,
        [
            ("resident-1", 30, NOV, "claim"),  # 张伟明, party member
            ("resident-4", 50, NOV, "claim"),  # 刘洋
            ("resident-5", 30, NOV, "claim"),  # 陈静 (ties with resident-1)
            ("resident-6", 10, OCT, "claim"),
            ("resident-6", 100, AUG, "claim"),  # 杨帆: best of the year, not of Q4
            ("grid-1", 20, NOV, "service_log"),
            ("grid-1", 40, NOV, "claim"),
            ("org:幸福路小学", 60, NOV, "claim"),
            ("org:区税务局第二分局", 15, OCT, "claim"),
        ],
    )


def _rank(api, who, qs):
    resp = api.get(f"/api/v1/rankings?{qs}", who)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_monthly_person_ranking_with_ties_masks_and_me(api, history):
    body = _rank(api, "resident-5", "period=2026-11&kind=person")
    assert body["period"] == "2026-11" and body["kind"] == "person"
    assert [(i["rank"], i["name"], i["points"]) for i in body["items"]] == [
        (1, "陈*强", 60),
        (2, "刘*", 50),
        (3, "陈*", 30),
        (3, "张*明", 30),
    ]
    assert [i["is_me"] for i in body["items"]] == [False, False, True, False]
    assert body["me"] == {"rank": 3, "points": 30} and body["next_cursor"] is None
    assert _rank(api, "resident-9", "period=2026-11")["me"] is None


def test_quarter_year_and_kinds(api, history):
    q4 = _rank(api, "resident-6", "period=2026-Q4&kind=person")
    assert [i["points"] for i in q4["items"]] == [60, 50, 30, 30, 10]
    assert q4["me"] == {"rank": 5, "points": 10}
    year = _rank(api, "resident-6", "period=2026&kind=person")
    assert year["items"][0] == {
        "rank": 1,
        "name": "杨*",
        "points": 110,
        "kind": "person",
        "is_me": True,
    }
    party = _rank(api, "resident-1", "period=2026-11&kind=party_member")
    assert [(i["name"], i["points"]) for i in party["items"]] == [("张*明", 30)]
    grid = _rank(api, "grid-1", "period=2026-11&kind=grid_worker")
    assert [(i["name"], i["points"]) for i in grid["items"]] == [("陈*强", 20)]
    orgs = _rank(api, "resident-19", "period=2026-Q4&kind=organisation")
    assert [(i["name"], i["points"]) for i in orgs["items"]] == [
        ("幸福路小学", 60),
        ("区税务局第二分局", 15),
    ]
    assert orgs["me"] == {"rank": 1, "points": 60}  # resident-19 is staff of 幸福路小学
    assert _rank(api, "resident-1", "period=2025&kind=person")["items"] == []


def test_reversals_subtract_and_deductions_do_not(api, app, history):
    with app.app_context():
        ledger.reverse(history[1], reason="冲正", idempotency_key="rev", actor_id=None)
        account = ledger.account_for_user(demo_community_id(), user_id_of("resident-5"))
        ledger.debit(
            account,
            30,
            reason="扣分",
            idempotency_key="ded",
            cause_type="adjustment",
            cause_id=1,
            kind="deduction",
        )
        db.session.commit()
    body = _rank(api, "resident-4", "period=2026-11&kind=person")
    assert [i["points"] for i in body["items"]] == [60, 30, 30]
    assert body["me"] is None


def test_pagination_and_bad_input(api, history):
    first = _rank(api, "resident-1", "period=2026-11&limit=3")
    assert [i["rank"] for i in first["items"]] == [1, 2, 3]
    rest = _rank(api, "resident-1", f"period=2026-11&limit=3&cursor={first['next_cursor']}")
    assert [(i["rank"], i["points"]) for i in rest["items"]] == [(3, 30)]
    assert rest["next_cursor"] is None
    for qs in (
        "period=2026-13",
        "period=26-11",
        "period=2026-Q5",
        "period=1999",
        "kind=vip",
        "limit=0",
        "limit=101",
        "cursor=abc",
        "period=" + "9" * 50,
    ):
        resp = api.get(f"/api/v1/rankings?{qs}", "resident-1")
        assert resp.status_code in (400, 422), qs
        error_code(resp)
    assert api.get("/api/v1/rankings").status_code == 401
    api.login("stranger")
    assert api.get("/api/v1/rankings", "stranger").status_code == 403


def _both(app, period, kind):
    with app.app_context():
        cid = demo_community_id()
        sql = rankings.community_ranking(cid, period=period, kind=kind, limit=100, source="sql")
        redis = None
        if get_redis() is not None:
            redis = rankings.community_ranking(
                cid, period=period, kind=kind, limit=100, source="redis"
            )
        db.session.remove()
    return sql, redis


def _totals(app):
    with app.app_context():
        rows = db.session.execute(
            select(PeriodTotal.account_id, PeriodTotal.kind, PeriodTotal.month, PeriodTotal.points)
        ).all()
        db.session.remove()
    return sorted(tuple(r) for r in rows)


def test_rebuild_from_ledger_and_redis_agree_with_sql(app, history, api):
    incremental = _totals(app)
    result = app.test_cli_runner().invoke(args=["rankings", "rebuild", "--community", "demo"])
    assert result.exit_code == 0, result.output
    assert _totals(app) == incremental  # the ledger rebuild finds what the credits upserted
    bad = app.test_cli_runner().invoke(args=["rankings", "rebuild", "--community", "nope"])
    assert bad.exit_code != 0
    # New credits after the rebuild reach Redis through the after-commit hook.
    _post(app, [("resident-9", 70, NOV, "claim"), ("resident-1", 5, OCT, "claim")], "late")
    with app.app_context():  # a rolled-back credit must reach neither store
        account = ledger.account_for_user(demo_community_id(), user_id_of("resident-2"))
        ledger.credit(
            account, 500, reason="回滚", idempotency_key="rb", cause_type="claim", cause_id=0
        )
        db.session.rollback()
    for period in ("2026-11", "2026-Q4", "2026", "2026-08"):
        for kind in rankings.KINDS:
            sql, redis = _both(app, period, kind)
            assert all(i["points"] != 500 for i in sql["items"])
            if redis is not None:
                assert redis["source"] == "redis"
                assert redis["items"] == sql["items"], (period, kind)
    body = _rank(api, "resident-9", "period=2026-11")
    assert body["items"][0]["points"] == 70 and body["me"] == {"rank": 1, "points": 70}
    assert body["source"] == ("redis" if _both(app, "2026", "person")[1] else "sql")


def test_seeded_history_is_a_living_community(app, seeded, api):
    app.config["SEED_POINTS_HISTORY"] = True
    try:
        with app.app_context():
            first = seed_demo().get("ledger_entries", 0)
            again = seed_demo().get("ledger_entries", 0)
            check_invariants(db.session)
            kinds = set(db.session.scalars(select(LedgerEntry.kind)))
            months = db.session.scalar(select(func.count(func.distinct(LedgerEntry.rank_month))))
            db.session.remove()
    finally:
        app.config.pop("SEED_POINTS_HISTORY")
    assert first > 100 and again == 0
    assert kinds >= {"import", "debit"} and months == 4
    now = month_of(datetime.now(UTC))
    body = _rank(api, "resident-20", f"period={now[:4]}&kind=person")
    assert len(body["items"]) >= 10 and body["me"] is None  # a newcomer sees others ranked
    assert _rank(api, "grid-1", f"period={now[:4]}&kind=grid_worker")["items"]
    assert api.get("/api/v1/points/ledger", "resident-1").get_json()["items"]


@pytest.mark.redis
def test_sets_lost_with_redis_are_refilled_by_a_worker_soon(app, history, api, monkeypatch):
    """Redis restarted empty: SQL answers at once, one refill is queued for the workers (not
    left to the nightly rebuild), and after it Redis answers the same ranking again."""
    from server.platform.rq_queues import queue

    monkeypatch.setitem(app.config, "NOTIFY_RQ", True)
    with app.app_context():
        redis = get_redis()
        for key in redis.scan_iter(match=app.config["REDIS_PREFIX"] + "rank*"):
            redis.delete(key)  # what a Redis restart leaves: nothing
        jobs = queue("notify")
        jobs.empty()
    try:
        first = _rank(api, "resident-9", "period=2026-11")
        again = _rank(api, "resident-9", "period=2026-11")
        assert first["source"] == again["source"] == "sql"
        with app.app_context():
            (job,) = jobs.get_jobs()  # one, not one per read
            assert job.func_name == "server.points.ranking_rebuild.rebuild_redis_job"
            jobs.empty()
            job.func(*job.args)  # what a worker runs (no worker: its registries are shared)
        after = _rank(api, "resident-9", "period=2026-11")
        assert after["source"] == "redis"
        assert after["items"] == first["items"] and after["me"] == first["me"]
    finally:
        with app.app_context():
            queue("notify").empty()


@pytest.mark.redis
def test_redis_lost_in_the_middle_of_a_ranking_read_answers_from_sql(
    app, history, api, monkeypatch
):
    """Found by tests/faults (Redis killed under traffic): the sets were ready when chosen, the
    connection died before the next command, and the read answered 500."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    from server.points.ranking_sources import RedisSource

    result = app.test_cli_runner().invoke(args=["rankings", "rebuild", "--community", "demo"])
    assert result.exit_code == 0, result.output
    before = _rank(api, "resident-9", "period=2026-11")
    assert before["source"] == "redis"

    def reset(*_args, **_kwargs):
        raise RedisConnectionError("Connection reset by peer")

    monkeypatch.setattr(RedisSource, "count_above", reset)
    during = _rank(api, "resident-9", "period=2026-11")
    assert during["source"] == "sql"
    assert (during["items"], during["me"]) == (before["items"], before["me"])
