"""Ledger accounts, credit, debit and reverse: balances, idempotency, refusals, constraints."""

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from server.db.session import db
from server.http.errors import NotFound, Unprocessable
from server.points import ledger
from server.points.ledger_models import Account, LedgerEntry, PeriodTotal
from tests.ledger_helpers import (
    check_invariants,
    count_rows,
    demo_community_id,
    org_id_of,
    post_credit,
    post_debit,
    post_hold,
    user_id_of,
)

pytestmark = pytest.mark.usefixtures("write_path")


@pytest.fixture
def acct(seeded, ctx):
    """A fresh account of resident-5 in the demo community."""
    account = ledger.account_for_user(demo_community_id(), user_id_of("resident-5"))
    db.session.commit()
    return account


def _state(account) -> tuple[int, int, int]:
    db.session.refresh(account)
    return account.balance, account.held, account.earned


def test_accounts_are_found_or_opened_once(seeded, ctx):
    cid, user_id = demo_community_id(), user_id_of("resident-5")
    assert ledger.find_account(cid, "user", user_id) is None
    opened = ledger.account_for_user(cid, user_id)
    assert (opened.balance, opened.held, opened.earned) == (0, 0, 0)
    assert ledger.account_for_user(cid, user_id).id == opened.id
    assert ledger.find_account(cid, "user", user_id).id == opened.id
    org_id = org_id_of("幸福路小学")
    org = ledger.account_for_organisation(cid, org_id)
    assert (org.holder_type, org.holder_id) == ("organisation", org_id) and org.id != opened.id
    assert ledger.find_account(cid, "organisation", org_id).id == org.id
    db.session.commit()
    assert count_rows(Account) == 2


def test_credit_posts_once_per_key(acct):
    first = post_credit(acct, 10, "claim:1")
    db.session.commit()
    assert (acct.balance, acct.earned, first.balance_after, first.amount) == (10, 10, 10, 10)
    assert first.rank_kinds == "person" and first.reason == "志愿服务：垃圾分类志愿督导"

    replay = post_credit(acct, 10, "claim:1")
    db.session.commit()
    assert replay.id == first.id
    assert _state(acct) == (10, 0, 10) and count_rows(LedgerEntry) == 1

    with pytest.raises(ledger.IdempotencyConflict) as exc:
        post_credit(acct, 20, "claim:1")
    assert exc.value.status == 409 and exc.value.code == "idempotency_conflict"
    db.session.rollback()
    other = ledger.account_for_user(acct.community_id, user_id_of("resident-6"))
    with pytest.raises(ledger.IdempotencyConflict):
        post_credit(other, 10, "claim:1")
    db.session.rollback()
    assert _state(acct) == (10, 0, 10) and count_rows(LedgerEntry) == 1
    check_invariants(db.session)


def test_written_entries_are_persistent_objects_the_session_need_not_flush(acct):
    entry = post_credit(acct, 10, "c1", reason=" 志愿服务 ", actor_id=3, item_version_id=None)
    state = inspect(entry)
    assert state.persistent and entry in db.session
    assert not db.session.new and not db.session.dirty  # nothing left for a flush to write
    assert (entry.reason, entry.actor_id, entry.kind) == ("志愿服务", 3, "credit")
    assert acct.balance == 10  # the account in the session carries the new state
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(LedgerEntry, entry.id)
    assert (stored.amount, stored.balance_after, stored.reason, stored.rank_kinds) == (
        10,
        10,
        "志愿服务",
        "person",
    )
    assert stored.rank_month == entry.rank_month and stored.created_at == entry.created_at


def test_credit_updates_period_totals_for_party_members(seeded, ctx):
    cid = demo_community_id()
    party = ledger.account_for_user(cid, user_id_of("resident-1"))  # party member
    entry = post_credit(party, 20, "claim:p1")
    db.session.commit()
    assert entry.rank_kinds == "person,party_member"
    rows = db.session.execute(
        select(PeriodTotal.kind, PeriodTotal.points).where(PeriodTotal.account_id == party.id)
    ).all()
    assert sorted(rows) == [("party_member", 20), ("person", 20)]


def test_organisations_rank_as_organisations(seeded, ctx):
    org = ledger.account_for_organisation(demo_community_id(), org_id_of("幸福路小学"))
    assert post_credit(org, 8, "org:1").rank_kinds == "organisation"
    db.session.commit()
    points = db.session.scalar(select(PeriodTotal.points).where(PeriodTotal.account_id == org.id))
    assert points == 8


def test_shops_rank_as_shops_even_when_their_staff_are_party_members(seeded, ctx):
    from server.community.models import Merchant

    shop_id = db.session.scalar(select(Merchant.id).where(Merchant.name == "幸福社区积分超市"))
    from server.auth.models import User
    from server.community import roles as community_roles
    from server.community.authz import has_role

    # holder_id is a merchants.id: the user with that same id being a party member must not
    # make the shop's credit count among party members.
    namesake = db.session.get(User, shop_id)
    if not has_role(namesake, demo_community_id(), "party_member"):
        community_roles.grant_role(
            None, demo_community_id(), shop_id, "party_member", party_kind="在职"
        )
    shop = ledger.account_for_merchant(demo_community_id(), shop_id)
    assert post_credit(shop, 6, "shop:1", cause_type="wish").rank_kinds == "merchant"
    db.session.commit()
    rows = db.session.execute(
        select(PeriodTotal.kind, PeriodTotal.points).where(PeriodTotal.account_id == shop.id)
    ).all()
    assert rows == [("merchant", 6)]


def test_grid_workers_rank_on_service_only(seeded, ctx):
    grid = ledger.account_for_user(demo_community_id(), user_id_of("grid-1"))
    service = post_credit(grid, 5, "svc:1", cause_type="service_log")
    assert service.rank_kinds == "person,grid_worker"
    assert post_credit(grid, 5, "claim:g1").rank_kinds == "person"
    db.session.commit()


def test_debit_refuses_beyond_available_and_changes_nothing(acct):
    post_credit(acct, 30, "c1")
    db.session.commit()
    with pytest.raises(ledger.InsufficientPoints) as exc:
        post_debit(acct, 31, "d1")
    assert exc.value.code == "insufficient_points"
    assert exc.value.details == {"available": 30, "requested": 31}
    db.session.rollback()
    entry = post_debit(acct, 30, "d2")
    db.session.commit()
    assert (entry.amount, entry.balance_after, acct.balance, acct.earned) == (-30, 0, 0, 30)
    assert post_debit(acct, 30, "d2").id == entry.id  # replay succeeds even though balance is 0
    with pytest.raises(ledger.IdempotencyConflict):
        post_debit(acct, 5, "d2")
    db.session.rollback()
    check_invariants(db.session)


def test_a_debit_replay_the_account_could_cover_again_posts_once(acct):
    post_credit(acct, 100, "c1")
    first = post_debit(acct, 20, "d1", kind="deduction", cause_type="adjustment")
    db.session.commit()
    again = post_debit(acct, 20, "d1", kind="deduction", cause_type="adjustment")
    db.session.commit()
    assert again.id == first.id and again.kind == "deduction"
    assert _state(acct) == (80, 0, 100) and count_rows(LedgerEntry) == 2
    check_invariants(db.session)


@pytest.mark.parametrize("amount", [0, -1, ledger.MAX_AMOUNT + 1, 10**18, True, 1.5, "10", None])
def test_bad_amounts_are_refused(acct, amount):
    for op in (post_credit, post_debit, post_hold):
        with pytest.raises(Unprocessable) as exc:
            op(acct, amount, f"bad:{op.__name__}")
        assert exc.value.code == "invalid_amount"
    db.session.rollback()
    assert count_rows(LedgerEntry) == 0
    assert _state(acct) == (0, 0, 0)


def test_bad_reason_key_kind_and_unknown_account(acct):
    for op in (post_credit, post_debit, post_hold):
        with pytest.raises(Unprocessable) as exc:
            op(acct, 5, "r1", reason="")
        assert exc.value.code == "invalid_reason"
        with pytest.raises(Unprocessable):
            op(acct, 5, "r1", reason="长" * 201)
        with pytest.raises(Unprocessable) as exc:
            op(acct, 5, "k" * 161)
        assert exc.value.code == "invalid_idempotency_key"
        with pytest.raises(NotFound) as exc:
            op(999999, 5, f"ghost:{op.__name__}")
        assert exc.value.code == "account_not_found"
        db.session.rollback()
    with pytest.raises(ValueError):
        post_credit(acct, 5, "k1", kind="debit")
    with pytest.raises(ValueError):
        post_debit(acct, 5, "k2", kind="credit")
    db.session.rollback()
    assert count_rows(LedgerEntry) == 0 and _state(acct) == (0, 0, 0)


def test_reverse_rules(acct):
    credit = post_credit(acct, 50, "c1")
    deduction = post_debit(acct, 20, "d1", kind="deduction", cause_type="adjustment")
    db.session.commit()
    assert acct.balance == 30
    with pytest.raises(ledger.InsufficientPoints):  # 30 left, cannot take back 50
        ledger.reverse(credit, reason="误发", idempotency_key="rev:c1", actor_id=None)
    db.session.rollback()
    back = ledger.reverse(deduction, reason="扣分有误", idempotency_key="rev:d1", actor_id=1)
    db.session.commit()
    assert (back.amount, back.reverses_entry_id, back.kind) == (20, deduction.id, "reversal")
    assert _state(acct) == (50, 0, 50)
    assert ledger.reverse(deduction.id, reason="再来", idempotency_key="rev:d1", actor_id=1).id == (
        back.id
    )
    rev = ledger.reverse(credit, reason="误发", idempotency_key="rev:c1", actor_id=1)
    db.session.commit()
    assert (rev.amount, rev.rank_month, rev.rank_kinds) == (-50, credit.rank_month, "person")
    assert _state(acct) == (0, 0, 0)
    assert ledger.reverse(credit, reason="误发", idempotency_key="rev:c1", actor_id=1).id == rev.id
    with pytest.raises(ledger.AlreadyReversed):
        ledger.reverse(credit, reason="再次", idempotency_key="rev:c1:again", actor_id=1)
    db.session.rollback()
    with pytest.raises(ledger.EntryNotReversible):
        ledger.reverse(rev, reason="冲正的冲正", idempotency_key="rev:rev", actor_id=1)
    db.session.rollback()
    totals = db.session.scalar(
        select(func.sum(PeriodTotal.points)).where(PeriodTotal.account_id == acct.id)
    )
    assert totals == 0
    check_invariants(db.session)


def test_reverse_refusals_change_nothing(acct):
    first = post_credit(acct, 40, "c1")
    second = post_credit(acct, 10, "c2")
    db.session.commit()
    with pytest.raises(NotFound) as exc:
        ledger.reverse(987654, reason="冲正", idempotency_key="rev:x", actor_id=None)
    assert exc.value.code == "entry_not_found"
    with pytest.raises(Unprocessable):
        ledger.reverse(first, reason=" ", idempotency_key="rev:c1", actor_id=None)
    with pytest.raises(ledger.IdempotencyConflict):  # the key is the credit's own
        ledger.reverse(second, reason="冲正", idempotency_key="c1", actor_id=None)
    db.session.rollback()
    assert _state(acct) == (50, 0, 50) and count_rows(LedgerEntry) == 2
    check_invariants(db.session)


def test_entries_are_append_only_and_checks_hold(acct):
    entry = post_credit(acct, 10, "c1")
    db.session.commit()
    with pytest.raises(DBAPIError):
        db.session.execute(
            text("UPDATE ledger_entries SET amount = 999 WHERE id = :id"), {"id": entry.id}
        )
    db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError):
            db.session.execute(text("DELETE FROM ledger_entries WHERE id = :id"), {"id": entry.id})
        db.session.rollback()
    for bad in ("balance = -1", "held = 11", "held = -1"):
        with pytest.raises(IntegrityError):
            db.session.execute(
                text(f"UPDATE point_accounts SET {bad} WHERE id = :id"), {"id": acct.id}
            )
        db.session.rollback()
    assert db.session.get(LedgerEntry, entry.id).amount == 10
