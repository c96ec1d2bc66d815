"""Random sequences of ledger operations; every invariant is checked after every step."""

import itertools

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from server.db.session import db
from server.http.errors import AppError, Unprocessable
from server.points import ledger
from server.points.ledger_models import Account, Hold, LedgerEntry
from tests.ledger_helpers import check_invariants, demo_community_id, service_step

pytestmark = pytest.mark.usefixtures("write_path")

_holders = itertools.count(1_000_000)
amounts = st.integers(min_value=1, max_value=60)
bad_amounts = st.one_of(
    st.integers(max_value=0),
    st.integers(min_value=ledger.MAX_AMOUNT + 1),
    st.floats(allow_nan=True),
    st.booleans(),
    st.text(max_size=3),
)


_step = service_step


def test_ledger_state_machine(app, seeded):
    with app.app_context():
        community_id = demo_community_id()
        db.session.remove()

    class LedgerMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.ctx = app.app_context()
            self.ctx.push()
            self.account = ledger.account_for_user(community_id, next(_holders))
            db.session.commit()
            self.balance = self.held = self.earned = 0
            self.keys: dict[str, int] = {}  # key -> signed amount of the entry it posted
            self.entries: list[tuple[int, str, int]] = []  # (id, kind, amount)
            self.reversed: set[int] = set()
            self.holds: dict[int, int] = {}  # pending hold id -> amount
            self.n = 0

        def teardown(self):
            db.session.remove()
            self.ctx.pop()

        def _key(self):
            self.n += 1
            return f"sm:{self.account.id}:{self.n}"

        @rule(amount=amounts)
        def credit(self, amount):
            key = self._key()
            entry = _step(
                lambda: ledger.credit(
                    self.account,
                    amount,
                    reason="志愿服务",
                    idempotency_key=key,
                    cause_type="claim",
                    cause_id=key,
                )
            )
            assert isinstance(entry, LedgerEntry)
            self.balance += amount
            self.earned += amount
            self.keys[key] = amount
            self.entries.append((entry.id, "credit", amount))

        @rule(amount=amounts, deduction=st.booleans())
        def debit(self, amount, deduction):
            key = self._key()
            result = _step(
                lambda: ledger.debit(
                    self.account,
                    amount,
                    reason="兑换",
                    idempotency_key=key,
                    cause_type="redemption",
                    cause_id=key,
                    kind="deduction" if deduction else "debit",
                )
            )
            if amount > self.balance - self.held:
                assert isinstance(result, ledger.InsufficientPoints)
                return
            assert isinstance(result, LedgerEntry)
            self.balance -= amount
            self.keys[key] = -amount
            self.entries.append((result.id, "deduction" if deduction else "debit", -amount))

        @rule(amount=amounts)
        def hold(self, amount):
            key = self._key()
            result = _step(
                lambda: ledger.hold(
                    self.account,
                    amount,
                    reason="预约",
                    idempotency_key=key,
                    cause_type="redemption",
                    cause_id=key,
                )
            )
            if amount > self.balance - self.held:
                assert isinstance(result, ledger.InsufficientPoints)
                return
            assert isinstance(result, Hold)
            self.held += amount
            self.holds[result.id] = amount

        @precondition(lambda self: self.holds)
        @rule(data=st.data(), action=st.sampled_from(["release", "settle", "expire"]))
        def resolve(self, data, action):
            hold_id = data.draw(st.sampled_from(sorted(self.holds)))
            amount = self.holds.pop(hold_id)
            fn = {
                "release": lambda: ledger.release(hold_id, reason="取消"),
                "settle": lambda: ledger.settle(hold_id, reason="核销"),
                "expire": lambda: ledger.expire(hold_id),
            }[action]
            result = _step(fn)
            assert not isinstance(result, AppError), result
            self.held -= amount
            if action == "settle":
                self.balance -= amount
                self.entries.append((result.id, "settle", -amount))
            again = _step(lambda: ledger.release(hold_id, reason="再次取消"))
            assert isinstance(again, ledger.HoldNotPending)

        @precondition(lambda self: self.entries)
        @rule(data=st.data())
        def reverse(self, data):
            entry_id, kind, amount = data.draw(st.sampled_from(self.entries))
            key = f"rev:{entry_id}"
            result = _step(
                lambda: ledger.reverse(entry_id, reason="冲正", idempotency_key=key, actor_id=None)
            )
            if kind in ("settle", "reversal"):
                assert isinstance(result, ledger.EntryNotReversible)
            elif entry_id in self.reversed:
                assert isinstance(result, LedgerEntry) and result.reverses_entry_id == entry_id
            elif amount > 0 and amount > self.balance - self.held:
                assert isinstance(result, ledger.InsufficientPoints)
            else:
                assert isinstance(result, LedgerEntry), result
                self.reversed.add(entry_id)
                self.balance -= amount
                if kind == "credit":
                    self.earned -= amount
                self.entries.append((result.id, "reversal", -amount))

        @precondition(lambda self: self.keys)
        @rule(data=st.data(), same=st.booleans())
        def replay(self, data, same):
            key = data.draw(st.sampled_from(sorted(self.keys)))
            signed = self.keys[key]
            amount = abs(signed) if same else abs(signed) + 1
            op = ledger.credit if signed > 0 else ledger.debit
            result = _step(
                lambda: op(
                    self.account,
                    amount,
                    reason="重复提交",
                    idempotency_key=key,
                    cause_type="claim",
                    cause_id=key,
                )
            )
            if same:
                assert isinstance(result, LedgerEntry) and result.amount == signed
            else:
                assert isinstance(result, ledger.IdempotencyConflict)

        @rule(amount=bad_amounts)
        def bad_amount(self, amount):
            for op in (ledger.credit, ledger.debit, ledger.hold):
                result = _step(
                    lambda op=op: op(
                        self.account,
                        amount,
                        reason="坏数据",
                        idempotency_key=self._key(),
                        cause_type="claim",
                        cause_id=0,
                    )
                )
                assert isinstance(result, Unprocessable)

        @invariant()
        def invariants_hold(self):
            check_invariants(db.session, [self.account.id])
            fresh = db.session.get(Account, self.account.id, populate_existing=True)
            assert (fresh.balance, fresh.held, fresh.earned) == (
                self.balance,
                self.held,
                self.earned,
            )

    LedgerMachine.TestCase.settings = settings(
        max_examples=25 if db_is_sqlite(app) else 15,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    LedgerMachine.TestCase().runTest()


def db_is_sqlite(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "sqlite"
