"""Every refusal of reserve and of verify: state set up, then the expected status and code,
through the service and through HTTP, with nothing changed afterwards.

"Nothing changed" is everything either request could write, read fresh: balances and held
points, holds, ledger entries, stock, redemption rows, per-person counters, audit rows and
outbox events. The service variant also commits the session after the refusal, as a careless
caller would, so a refusal must have rolled back its own writes.
"""

from datetime import timedelta

import jwt
import pytest
from sqlalchemy import delete, select, update

from server.auth.models import User
from server.community.models import Membership, Merchant
from server.db.audit import AuditLog
from server.db.session import db
from server.db.types import utcnow
from server.http.errors import AppError
from server.outbox.models import OutboxEvent
from server.platform.localtime import local_today
from server.points import ledger
from server.points.ledger import Account, Hold, LedgerEntry
from server.rewards import closing, codes, redemption, verify
from server.rewards.models import Offer, Redemption, RedemptionCounter, RedemptionWindow
from server.rewards.periods import period_key
from tests.conftest import error_code
from tests.rewards.test_rewards_support import (
    add_staff,
    demo_community_id,
    give_points,
    make_offer,
    make_other_community,
    user_id,
)

pytestmark = pytest.mark.usefixtures("write_path")

R = "/api/v1/redemptions"
VERIFY = "/api/v1/merchant/verify"


def everything(query) -> dict:
    """Every row reserve or verify could write, read fresh."""

    def rows(s, *columns, order):
        return s.execute(select(*columns).order_by(*order)).all()

    def read(s):
        return {
            "accounts": rows(s, Account.id, Account.balance, Account.held, order=[Account.id]),
            "holds": rows(s, Hold.id, Hold.status, order=[Hold.id]),
            "entries": rows(s, LedgerEntry.id, order=[LedgerEntry.id]),
            "stock": rows(s, Offer.id, Offer.stock, order=[Offer.id]),
            "redemptions": rows(
                s,
                Redemption.id,
                Redemption.status,
                Redemption.hold_id,
                Redemption.debit_entry_id,
                Redemption.redeemed_at,
                Redemption.redeemed_by,
                Redemption.closed_at,
                order=[Redemption.id],
            ),
            "counters": rows(
                s,
                RedemptionCounter.user_id,
                RedemptionCounter.offer_id,
                RedemptionCounter.period_key,
                RedemptionCounter.used,
                order=[RedemptionCounter.user_id, RedemptionCounter.period_key],
            ),
            "audit": rows(s, AuditLog.id, order=[AuditLog.id]),
            "outbox": rows(s, OutboxEvent.id, order=[OutboxEvent.id]),
        }

    return query(read)


class World:
    """resident-1 with 100 points, an offer of 30 points (stock 5), merchant-1 its staff."""

    def __init__(self, app, api, query):
        self.app, self.api, self.query = app, api, query
        self.offer = make_offer(app, title="大米", points_cost=30, stock=5)
        give_points(app, "resident-1", 100)
        for identity in ("resident-1", "resident-2", "merchant-1"):
            api.headers(identity)  # logged in before anyone is deactivated

    def run(self, *statements) -> None:
        with self.app.app_context():
            for stmt in statements:
                db.session.execute(stmt)
            db.session.commit()
            db.session.remove()

    def add(self, *rows) -> None:
        with self.app.app_context():
            db.session.add_all(rows)
            db.session.commit()
            db.session.remove()

    def uid(self, identity: str) -> int:
        return user_id(self.query, identity)

    def deactivate(self, identity: str) -> None:
        self.run(update(User).where(User.id == self.uid(identity)).values(is_active=False))

    def set_offer(self, **values) -> None:
        self.run(update(Offer).where(Offer.id == self.offer).values(**values))

    def reserved(self, identity: str = "resident-1") -> int:
        resp = self.api.post(R, identity, json={"offer_id": self.offer})
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()["id"]

    def code(self, rid: int, **kw) -> str:
        with self.app.app_context():
            return codes.sign_code(rid, **kw)["token"]


# ---------------------------------------------------------------- reserve
# Each setup returns (identity, offer id, Idempotency-Key) of the refused reservation.


def _inactive_caller(w):
    w.deactivate("resident-1")
    return "resident-1", w.offer, None


def _not_a_member(w):
    w.run(delete(Membership).where(Membership.user_id == w.uid("resident-1")))
    return "resident-1", w.offer, None


def _no_such_offer(w):
    return "resident-1", w.offer + 1000, None


def _another_communitys_offer(w):
    make_other_community(w.app)
    return "resident-1", make_offer(w.app, merchant_name="和谐超市"), None


def _merchant_suspended(w):
    merchant = select(Offer.merchant_id).where(Offer.id == w.offer).scalar_subquery()
    w.run(update(Merchant).where(Merchant.id == merchant).values(status="suspended"))
    return "resident-1", w.offer, None


def _offer_inactive(w):
    w.set_offer(active=False)
    return "resident-1", w.offer, None


def _not_started(w):
    w.set_offer(valid_from=local_today() + timedelta(days=1))
    return "resident-1", w.offer, None


def _ended(w):
    w.set_offer(valid_until=local_today() - timedelta(days=1))
    return "resident-1", w.offer, None


def _window_later(w):
    starts = local_today() + timedelta(days=10)
    cid = demo_community_id(w.query)
    w.add(RedemptionWindow(community_id=cid, starts_on=starts, ends_on=starts, note=""))
    return "resident-1", w.offer, None


def _window_over(w):
    ended = local_today() - timedelta(days=1)
    cid = demo_community_id(w.query)
    w.add(RedemptionWindow(community_id=cid, starts_on=ended, ends_on=ended, note=""))
    return "resident-1", w.offer, None


def _sold_out(w):
    w.set_offer(stock=0)
    return "resident-1", w.offer, None


def _too_few_points(w):
    give_points(w.app, "resident-2", 29)
    return "resident-2", w.offer, None


def _no_account_yet(w):
    return "resident-3", w.offer, None  # never credited: no account in the community


def _limit_reached(w):
    w.set_offer(limit_per_person=1)
    month = period_key(local_today(), "month")
    w.add(
        RedemptionCounter(user_id=w.uid("resident-1"), offer_id=w.offer, period_key=month, used=1)
    )
    return "resident-1", w.offer, None


def _key_used_for_another_offer(w):
    other = make_offer(w.app, title="另一个", points_cost=10)
    resp = w.api.post(R, "resident-1", json={"offer_id": other}, headers={"Idempotency-Key": "k"})
    assert resp.status_code == 201
    return "resident-1", w.offer, "k"


def _inactive_and_too_few_points(w):
    w.set_offer(active=False)
    return "resident-3", w.offer, None  # the offer's state is told first


def _sold_out_and_at_the_limit(w):
    _limit_reached(w)
    w.set_offer(stock=0)
    return "resident-1", w.offer, None


RESERVE_REFUSALS = [
    (_inactive_caller, 401, "token_invalid"),
    (_not_a_member, 403, "not_a_member"),
    (_no_such_offer, 404, "offer_not_found"),
    (_another_communitys_offer, 404, "offer_not_found"),
    (_merchant_suspended, 409, "merchant_unavailable"),
    (_offer_inactive, 409, "offer_inactive"),
    (_not_started, 409, "offer_not_started"),
    (_ended, 409, "offer_ended"),
    (_window_later, 409, "redemption_window_closed"),
    (_window_over, 409, "redemption_window_closed"),
    (_sold_out, 409, "out_of_stock"),
    (_too_few_points, 409, "insufficient_points"),
    (_no_account_yet, 409, "insufficient_points"),
    (_limit_reached, 409, "limit_reached"),
    (_key_used_for_another_offer, 422, "idempotency_key_reused"),
    (_inactive_and_too_few_points, 409, "offer_inactive"),
    (_sold_out_and_at_the_limit, 409, "out_of_stock"),
]


def _name(case) -> str:
    return case.__name__.strip("_") if callable(case) else str(case)


@pytest.mark.parametrize("via", ["service", "http"])
@pytest.mark.parametrize("setup,status,code", RESERVE_REFUSALS, ids=_name)
def test_reserve_refusals_change_nothing(api, app, seeded, query, setup, status, code, via):
    w = World(app, api, query)
    identity, offer_id, key = setup(w)
    before = everything(query)
    if via == "http":
        headers = {"Idempotency-Key": key} if key else {}
        resp = api.post(R, identity, json={"offer_id": offer_id}, headers=headers)
        assert (resp.status_code, error_code(resp)) == (status, code), resp.get_json()
        message = resp.get_json()["error"]["message"]
    else:
        uid = w.uid(identity)
        with app.app_context():
            with pytest.raises(AppError) as refused:
                redemption.reserve(uid, offer_id, client_key=key)
            db.session.commit()  # a careless caller: the refusal must have rolled back
            db.session.remove()
        assert (refused.value.status, refused.value.code) == (status, code)
        message = refused.value.message
    assert message and not message.isascii()  # told in Chinese
    assert everything(query) == before


# ---------------------------------------------------------------- verify
# Each setup returns (staff identity, token) of the refused verification.


def _forged_code(w):
    rid = w.reserved()
    claims = {"aud": "redemption", "iss": "redpoints", "rid": rid, "nonce": "n" * 22}
    now = utcnow()
    token = jwt.encode({**claims, "iat": now, "exp": now + timedelta(seconds=60)}, "guess" * 8)
    return "merchant-1", token


def _code_of_no_redemption(w):
    w.reserved()
    return "merchant-1", w.code(999_999)


def _expired_code(w):
    return "merchant-1", w.code(w.reserved(), now=utcnow() - timedelta(seconds=61))


def _inactive_staff(w):
    token = w.code(w.reserved())
    w.deactivate("merchant-1")
    return "merchant-1", token


def _inactive_staff_with_an_expired_code(w):
    token = w.code(w.reserved(), now=utcnow() - timedelta(seconds=61))
    w.deactivate("merchant-1")
    return "merchant-1", token


def _another_merchants_staff(w):
    add_staff(w.app, "barber", "阳光理发店")
    return "barber", w.code(w.reserved())


def _a_resident(w):
    return "resident-2", w.code(w.reserved())


def _already_redeemed(w):
    token = w.code(w.reserved())
    assert w.api.post(VERIFY, "merchant-1", json={"token": token}).status_code == 200
    return "merchant-1", token


def _cancelled(w):
    rid = w.reserved()
    assert w.api.delete(f"{R}/{rid}", "resident-1").status_code == 200
    return "merchant-1", w.code(rid)


def _past_its_expiry(w):
    rid = w.reserved()
    w.run(update(Redemption).where(Redemption.id == rid).values(expires_at=Redemption.created_at))
    return "merchant-1", w.code(rid)


def _expired_by_the_job(w):
    rid = w.reserved()
    with w.app.app_context():
        assert closing.expire_due(now=utcnow() + timedelta(days=30)) == 1
        db.session.remove()
    return "merchant-1", w.code(rid)


def _hold_released_out_of_band(w):
    rid = w.reserved()
    hold_id = w.query(lambda s: s.get(Redemption, rid).hold_id)
    with w.app.app_context():
        ledger.release(hold_id, reason="人工退回")
        db.session.commit()
        db.session.remove()
    return "merchant-1", w.code(rid)


VERIFY_REFUSALS = [
    (_forged_code, 400, "code_invalid"),
    (_code_of_no_redemption, 400, "code_invalid"),
    (_expired_code, 410, "code_expired"),
    (_inactive_staff, 401, "token_invalid"),
    (_inactive_staff_with_an_expired_code, 401, "token_invalid"),
    (_another_merchants_staff, 403, "not_your_merchant"),
    (_a_resident, 403, "not_merchant_staff"),
    (_already_redeemed, 409, "already_redeemed"),
    (_cancelled, 409, "redemption_cancelled"),
    (_past_its_expiry, 409, "redemption_expired"),
    (_expired_by_the_job, 409, "redemption_expired"),
    (_hold_released_out_of_band, 409, "hold_not_pending"),
]


@pytest.mark.parametrize("via", ["service", "http"])
@pytest.mark.parametrize("setup,status,code", VERIFY_REFUSALS, ids=_name)
def test_verify_refusals_change_nothing(api, app, seeded, query, setup, status, code, via):
    w = World(app, api, query)
    identity, token = setup(w)
    before = everything(query)
    if via == "http":
        resp = api.post(VERIFY, identity, json={"token": token})
        assert (resp.status_code, error_code(resp)) == (status, code), resp.get_json()
        if status == 403:  # another merchant's code: not a word about the redemption
            assert resp.get_json()["error"]["details"] == {}
            assert "大米" not in resp.get_data(as_text=True)
    else:
        uid = w.uid(identity)
        with app.app_context():
            with pytest.raises(AppError) as refused:
                verify.verify(uid, token)
            db.session.commit()  # a careless caller: the refusal must have rolled back
            db.session.remove()
        assert (refused.value.status, refused.value.code) == (status, code)
    assert everything(query) == before
