"""Personal notices: planned once per event and person, sent as subscribe messages only on an
acceptance, each acceptance spent once; WeChat's refusals recorded, its hiccups retried."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.auth.models import User
from server.db.session import db
from server.db.types import utcnow
from server.notify import deliveries, personal_send
from server.notify.personal_plan import plan_personal
from server.notify.subscribe_models import PersonalNotice, SubscriptionCount
from server.outbox.models import OutboxEvent
from server.wechat.subscribe_templates import DEV_TEMPLATE_IDS
from tests.concurrency import run_n_together
from tests.notify import personal_helpers as h
from tests.tasks.test_tasks_support import Clock, create_task

TITLE_30 = "社区红色志愿服务队周末清洁家园美化环境共建文明幸福小区活动日"


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def demo(seeded, app):
    """The demo community with its seeding's events already planned (nobody had accepted)."""
    h.drain(app)


def wish_event(app, resident="resident-4", event_type="wish.claimed", title=None) -> int:
    with app.app_context():
        wish = h.make_wish(resident, **({"title": title} if title else {}))
        claimer = h.uid("resident-1")
        payload = {"wish_id": wish.id, "resident_id": wish.resident_id, "claimer_id": claimer,
                   "claimer_kind": "person", "claimer_merchant_id": None,
                   "claimer_organisation_id": None, "status": event_type.split(".")[1]}  # fmt: skip
        if event_type == "wish.fulfilled":
            payload["fulfilled_by"] = claimer
        h.emit(event_type, "wish", wish.id, payload)
        return wish.id


def claim_payload(claimant_id: int, item_id: int, decision="approved", reason=None) -> dict:
    approved = decision == "approved"
    return {"claim_id": 1, "decision": decision, "claimant_id": claimant_id,
            "organisation_id": None, "item_id": item_id, "item_version_id": None,
            "status": decision, "points": 10 if approved else None, "reason": reason,
            "ledger_entry_id": None}  # fmt: skip


def test_two_acceptances_allow_two_messages_and_a_third_is_no_consent(api, demo, app, emulator):
    h.accept(api, "resident-4", "wish_progress")
    h.accept(api, "resident-4", "wish_progress")
    assert h.remaining(api, "resident-4")["wish_progress"] == 2
    for _ in range(3):
        wish_event(app)
    assert h.drain(app) == {"planned": 0, "sent": 2, "no_consent": 1}
    assert len(h.received(emulator, "resident-4")) == 2
    assert h.remaining(api, "resident-4")["wish_progress"] == 0
    wish_event(app)
    assert h.drain(app) == {"planned": 0, "no_consent": 1}  # nothing goes to WeChat
    assert len(h.received(emulator, "resident-4")) == 2


def test_a_refusal_43101_is_recorded_not_retried_and_later_events_use_what_is_left(
    api, demo, app, emulator, query
):
    h.accept(api, "resident-4", "wish_progress")
    h.accept(api, "resident-4", "wish_progress")
    h.refuse(emulator, "resident-4", "wish_progress")
    wish_event(app)
    assert h.drain(app)["refused"] == 1
    (notice,) = h.notices(query)
    assert (notice.status, notice.attempts) == ("refused", 1)
    assert notice.last_error.startswith("43101")
    assert h.drain(app, utcnow() + timedelta(days=1)) == {"planned": 0}  # never retried
    emulator.reset()  # the resident turned the template on again
    wish_event(app, event_type="wish.fulfilled")
    assert h.drain(app)["sent"] == 1
    assert [m["data"]["phrase2"]["value"] for m in h.received(emulator, "resident-4")] == ["已完成"]
    assert h.remaining(api, "resident-4")["wish_progress"] == 0


def test_a_busy_wechat_is_retried_without_spending_another_acceptance(
    api, demo, app, emulator, query
):
    h.accept(api, "resident-4", "wish_progress")
    emulator.fault("subscribe/send", errcode=-1, times=1)
    wish_event(app)
    assert h.drain(app)["pending"] == 1
    (notice,) = h.notices(query)
    assert notice.consent_spent and notice.attempts == 1 and notice.last_error.startswith("-1")
    assert notice.next_attempt_at > utcnow()
    assert h.drain(app, utcnow() + timedelta(hours=2))["sent"] == 1
    assert len(h.received(emulator, "resident-4")) == 1
    (notice,) = h.notices(query)
    assert (notice.status, notice.attempts) == ("sent", 2)


def test_a_notice_failing_every_time_ends_dead_after_the_last_attempt(
    api, demo, app, emulator, query
):
    h.accept(api, "resident-4", "wish_progress")
    emulator.fault("subscribe/send", errcode=45009)
    wish_event(app)
    now = utcnow() + timedelta(seconds=1)
    for _ in range(deliveries.MAX_ATTEMPTS):
        h.drain(app, now)
        now += timedelta(hours=2)
    (notice,) = h.notices(query)
    assert (notice.status, notice.attempts) == ("dead", deliveries.MAX_ATTEMPTS)
    assert h.remaining(api, "resident-4")["wish_progress"] == 0  # spent once, kept by the row


def test_a_template_wechat_does_not_know_is_dead_at_once(api, demo, app, emulator, query):
    h.accept(api, "resident-4", "wish_progress")
    emulator.fault("subscribe/send", errcode=40037, times=1)
    wish_event(app)
    assert h.drain(app)["dead"] == 1
    assert h.notices(query)[0].attempts == 1


def test_a_card_holder_without_an_openid_is_no_openid(api, demo, app, emulator, query):
    with app.app_context():
        holder = User(real_name="郭桂兰")
        db.session.add(holder)
        db.session.flush()
        holder_id = holder.id
        db.session.add(SubscriptionCount(user_id=holder_id, kind="claim_result", count=1))
        db.session.commit()
        h.emit("claim.decided", "claim", 1, claim_payload(holder_id, h.item().id))
    assert h.drain(app)["no_openid"] == 1
    assert query(lambda s: s.get(SubscriptionCount, (holder_id, "claim_result")).count) == 1


def test_planning_an_event_twice_plans_one_notice_per_person(api, demo, app, query):
    wish_event(app)
    with app.app_context():
        event = db.session.scalars(select(OutboxEvent).order_by(OutboxEvent.id.desc())).first()
        assert plan_personal(event) == 1
        assert plan_personal(event) == 0
        db.session.commit()
    assert len(h.notices(query)) == 1


def test_a_cancelled_task_tells_the_signed_up_with_its_title_cut_to_twenty_characters(
    api, demo, app, emulator, query
):
    task = create_task(api, query, title=TITLE_30)
    h.accept(api, "resident-1", "task_reminder", "task_changed")
    assert api.post(f"/api/v1/tasks/{task['id']}/signups", "resident-1").status_code == 201
    resp = api.post(f"/api/v1/tasks/{task['id']}/cancel", "admin", json={"reason": "暴雨预警"})
    assert resp.status_code == 200, resp.get_json()
    assert h.drain(app)["sent"] == 1
    (msg,) = h.received(emulator, "resident-1")
    assert msg["template_id"] == DEV_TEMPLATE_IDS["task_changed"]
    assert msg["page"] == f"pages/task-detail/index?id={task['id']}"
    assert msg["data"]["thing1"]["value"] == TITLE_30[:19] + "…"
    assert len(msg["data"]["thing1"]["value"]) == 20
    assert msg["data"]["phrase2"]["value"] == "活动取消"
    assert msg["data"]["thing4"]["value"] == "暴雨预警"
    assert h.remaining(api, "resident-1") == {**h.remaining(api, "resident-1"), "task_changed": 0}


def test_a_task_edit_tells_the_signed_up_only_when_time_or_place_changed(
    api, demo, app, emulator, query
):
    task = create_task(api, query)
    h.accept(api, "resident-1", "task_changed", "task_changed")
    assert api.post(f"/api/v1/tasks/{task['id']}/signups", "resident-1").status_code == 201
    path = f"/api/v1/tasks/{task['id']}"
    assert api.patch(path, "admin", json={"description": "请自带手套"}).status_code == 200
    assert h.drain(app).get("sent", 0) == 0
    assert api.patch(path, "admin", json={"place_name": "幸福里 5 号投放点"}).status_code == 200
    assert h.drain(app)["sent"] == 1
    (msg,) = h.received(emulator, "resident-1")
    assert msg["data"]["phrase2"]["value"] == "地点变更"
    assert "5 号投放点" in msg["data"]["thing4"]["value"]


@pytest.mark.postgres
def test_ten_workers_racing_over_ten_notices_with_three_acceptances_send_exactly_three(
    api, demo, app, emulator, query
):
    for _ in range(3):
        h.accept(api, "resident-4", "wish_progress")
    for _ in range(10):
        wish_event(app)
    with app.app_context():
        deliveries.plan_deliveries()
        db.session.remove()
    ids = [n.id for n in h.notices(query)]
    assert len(ids) == 10
    results = run_n_together(app, 10, lambda i: personal_send.send_personal_one(ids[i]))
    assert sorted(r[1] for r in results) == ["no_consent"] * 7 + ["sent"] * 3
    assert len(h.received(emulator, "resident-4")) == 3
    assert h.remaining(api, "resident-4")["wish_progress"] == 0
    statuses = query(lambda s: s.scalars(select(PersonalNotice.status)).all())
    assert sorted(statuses) == ["no_consent"] * 7 + ["sent"] * 3
