"""Deleting one's account: personal fields gone, points history and rankings whole."""

import pytest
from sqlalchemy import func, select

from server.auth.models import User
from server.db.audit import AuditLog
from server.db.session import db
from server.points.ledger import Account, LedgerEntry
from server.privacy import deletion
from server.rewards.models import Redemption
from server.uploads.models import Upload
from tests import claims_helpers
from tests.conftest import error_code
from tests.privacy.helpers import CLAIMS, busy_resident
from tests.rewards.test_rewards_support import balance, ledger_consistent, user_id

upload_dir = claims_helpers.upload_dir
pytestmark = pytest.mark.usefixtures("upload_dir", "seeded")
DELETE = "/api/v1/me/delete"


def _delete(api, identity, confirm="注销账号"):
    return api.post(DELETE, identity, json={"confirm": confirm})


def _ranking(api, who="resident-3"):
    body = api.get("/api/v1/rankings?kind=person", who).get_json()
    return body


def _totals(query):
    return query(
        lambda s: (
            s.scalar(select(func.sum(Account.balance))),
            s.scalar(select(func.sum(LedgerEntry.amount))),
            s.scalar(select(func.count(LedgerEntry.id))),
        )
    )


def test_delete_erases_the_person_and_keeps_the_points(api, app, query, upload_dir):
    mine = busy_resident(api, app, query)
    uid = user_id(query, "resident-1")
    name = api.get("/api/v1/me", "resident-1").get_json()["real_name"]
    ranking_before = _ranking(api)
    totals_before = _totals(query)
    assert balance(query, uid) == (110, 30)
    stored = list(upload_dir.rglob("*.*"))
    assert len(stored) == 1

    resp = _delete(api, "resident-1")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body == {
        "user_id": uid,
        "pseudonym": f"已注销用户#{uid}",
        "photos_removed": 1,
        "reservations_cancelled": 1,
    }
    # the token is refused at once, everywhere
    for path in ("/api/v1/me", "/api/v1/points/ledger", "/api/v1/me/data-export"):
        resp = api.get(path, "resident-1")
        assert resp.status_code == 401, path
    assert _delete(api, "resident-1").status_code == 401

    user = query(lambda s: s.get(User, uid))
    assert (user.real_name, user.phone, user.avatar_url, user.openid, user.unionid) == (None,) * 5
    assert user.nickname == f"已注销用户#{uid}" and user.is_active is False
    # photos gone from the table and the store
    assert query(lambda s: s.scalar(select(func.count()).where(Upload.owner_id == uid))) == 0
    assert list(upload_dir.rglob("*.*")) == []
    # the reservation was cancelled: its hold released through the ledger, nothing else moved
    assert query(lambda s: s.get(Redemption, mine["redemption"]["id"]).status) == "cancelled"
    assert balance(query, uid) == (110, 0)
    assert _totals(query) == totals_before
    ledger_consistent(query)
    # rankings: the same points and ranks, the pseudonym instead of the name
    after = _ranking(api)
    assert [(i["rank"], i["points"]) for i in after["items"]] == [
        (i["rank"], i["points"]) for i in ranking_before["items"]
    ]
    assert f"已注销用户#{uid}" in [i["name"] for i in after["items"]]
    # reviewers' claim list shows the pseudonym, never the name
    claims = api.get(f"{CLAIMS}?scope=queue&status=approved", "reviewer").get_json()["items"]
    [claim] = [c for c in claims if c["id"] == mine["claim"]]
    assert claim["claimant"]["name"] == f"已注销用户#{uid}"
    assert name not in str(claims) and name not in str(after)
    [audit] = query(
        lambda s: s.scalars(select(AuditLog).where(AuditLog.action == "user.delete")).all()
    )
    assert audit.actor_id == uid and audit.after["photos_removed"] == 1


def test_a_fresh_login_makes_a_new_empty_account(api, app, query):
    busy_resident(api, app, query)
    uid = user_id(query, "resident-1")
    assert _delete(api, "resident-1").status_code == 200
    api.tokens.pop("resident-1")
    body = api.login("resident-1")
    assert body["is_new"] is True and body["user"]["id"] != uid
    assert body["user"]["membership"] is None and body["user"]["points"] is None
    export = api.get("/api/v1/me/data-export", "resident-1").get_json()
    ledger = [s for s in export["sections"] if s["name"] == "ledger"][0]
    assert ledger["items"] == []


def test_confirmation_phrase_is_required(api, query):
    for confirm in ("注销", "", "确认"):
        resp = _delete(api, "resident-1", confirm)
        assert resp.status_code == 422 and error_code(resp) == "validation_error"
    resp = api.post(DELETE, "resident-1", json={})
    assert resp.status_code == 422
    assert api.get("/api/v1/me", "resident-1").status_code == 200


def test_staff_must_hand_over_their_roles_first(api, query):
    resp = _delete(api, "reviewer")
    assert resp.status_code == 409 and error_code(resp) == "hand_over_roles_first"
    assert resp.get_json()["error"]["details"] == {"roles": ["reviewer"]}
    reviewer = query(lambda s: s.get(User, user_id(query, "reviewer")))
    assert reviewer.is_active and reviewer.real_name == "李秀英"
    assert api.get("/api/v1/me", "reviewer").status_code == 200


def test_service_is_idempotent(app, api, query):
    api.login("resident-2")
    uid = user_id(query, "resident-2")
    with app.app_context():
        first = deletion.delete_account(db.session.get(User, uid))
        again = deletion.delete_account(db.session.get(User, uid))
        assert not first.already_deleted and again.already_deleted
        assert again.pseudonym == first.pseudonym
        assert deletion.is_deleted(db.session.get(User, uid))
    assert (
        query(
            lambda s: s.scalar(
                select(func.count()).select_from(AuditLog).where(AuditLog.action == "user.delete")
            )
        )
        == 1
    )


def test_seats_in_upcoming_tasks_go_to_the_waitlist(api, query, monkeypatch):
    from server.tasks.models import TaskSignup
    from tests.tasks.test_tasks_support import Clock, create_task

    Clock(monkeypatch)
    task = create_task(api, query, capacity=1)
    url = f"/api/v1/tasks/{task['id']}/signups"
    assert api.post(url, "resident-1").get_json()["status"] == "confirmed"
    assert api.post(url, "resident-2").get_json()["status"] == "waitlisted"
    assert _delete(api, "resident-1").status_code == 200
    statuses = dict(
        query(
            lambda s: s.execute(
                select(TaskSignup.user_id, TaskSignup.status).where(
                    TaskSignup.task_id == task["id"]
                )
            ).all()
        )
    )
    assert statuses == {
        user_id(query, "resident-2"): "confirmed",
        # resident-1's openid is gone; their row is the cancelled one
        **{uid: "cancelled" for uid in statuses if uid != user_id(query, "resident-2")},
    }
    assert sorted(statuses.values()) == ["cancelled", "confirmed"]


def test_a_refused_deletion_leaves_task_seats_alone(api, query, monkeypatch):
    from tests.tasks.test_tasks_support import Clock, create_task

    Clock(monkeypatch)
    task = create_task(api, query, capacity=2)
    url = f"/api/v1/tasks/{task['id']}/signups"
    assert api.post(url, "grid-1").get_json()["status"] == "confirmed"
    assert _delete(api, "grid-1").status_code == 409
    mine = api.get(f"/api/v1/tasks/{task['id']}", "grid-1").get_json()
    assert mine["my_signup"]["status"] == "confirmed"


def test_nobody_may_take_a_deleted_accounts_name(api):
    for field in ("nickname", "real_name"):
        resp = api.patch("/api/v1/me", "resident-1", json={field: "已注销用户#1"})
        assert resp.status_code == 422 and error_code(resp) == "validation_error"
    assert api.get("/api/v1/me", "resident-1").get_json()["nickname"] != "已注销用户#1"
