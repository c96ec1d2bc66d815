"""ledger.import_credits: many credits at once, the same rows one credit() each would write."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.db.session import db
from server.http.errors import NotFound, Unprocessable
from server.points import ledger, ranking_rebuild
from server.points.ledger_models import LedgerEntry, PeriodTotal
from tests.ledger_helpers import (
    check_invariants,
    count_rows,
    demo_community_id,
    org_id_of,
    post_credit,
    user_id_of,
)

pytestmark = pytest.mark.usefixtures("write_path")

JAN = datetime(2026, 1, 10, 4, tzinfo=UTC)
# 2026-01-31 20:00 UTC is already February in Asia/Shanghai: rankings count it there.
LATE_JAN = datetime(2026, 1, 31, 20, tzinfo=UTC)


def _credit(account_id, amount, key, at=JAN, **kw):
    return {
        "account_id": account_id,
        "amount": amount,
        "reason": "历史积分导入",
        "idempotency_key": key,
        "cause_type": kw.pop("cause_type", "import"),
        "cause_id": key,
        "at": at,
        **kw,
    }


@pytest.fixture
def accounts(seeded, ctx):
    cid = demo_community_id()
    person = ledger.account_for_user(cid, user_id_of("resident-1"))  # a party member
    org = ledger.account_for_organisation(cid, org_id_of("幸福路小学"))
    db.session.commit()
    return person, org


def test_import_writes_what_credit_would_and_keeps_the_invariants(accounts):
    person, org = accounts
    post_credit(person, 10, "live:1")
    db.session.commit()
    posted = ledger.import_credits(
        [
            _credit(person.id, 5, "imp:1"),
            _credit(org.id, 7, "imp:2"),
            _credit(person.id, 3, "imp:3", at=LATE_JAN, item_version_id=None),
        ]
    )
    assert posted == 3
    assert (person.balance, person.earned, org.balance) == (18, 18, 7)  # the session's objects
    db.session.commit()
    entries = db.session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.idempotency_key.like("imp:%"))
        .order_by(LedgerEntry.id)
    ).all()
    assert [(e.idempotency_key, e.kind, e.amount, e.balance_after) for e in entries] == [
        ("imp:1", "import", 5, 15),
        ("imp:2", "import", 7, 7),
        ("imp:3", "import", 3, 18),
    ]
    assert [(e.rank_month, e.rank_kinds) for e in entries] == [
        ("2026-01", "person,party_member"),
        ("2026-01", "organisation"),
        ("2026-02", "person,party_member"),
    ]
    assert entries[0].created_at == JAN
    totals = db.session.execute(
        select(PeriodTotal.account_id, PeriodTotal.kind, PeriodTotal.month, PeriodTotal.points)
        .where(PeriodTotal.month < "2026-03")
        .order_by(PeriodTotal.account_id, PeriodTotal.kind, PeriodTotal.month)
    ).all()
    assert [tuple(t) for t in totals] == sorted(
        [
            (person.id, "party_member", "2026-01", 5),
            (person.id, "party_member", "2026-02", 3),
            (person.id, "person", "2026-01", 5),
            (person.id, "person", "2026-02", 3),
            (org.id, "organisation", "2026-01", 7),
        ]
    )
    check_invariants(db.session)


def test_imported_totals_agree_with_a_rebuild_from_the_ledger(accounts):
    person, org = accounts
    ledger.import_credits(
        [_credit(person.id, n, f"imp:{n}", at=JAN if n % 2 else LATE_JAN) for n in range(1, 9)]
        + [_credit(org.id, 4, "imp:org")]
    )
    db.session.commit()

    def totals():
        rows = db.session.execute(
            select(PeriodTotal.account_id, PeriodTotal.kind, PeriodTotal.month, PeriodTotal.points)
        ).all()
        return sorted(tuple(r) for r in rows)

    imported = totals()
    ranking_rebuild.rebuild_totals(demo_community_id())
    db.session.commit()
    assert totals() == imported


def test_a_bad_credit_refuses_the_whole_import(accounts):
    person, _ = accounts
    for bad, error in (
        (_credit(person.id, 0, "imp:bad"), Unprocessable),
        (_credit(person.id, 5, "imp:bad", reason=""), Unprocessable),
        (_credit(person.id, 5, "k" * 161), Unprocessable),
        (_credit(999999, 5, "imp:ghost"), NotFound),
    ):
        with pytest.raises(error):
            ledger.import_credits([_credit(person.id, 5, "imp:ok"), bad])
        db.session.rollback()
    assert count_rows(LedgerEntry) == 0
    db.session.refresh(person)
    assert (person.balance, person.earned) == (0, 0)


def test_a_used_key_fails_the_import(accounts):
    person, _ = accounts
    post_credit(person, 10, "used")
    db.session.commit()
    with pytest.raises(IntegrityError):
        ledger.import_credits([_credit(person.id, 5, "fresh"), _credit(person.id, 5, "used")])
    db.session.rollback()
    assert count_rows(LedgerEntry) == 1
    assert ledger.import_credits([]) == 0
    check_invariants(db.session)
