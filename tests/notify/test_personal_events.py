"""Every personal event type reaches its recipient(s) through the emulator, opening its page."""

import pytest

from server.wechat.subscribe_templates import DEV_TEMPLATE_IDS
from tests.notify import personal_helpers as h
from tests.tasks.test_tasks_support import Clock, create_task


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    return Clock(monkeypatch)


def _task(api, query, app, event_type):
    task = create_task(api, query, title="重阳节敬老院慰问演出")
    for who in ("resident-1", "resident-2"):
        assert api.post(f"/api/v1/tasks/{task['id']}/signups", who).status_code == 201
    with app.app_context():
        user = h.uid("resident-1")
        base = {"task_id": task["id"], "title": task["title"]}
        payload = {
            "task.reminder": {**base, "starts_at": task["starts_at"]},
            "task.signup.task_cancelled": {**base, "user_id": user, "reason": "暴雨预警"},
            "task.signup.promoted": {**base, "user_id": user},
            "task.updated": {
                "task_id": task["id"],
                "changed": ["starts_at"],
                "promoted_user_ids": [],
            },  # fmt: skip
        }[event_type]
        h.emit(event_type, "task", task["id"], payload)
    return f"pages/task-detail/index?id={task['id']}"


def _claim(api, query, app, event_type):
    with app.app_context():
        user, item = h.uid("resident-1"), h.item()
        payload = {"claim_id": 7, "decision": "rejected", "claimant_id": user,
                   "organisation_id": None, "item_id": item.id, "item_version_id": None,
                   "status": "rejected", "points": None, "reason": "照片看不清",
                   "ledger_entry_id": None}  # fmt: skip
        h.emit(event_type, "claim", 7, payload)
    return "pages/my-claims/index"


def _redemption(api, query, app, event_type):
    with app.app_context():
        r = h.make_redemption("resident-1")
        if event_type == "redemption.expiring":
            payload = {"user_id": r.user_id, "offer_id": r.offer_id, "offer_title": "大米 5 斤",
                       "points": r.points, "expires_at": r.expires_at.isoformat()}  # fmt: skip
        else:
            payload = {"user_id": r.user_id, "merchant_id": r.merchant_id, "status": "redeemed",
                       "redeemed_at": h.WHEN.isoformat(), "points": r.points,
                       "offer_id": r.offer_id, "ledger_entry_id": 1}  # fmt: skip
        h.emit(event_type, "redemption", r.id, payload)
        return f"pages/redemption/index?id={r.id}"


def _report(api, query, app, event_type):
    with app.app_context():
        report = h.make_report("resident-1", "g1")
        payload = {"report_id": report.id, "reporter_id": report.reporter_id,
                   "grid_id": report.grid_id, "status": event_type.split(".")[1]}  # fmt: skip
        if event_type == "report.overdue":
            payload.update(status="accepted", due_at=h.WHEN.isoformat())
        else:
            payload["actor_id"] = h.uid("grid-1")
        if event_type == "report.accepted":
            payload["reporter_entry_id"] = None
        h.emit(event_type, "report", report.id, payload)
        suffix = "&handle=1" if event_type == "report.overdue" else ""
        return f"pages/report-detail/index?id={report.id}{suffix}"


def _wish(api, query, app, event_type):
    with app.app_context():
        wish = h.make_wish("resident-1")
        claimer = h.uid("resident-2")
        payload = {"wish_id": wish.id, "resident_id": wish.resident_id, "claimer_id": claimer,
                   "claimer_kind": "person", "claimer_merchant_id": None,
                   "claimer_organisation_id": None, "status": event_type.split(".")[1]}  # fmt: skip
        if event_type == "wish.fulfilled":
            payload["fulfilled_by"] = claimer
        h.emit(event_type, "wish", wish.id, payload)
        return f"pages/wish-detail/index?id={wish.id}"


CASES = [
    # event type, who is told, kind, what the message says (a field and its value)
    ("task.reminder", "resident-1", "task_reminder", _task, ("thing1", "重阳节敬老院慰问演出")),
    ("task.signup.task_cancelled", "resident-1", "task_changed", _task, ("phrase2", "活动取消")),
    ("task.signup.promoted", "resident-1", "task_changed", _task, ("phrase2", "候补转正")),
    ("task.updated", "resident-1", "task_changed", _task, ("phrase2", "时间变更")),
    ("claim.decided", "resident-1", "claim_result", _claim, ("thing4", "照片看不清")),
    ("redemption.redeemed", "resident-1", "redemption", _redemption, ("phrase2", "已核销")),
    ("redemption.expiring", "resident-1", "redemption", _redemption, ("thing1", "大米 5 斤")),
    ("report.accepted", "resident-1", "report_progress", _report, ("phrase3", "已受理")),
    ("report.resolved", "resident-1", "report_progress", _report, ("phrase3", "已解决")),
    ("report.overdue", "grid-1", "report_progress", _report, ("phrase3", "已超时")),
    ("wish.claimed", "resident-1", "wish_progress", _wish, ("phrase2", "已认领")),
    ("wish.fulfilled", "resident-1", "wish_progress", _wish, ("phrase2", "已完成")),
]


@pytest.mark.parametrize(("event_type", "who", "kind", "make", "says"), CASES)
def test_a_personal_event_reaches_its_recipient_with_its_page(
    api, seeded, app, emulator, query, event_type, who, kind, make, says
):
    h.drain(app)  # the demo's own events: nobody had accepted anything
    for identity in {who, "resident-1", "resident-2"}:
        h.accept(api, identity, kind)
    page = make(api, query, app, event_type)
    counts = h.drain(app)
    (msg,) = h.received(emulator, who)
    assert msg["template_id"] == DEV_TEMPLATE_IDS[kind]
    assert msg["page"] == page
    field, value = says
    assert msg["data"][field]["value"] == value
    if who != "resident-1":  # the reporter is not told of an overdue report
        assert h.received(emulator, "resident-1") == []
    everyone_signed_up = event_type in ("task.reminder", "task.updated")
    told = [(m["page"], m["data"]) for m in h.received(emulator, "resident-2")]
    assert told == ([(msg["page"], msg["data"])] if everyone_signed_up else [])
    assert counts["sent"] == (2 if everyone_signed_up else 1)


def test_a_reminder_goes_only_to_confirmed_sign_ups(api, seeded, app, emulator, query):
    h.drain(app)
    task = create_task(api, query, title="社区义诊", capacity=1)
    for who in ("resident-1", "resident-2"):
        h.accept(api, who, "task_reminder")
        assert api.post(f"/api/v1/tasks/{task['id']}/signups", who).status_code == 201
    with app.app_context():
        payload = {"task_id": task["id"], "title": task["title"], "starts_at": task["starts_at"]}
        h.emit("task.reminder", "task", task["id"], payload)
    assert h.drain(app)["sent"] == 1
    assert len(h.received(emulator, "resident-1")) == 1
    assert h.received(emulator, "resident-2") == []  # on the waitlist
