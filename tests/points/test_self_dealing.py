"""Nobody earns points on a decision of their own: an admin's adjustments and reversals never
credit their own account or an organisation or shop they are staff of (a second admin does
that)."""

import uuid

import pytest
from sqlalchemy import func, select

from server.auth.models import User
from server.community import roles as community_roles
from server.db.session import db
from server.points import adjustments, ledger
from server.points.ledger_models import LedgerEntry
from tests.conftest import error_code
from tests.ledger_helpers import demo_community_id, org_id_of, user_id_of

ADJ = "/api/v1/points/adjustments"
MESSAGE = "不能给自己或本人所在单位、店铺加分，请由其他管理员操作"


def entry_count(query) -> int:
    return query(lambda s: s.scalar(select(func.count(LedgerEntry.id))))


def test_an_admin_cannot_grant_themselves_a_bonus(api, seeded, app, query):
    api.login("admin")
    with app.app_context():
        admin_id = user_id_of("admin")
    before = entry_count(query)
    resp = api.post(ADJ, "admin", json={"user_id": admin_id, "amount": 50, "reason": "自己奖励"})
    assert resp.status_code == 403 and error_code(resp) == "cannot_credit_self"
    assert resp.get_json()["error"]["message"] == MESSAGE
    assert entry_count(query) == before
    # A deduction of oneself earns nothing: allowed (e.g. an admin correcting their own account).
    with app.app_context():
        account = ledger.account_for_user(demo_community_id(), admin_id)
        ledger.credit(
            account,
            20,
            reason="测试",
            idempotency_key=f"t:{uuid.uuid4().hex}",
            cause_type="t",
            cause_id="t",
        )
        db.session.commit()
    resp = api.post(ADJ, "admin", json={"user_id": admin_id, "amount": -5, "reason": "自查扣分"})
    assert resp.status_code == 201, resp.get_json()

    # Reversing that deduction would credit the admin: refused too.
    url = f"{ADJ}/{resp.get_json()['entry']['id']}/reverse"
    refused = api.post(url, "admin", json={"reason": "撤销扣分"})
    assert refused.status_code == 403 and error_code(refused) == "cannot_credit_self"
    assert entry_count(query) == before + 2


def test_an_admin_cannot_credit_an_organisation_they_are_staff_of(api, seeded, app, query):
    api.login("admin")
    with app.app_context():
        school = org_id_of("幸福路小学")
        community_roles.grant_role(
            None, demo_community_id(), user_id_of("admin"), "org_staff", organisation_id=school
        )
        db.session.commit()
    body = {"organisation_id": school, "amount": 30, "reason": "单位奖励"}
    resp = api.post(ADJ, "admin", json=body)
    assert resp.status_code == 403 and error_code(resp) == "cannot_credit_self"
    # Other people and organisations: as before.
    with app.app_context():
        resident = user_id_of("resident-3")
    resp = api.post(ADJ, "admin", json={"user_id": resident, "amount": 30, "reason": "表彰"})
    assert resp.status_code == 201


def test_an_admin_bonus_reaches_a_shop_but_not_the_admins_own_shop(api, seeded, app, query):
    from server.community.models import Merchant

    api.login("admin")
    with app.app_context():
        shops = db.session.scalars(select(Merchant).order_by(Merchant.id)).all()
        own, other = shops[0].id, shops[1].id
        community_roles.grant_role(
            None, demo_community_id(), user_id_of("admin"), "merchant_staff", merchant_id=own
        )
        db.session.commit()
    before = entry_count(query)
    resp = api.post(ADJ, "admin", json={"merchant_id": own, "amount": 30, "reason": "店铺奖励"})
    assert resp.status_code == 403 and error_code(resp) == "cannot_credit_self"
    assert entry_count(query) == before
    resp = api.post(ADJ, "admin", json={"merchant_id": other, "amount": 30, "reason": "诚信经营"})
    assert resp.status_code == 201, resp.get_json()
    account = resp.get_json()["account"]
    assert account["holder_type"] == "merchant" and account["holder_id"] == other
    assert account["balance"] == 30
    both = {"merchant_id": other, "user_id": user_id_of_in(app, "resident-3")}
    resp = api.post(ADJ, "admin", json={**both, "amount": 5, "reason": "两个对象"})
    assert resp.status_code == 422 and entry_count(query) == before + 1


def user_id_of_in(app, identity: str) -> int:
    with app.app_context():
        return user_id_of(identity)


def test_the_rule_holds_in_the_service(api, seeded, app):
    api.login("admin")
    with app.app_context():
        admin = db.session.get(User, user_id_of("admin"))
        with pytest.raises(adjustments.CannotCreditSelf):
            adjustments.adjust(admin, amount=5, reason="自己", user_id=admin.id)
        db.session.rollback()
        account = ledger.account_for_user(demo_community_id(), admin.id)
        adjustments.refuse_self_credit(admin, account, -5)  # a deduction earns nothing
        db.session.remove()
