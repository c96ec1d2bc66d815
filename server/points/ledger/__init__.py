"""The points ledger: the only code that changes a point balance, a hold or an entry.

Callers write `from server.points import ledger` and use what is listed in `__all__`.

Every write is a conditional UPDATE of the account row (which also serialises writers of that
account) followed by an INSERT of its entry or hold in the same transaction, with the same
statements on PostgreSQL and SQLite (`statements.py`). Nothing here commits: the caller's cause
(claim approved, attendance confirmed, redemption verified) and its ledger effect commit
together. Idempotency keys are UNIQUE; a replay returns the first result (see `entries.py`).

    accounts.py  find_account, account_for_user, account_for_organisation, account_for_merchant
    entries.py   credit, debit, reverse
    holds.py     hold, settle, release, expire, expire_due_holds
    bulk.py      import_credits (history loads)
    fused.py     settle_behind / hold_then: a gate and settle, a hold and a gate, each as one
                 statement (PostgreSQL only, for speed; the portable path stays)
    checks.py    amount / reason / key checks and the ledger's errors
"""

from server.points.ledger.accounts import (
    account_for_merchant,
    account_for_organisation,
    account_for_user,
    find_account,
)
from server.points.ledger.bulk import import_credits
from server.points.ledger.checks import (
    MAX_AMOUNT,
    AlreadyReversed,
    EntryNotReversible,
    HoldNotPending,
    IdempotencyConflict,
    InsufficientPoints,
)
from server.points.ledger.entries import credit, debit, reverse
from server.points.ledger.fused import (
    fused_writes,
    hold_then,
    hold_through,
    settle_behind,
    settle_through,
)
from server.points.ledger.holds import expire, expire_due_holds, hold, release, settle
from server.points.ledger_models import Account, Hold, LedgerEntry

__all__ = [
    "Account",
    "LedgerEntry",
    "Hold",
    "account_for_user",
    "account_for_organisation",
    "account_for_merchant",
    "find_account",
    "credit",
    "debit",
    "hold",
    "release",
    "settle",
    "settle_behind",
    "settle_through",
    "hold_then",
    "hold_through",
    "fused_writes",
    "expire",
    "expire_due_holds",
    "reverse",
    "import_credits",
    "InsufficientPoints",
    "IdempotencyConflict",
    "HoldNotPending",
    "EntryNotReversible",
    "AlreadyReversed",
    "MAX_AMOUNT",
]
