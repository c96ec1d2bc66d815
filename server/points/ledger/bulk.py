"""Many credits at once, for loading history (benchmarks, imports): the rows credit() writes.

One UPDATE per account with its total, the entries in one executemany, the period totals once
per account, kind and month: a load of a million entries takes seconds, not an hour of
one credit() each.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from server.db.types import utcnow
from server.http.errors import NotFound
from server.platform.localtime import month_of
from server.points import rankings
from server.points.ledger.accounts import sync
from server.points.ledger.checks import check_amount, check_key, check_reason
from server.points.ledger.posting import ENTRY_DEFAULTS
from server.points.ledger.statements import session_statements


def import_credits(credits: Iterable[Mapping]) -> int:
    """Post 'import' credits, in the order given; return how many. Nothing is committed.

    Each credit: account_id, amount, reason, idempotency_key, cause_type, cause_id, and
    optionally at (when it was earned: its ranking month) and item_version_id. Each becomes
    the entry credit(kind="import") would post - balance_after, rank_month and rank_kinds
    included - and counts in `earned` and the rankings. Keys must be unused: the entries'
    INSERT fails on a used one (IntegrityError), so roll back and post those with credit().
    """
    credits = list(credits)
    now = utcnow()
    totals: dict[int, int] = defaultdict(int)
    for c in credits:
        totals[c["account_id"]] += check_amount(c["amount"])
    conn, st = session_statements()
    states = {}
    for account_id in sorted(totals):  # one lock order for every importer
        params = {"p_id": account_id, "p_amount": totals[account_id], "p_now": now}
        params.update(p_earned=totals[account_id], p_cause_type=None)
        row = conn.execute(st.give, params).one_or_none()
        if row is None:
            raise NotFound("积分账户不存在", code="account_not_found")
        states[account_id] = row
    kinds_of: dict[tuple[int, str], list[str]] = {}
    for key in sorted({(c["account_id"], c["cause_type"]) for c in credits}):
        params = {"p_id": key[0], "p_cause_type": key[1]}
        kinds_of[key] = [
            k for k in conn.execute(st.rank_kinds, params).scalar_one().split(",") if k
        ]
    running = {
        account_id: states[account_id].balance - total for account_id, total in totals.items()
    }
    entries = []
    by_period: dict[tuple[int, str, str], int] = defaultdict(int)
    for c in credits:
        account_id, amount = c["account_id"], c["amount"]
        at: datetime = c.get("at") or now
        month, kinds = month_of(at), kinds_of[account_id, c["cause_type"]]
        running[account_id] += amount
        entries.append(
            {
                **ENTRY_DEFAULTS,
                "account_id": account_id,
                "amount": amount,
                "balance_after": running[account_id],
                "kind": "import",
                "cause_type": c["cause_type"],
                "cause_id": str(c["cause_id"]),
                "reason": check_reason(c["reason"]),
                "idempotency_key": check_key(c["idempotency_key"]),
                "item_version_id": c.get("item_version_id"),
                "rank_month": month,
                "rank_kinds": ",".join(kinds),
                "created_at": at,
            }
        )
        for kind in kinds:
            by_period[account_id, kind, month] += amount
    if not entries:
        return 0
    conn.execute(st.import_entries, entries)
    conn.execute(
        st.add_total,
        [
            {
                "account_id": account_id,
                "community_id": states[account_id].community_id,
                "kind": kind,
                "month": month,
                "points": points,
            }
            for (account_id, kind, month), points in by_period.items()
        ],
    )
    for (account_id, kind, month), points in by_period.items():
        rankings.queue_increment(states[account_id].community_id, account_id, [kind], month, points)
    for account_id, row in states.items():
        sync(account_id, row)
    return len(entries)
