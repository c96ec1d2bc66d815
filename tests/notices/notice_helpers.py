"""Shared set-up of the notice tests: the demo community with a known point history."""

from datetime import UTC, datetime

from server.db.session import db
from server.points import ledger
from tests.ledger_helpers import demo_community_id, org_id_of, user_id_of

NOV = datetime(2026, 11, 10, 4, tzinfo=UTC)
AUG = datetime(2026, 8, 10, 4, tzinfo=UTC)
# A moment after 2026-11 ended in Shanghai (2026-12-01 00:00 +08:00 is 11-30 16:00 UTC).
AFTER_NOV = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
NEW_YEAR = datetime(2027, 1, 5, 2, tzinfo=UTC)

HISTORY = [
    ("resident-1", 30, NOV, "claim"),  # 张伟明, party member
    ("resident-4", 50, NOV, "claim"),  # 刘洋
    ("resident-5", 30, NOV, "claim"),  # 陈静 (ties with resident-1)
    ("resident-6", 100, AUG, "claim"),  # 杨帆: the year's best person
    ("grid-1", 20, NOV, "service_log"),  # 陈志强
    ("org:幸福路小学", 60, NOV, "claim"),
]
REAL_NAMES = ("张伟明", "刘洋", "陈静", "杨帆", "陈志强")


def post_history(app, postings=HISTORY, prefix="n") -> list[int]:
    """Credit each (identity or org:name, amount, when, cause_type); the entry ids."""
    ids = []
    with app.app_context():
        cid = demo_community_id()
        for n, (who, amount, at, cause) in enumerate(postings):
            if who.startswith("org:"):
                account = ledger.account_for_organisation(cid, org_id_of(who[4:]))
            else:
                account = ledger.account_for_user(cid, user_id_of(who))
            entry = ledger.credit(
                account,
                amount,
                reason="志愿服务：探访独居老人",
                idempotency_key=f"{prefix}{n}",
                cause_type=cause,
                cause_id=n,
                at=at,
            )
            ids.append(entry.id)
        db.session.commit()
    return ids


def person_rows(detail: dict) -> list[tuple]:
    (person,) = [k for k in detail["kinds"] if k["kind"] == "person"]
    return [(r["rank"], r["name"], r["points"]) for r in person["rows"]]
