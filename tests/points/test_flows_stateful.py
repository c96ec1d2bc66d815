"""Random sequences of the flows that move points, through the real services, checked after
every step against a model: task sign-ups (with the waitlist), check-in and completion,
reservations (holds) cancelled, expired or verified, and claims approved or rejected.
"""

import itertools
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import select

from server.auth.models import User
from server.community.models import Membership
from server.db.session import db
from server.db.types import utcnow
from server.http.errors import AppError
from server.points import ledger
from server.points.claim_review import decide_claim
from server.points.claims import submit_claim
from server.points.ledger_models import Account
from server.points.models import PointItem
from server.rewards import closing, codes, redemption, verify
from server.rewards.models import Offer, Redemption
from server.tasks import checkin_codes, clock, completion, signup
from server.tasks.attendance import check_in
from server.tasks.models import Task, TaskSignup
from tests.ledger_helpers import check_invariants, demo_community_id, user_id_of
from tests.ledger_helpers import service_step as _step
from tests.rewards.test_rewards_support import make_offer
from tests.tasks.test_tasks_support import T0

pytestmark = pytest.mark.usefixtures("write_path")

PEOPLE, CAPACITY, COST, STOCK, START_POINTS = 4, 2, 7, 3, 30
_runs = itertools.count()
# Each flow's end the run must reach: a machine refused at every step would prove nothing.
MUST_HAPPEN = {"confirmed", "waitlisted", "promoted", "checked_in", "credited", "reserved",
               "cancelled", "redeemed", "expired", "approved", "rejected"}  # fmt: skip


def test_flows_state_machine(app, seeded, monkeypatch):
    happened = set()
    now = {"t": T0}
    monkeypatch.setattr(clock, "now", lambda: now["t"])  # the tasks domain's time, by hand
    with app.app_context():
        community_id = demo_community_id()
        staff = {who: user_id_of(who) for who in ("grid-1", "reviewer", "merchant-1")}
        item_id = db.session.scalar(select(PointItem.id).where(PointItem.code == "C01"))
        db.session.remove()
    offers = (make_offer(app, points_cost=COST, stock=STOCK) for _ in itertools.count())

    class Flows(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.offer_id = next(offers)  # each run its own stock (expiry reaches every run's)
            self.ctx = app.app_context()
            self.ctx.push()
            run = next(_runs)
            now["t"] = T0 + timedelta(days=10 * run)
            users = [User(openid=f"flows-{run}-{n}", real_name=f"流程{n}") for n in range(PEOPLE)]
            db.session.add_all(users)
            db.session.flush()
            db.session.add_all(Membership(user_id=u.id, community_id=community_id) for u in users)
            self.people = [u.id for u in users]
            self.accounts = [ledger.account_for_user(community_id, uid) for uid in self.people]
            for account in self.accounts:
                ledger.credit(account, START_POINTS, reason="起始积分",
                              idempotency_key=f"flows:{account.id}", cause_type="adjustment",
                              cause_id="flows")  # fmt: skip
            starts = now["t"] + timedelta(days=1)
            task = Task(community_id=community_id, organiser_id=staff["grid-1"],
                        title="流程测试任务", reward_kind="item", point_item_id=item_id,
                        starts_at=starts, ends_at=starts + timedelta(hours=2),
                        signup_deadline=starts - timedelta(hours=1),
                        cancel_deadline=starts - timedelta(hours=2), capacity=CAPACITY,
                        confirmed_count=0, waitlisted_count=0, signup_seq=0,
                        audience="everyone", status="published")  # fmt: skip
            db.session.add(task)
            db.session.commit()
            self.task_id, self.starts = task.id, starts
            self.task_points = completion.points_for(task, 120)[0]
            self.balance, self.held = [START_POINTS] * PEOPLE, [0] * PEOPLE
            self.confirmed, self.waitlist = [], []  # indexes into people, in sign-up order
            self.checked_in, self.credited = set(), set()
            self.started = self.completed = False
            self.stock = db.session.get(Offer, self.offer_id).stock
            self.redemptions, self.claims = {}, {}  # id -> [person, (points,) status]
            self.days = itertools.count(1)

        def teardown(self):
            db.session.remove()
            self.ctx.pop()

        def user(self, p):
            return db.session.get(User, self.people[p])

        # ---- tasks: sign up and cancel before the start, check in and complete after it
        @initialize(early=st.integers(0, PEOPLE))
        def early_sign_ups(self, early):  # often a full task with a waitlist from the start
            for p in range(early):
                self.sign_up(p)

        @rule(p=st.integers(0, PEOPLE - 1))
        def sign_up(self, p):
            result = _step(lambda: signup.sign_up_as(self.people[p], self.task_id))
            if self.started or p in self.confirmed or p in self.waitlist:
                assert isinstance(result, AppError), result
            elif len(self.confirmed) < CAPACITY:
                assert result["status"] == "confirmed", result
                self.confirmed.append(p)
                happened.add("confirmed")
            else:
                assert result["status"] == "waitlisted", result
                self.waitlist.append(p)
                happened.add("waitlisted")

        @rule(p=st.integers(0, PEOPLE - 1))
        def cancel_signup(self, p):
            result = _step(lambda: signup.cancel_signup_as(self.people[p], self.task_id))
            if self.started or (p not in self.confirmed and p not in self.waitlist):
                assert isinstance(result, AppError), result
                return
            assert not isinstance(result, AppError), result
            if p in self.waitlist:
                self.waitlist.remove(p)
            else:  # the seat goes to the first on the waitlist
                self.confirmed.remove(p)
                if self.waitlist:
                    self.confirmed.append(self.waitlist.pop(0))
                    happened.add("promoted")

        # The task starts once it is full and its waitlist has moved up (or given up).
        @precondition(lambda self: len(self.confirmed) == CAPACITY and not self.waitlist)
        @precondition(lambda self: not self.started)
        @rule()
        def start(self):
            now["t"] = self.starts + timedelta(minutes=10)
            self.started = True

        @precondition(lambda self: self.started)
        @rule(p=st.integers(0, PEOPLE - 1))
        def check_in(self, p):
            token = checkin_codes.issue_code(self.task_id)["token"]
            result = _step(lambda: check_in(self.user(p), self.task_id, token, None))
            if self.completed or p not in self.confirmed or p in self.checked_in:
                assert isinstance(result, AppError), result
            else:
                assert not isinstance(result, AppError), result
                self.checked_in.add(p)
                happened.add("checked_in")

        @precondition(lambda self: self.checked_in)  # completing an empty task credits nobody
        @rule()
        def complete(self):
            organiser = db.session.get(User, staff["grid-1"])
            result = _step(lambda: completion.complete_task(organiser, self.task_id))
            assert not isinstance(result, AppError), result
            self.completed = True
            for p in self.checked_in - self.credited:  # each attendance credited once
                self.balance[p] += self.task_points
                self.credited.add(p)
                happened.add("credited")

        # ---- redemptions: reserve (hold), then cancel, expire or verify
        @rule(p=st.integers(0, PEOPLE - 1))
        def reserve(self, p):
            result = _step(lambda: redemption.reserve(self.people[p], self.offer_id))
            if self.balance[p] - self.held[p] < COST or self.stock == 0:
                assert isinstance(result, AppError), result
                return
            assert not isinstance(result, AppError), result
            self.redemptions[result[0].id] = [p, "reserved"]
            self.held[p] += COST
            self.stock -= 1
            happened.add("reserved")

        def _release(self, rid, status):
            happened.add(status)
            p = self.redemptions[rid][0]
            self.redemptions[rid][1] = status
            self.held[p] -= COST
            self.stock += 1

        def _open(self):
            return sorted(r for r, (_p, status) in self.redemptions.items() if status == "reserved")

        def _pick(self, data, again):  # an open reservation, or any (a closed one is refused)
            ids = self._open() if self._open() and not again else sorted(self.redemptions)
            return data.draw(st.sampled_from(ids))

        @precondition(lambda self: self.redemptions)
        @rule(data=st.data(), again=st.booleans())
        def cancel_redemption(self, data, again):
            rid = self._pick(data, again)
            p, status = self.redemptions[rid]
            result = _step(lambda: closing.cancel(self.user(p), rid))
            if status != "reserved":
                assert isinstance(result, AppError), result
            else:
                assert not isinstance(result, AppError), result
                self._release(rid, "cancelled")

        @precondition(lambda self: self.redemptions)
        @rule(data=st.data(), again=st.booleans())
        def verify(self, data, again):
            rid = self._pick(data, again)
            p, status = self.redemptions[rid]
            token = codes.sign_code(rid)["token"]
            result = _step(lambda: verify.verify(staff["merchant-1"], token))
            if status != "reserved":  # verified at most once; nothing after a release
                assert isinstance(result, AppError), result
                return
            assert not isinstance(result, AppError), result
            self.redemptions[rid][1] = "redeemed"
            happened.add("redeemed")
            self.held[p] -= COST
            self.balance[p] -= COST

        @precondition(lambda self: self._open())
        @rule()
        def expire_due(self):
            later = utcnow() + timedelta(days=redemption.expiry_days() + 1)
            _step(lambda: closing.expire_due(now=later))
            for rid, (_p, status) in self.redemptions.items():
                if status == "reserved":
                    self._release(rid, "expired")

        # ---- claims: filed by a person, decided by the reviewer
        @rule(p=st.integers(0, PEOPLE - 1))
        def submit_claim(self, p):
            day = (utcnow() - timedelta(days=next(self.days) % 25 + 1)).date()
            result = _step(lambda: submit_claim(self.user(p), item_id=item_id, occurred_on=day,
                                                description="流程测试申报"))  # fmt: skip
            if isinstance(result, AppError):  # a monthly cap or the same day twice
                return
            points = db.session.get(PointItem, item_id).version_on(day).points
            self.claims[result.id] = [p, points, result.status]

        def _pending(self):
            return sorted(c for c, (_p, _pts, status) in self.claims.items() if status == "pending")

        @precondition(lambda self: self._pending())
        @rule(data=st.data(), decision=st.sampled_from(["approve", "reject"]))
        def decide(self, data, decision):
            self._decide(data.draw(st.sampled_from(self._pending())), decision)

        @precondition(lambda self: len(self._pending()) < len(self.claims))
        @rule(data=st.data(), decision=st.sampled_from(["approve", "reject"]))
        def decide_again(self, data, decision):  # refused: decided once and for all
            done = sorted(set(self.claims) - set(self._pending()))
            self._decide(data.draw(st.sampled_from(done)), decision)

        def _decide(self, cid, decision):
            p, points, status = self.claims[cid]
            reviewer = db.session.get(User, staff["reviewer"])
            result = _step(lambda: decide_claim(reviewer, cid, decision, "流程测试"))
            if status not in ("pending", "flagged"):
                assert isinstance(result, AppError), result
                return
            assert not isinstance(result, AppError), result
            self.claims[cid][2] = "approved" if decision == "approve" else "rejected"
            happened.add(self.claims[cid][2])
            if decision == "approve":
                self.balance[p] += points

        @invariant()
        def money_and_seats_hold(self):
            db.session.expire_all()
            check_invariants(db.session, [a.id for a in self.accounts])
            for p, account in enumerate(self.accounts):
                fresh = db.session.get(Account, account.id)
                assert (fresh.balance, fresh.held) == (self.balance[p], self.held[p]), p
                assert 0 <= fresh.held <= fresh.balance
            task = db.session.get(Task, self.task_id)
            query = select(TaskSignup).filter_by(task_id=self.task_id).order_by(TaskSignup.seq)
            rows = db.session.scalars(query).all()
            ids = {uid: p for p, uid in enumerate(self.people)}
            confirmed = {ids[r.user_id] for r in rows if r.status == "confirmed"}
            waiting = [ids[r.user_id] for r in rows if r.status == "waitlisted"]
            assert task.confirmed_count == len(confirmed) <= CAPACITY
            assert (confirmed, waiting) == (set(self.confirmed), self.waitlist)
            offer = db.session.get(Offer, self.offer_id)
            assert offer.stock == self.stock >= 0
            for rid, (_p, status) in self.redemptions.items():
                assert db.session.get(Redemption, rid).status == status

    Flows.TestCase.settings = settings(
        max_examples=20,
        stateful_step_count=30,
        derandomize=True,  # the same walk each run: MUST_HAPPEN cannot flake
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    Flows.TestCase().runTest()
    assert MUST_HAPPEN - happened == set()
