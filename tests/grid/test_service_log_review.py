"""Review of service logs: who may decide, once, never their own; approval credits once."""

import pytest
from sqlalchemy import select

from server.auth.models import User
from server.db.audit import AuditLog
from server.db.session import db
from server.grid import service_log_review
from server.grid.service_log_models import ServiceLog
from server.http.errors import AppError
from server.outbox.models import OutboxEvent
from tests.conftest import error_code
from tests.grid import service_log_helpers as h

upload_dir = h.upload_dir
gapi = h.gapi


def approve(api, log_id, identity="reviewer", **body):
    return api.post(f"{h.LOGS}/{log_id}/approve", identity, json=body)


def reject(api, log_id, identity="reviewer", **body):
    return api.post(f"{h.LOGS}/{log_id}/reject", identity, json=body)


def status_of(query, log_id):
    return query(lambda s: s.get(ServiceLog, log_id).status)


def audits(query):
    return query(
        lambda s: s.scalars(
            select(AuditLog).where(AuditLog.target_type == "service_log").order_by(AuditLog.id)
        ).all()
    )


@pytest.fixture
def pending(gapi):
    resp = h.record(gapi, notes="调解邻里噪音纠纷")
    assert resp.status_code == 201
    return resp.get_json()["id"]


def test_approval_credits_the_worker_once_and_is_audited(gapi, query, pending):
    resp = approve(gapi, pending, reason="情况属实")
    assert resp.status_code == 200, resp.get_json()
    log = resp.get_json()
    assert log["status"] == "approved" and log["decision_reason"] == "情况属实"
    assert log["decided_by"] == {"id": h.uid(query, "reviewer"), "name": "李*英"}
    (entry,) = h.entries(query)
    assert entry.idempotency_key == f"service_log:{pending}" and entry.amount == 10
    assert entry.actor_id == h.uid(query, "reviewer") and log["ledger_entry_id"] == entry.id
    assert h.balance(query, "grid-1") == 10
    (audit,) = audits(query)
    assert audit.action == "service_log.approve" and audit.before == {"status": "pending"}
    assert audit.after["status"] == "approved" and audit.after["ledger_entry_id"] == entry.id
    event = query(
        lambda s: s.scalar(
            select(OutboxEvent).where(OutboxEvent.event_type == "service_log.approved")
        )
    )
    assert event.payload["automatic"] is False
    assert event.payload["decided_by"] == h.uid(query, "reviewer")

    for again in (approve(gapi, pending, "admin"), reject(gapi, pending, reason="重复")):
        assert again.status_code == 409 and error_code(again) == "service_log_already_decided"
    assert len(h.entries(query)) == 1 and status_of(query, pending) == "approved"
    assert len(audits(query)) == 1


def test_rejection_needs_a_reason_and_credits_nothing(gapi, query, pending):
    assert reject(gapi, pending).status_code == 422
    assert reject(gapi, pending, reason="").status_code == 422
    resp = reject(gapi, pending, "admin", reason="未见服务照片")
    assert resp.status_code == 200 and resp.get_json()["status"] == "rejected"
    assert h.entries(query) == [] and h.balance(query, "grid-1") == 0
    (audit,) = audits(query)
    assert audit.action == "service_log.reject" and audit.after["reason"] == "未见服务照片"
    again = approve(gapi, pending)
    assert again.status_code == 409 and error_code(again) == "service_log_already_decided"
    assert h.entries(query) == []


def test_nobody_approves_their_own_log(gapi, app, query, pending):
    h.grant(app, query, "grid-1", "reviewer")
    resp = approve(gapi, pending, "grid-1")
    assert resp.status_code == 403 and error_code(resp) == "cannot_review_own_service_log"
    assert resp.get_json()["error"]["message"] == "不能审核自己的服务记录"
    resp = reject(gapi, pending, "grid-1", reason="自己驳回")
    assert resp.status_code == 403
    assert status_of(query, pending) == "pending" and h.entries(query) == []


def test_only_the_communitys_reviewers_decide(gapi, app, query, pending):
    h.grant(app, query, "resident-2", "grid_worker", "g2")  # a worker, not a reviewer
    for identity in ("resident-1", "resident-2"):
        resp = approve(gapi, pending, identity)
        assert resp.status_code == 403 and error_code(resp) == "not_a_reviewer", identity
    h.other_community(app, query)
    resp = approve(gapi, pending, "other-admin")
    assert resp.status_code == 404 and error_code(resp) == "service_log_not_found"
    assert approve(gapi, 2**31 - 1).status_code == 404
    assert status_of(query, pending) == "pending" and h.entries(query) == []


def test_an_automatic_log_cannot_be_decided_again(gapi, query):
    log_id = h.record(gapi, item=gapi.items.errand).get_json()["id"]
    resp = approve(gapi, log_id)
    assert resp.status_code == 409 and error_code(resp) == "service_log_already_decided"
    assert len(h.entries(query)) == 1


def test_an_approval_replayed_with_its_key_answers_the_first_result(gapi, query, pending):
    key = {"Idempotency-Key": "approve-1"}
    first = gapi.post(f"{h.LOGS}/{pending}/approve", "reviewer", json={}, headers=key)
    again = gapi.post(f"{h.LOGS}/{pending}/approve", "reviewer", json={}, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.get_json() == first.get_json()
    assert len(h.entries(query)) == 1


def test_decide_log_service_refusals(gapi, app, query, pending):
    with app.app_context():
        reviewer = db.session.get(User, h.uid(query, "reviewer"))
        with pytest.raises(AppError) as exc:
            service_log_review.decide_log(reviewer, pending, "reject", "  ")
        assert exc.value.code == "reason_required"
        service_log_review.decide_log(reviewer, pending, "approve")
        with pytest.raises(AppError) as exc:
            service_log_review.decide_log(reviewer, pending, "approve")
        assert exc.value.code == "service_log_already_decided"
        db.session.remove()
    assert len(h.entries(query)) == 1


# --- who sees what --------------------------------------------------------------------------


def test_the_queue_is_for_reviewers_oldest_first(gapi, app, query):
    h.grant(app, query, "resident-2", "grid_worker", "g2")
    first = h.record(gapi).get_json()["id"]
    second = h.record(gapi, "resident-2").get_json()["id"]
    auto = h.record(gapi, item=gapi.items.errand).get_json()["id"]

    queue = gapi.get(h.LOGS + "?scope=queue", "reviewer").get_json()
    assert [log["id"] for log in queue["items"]] == [first, second]
    by_worker = gapi.get(
        h.LOGS, "admin", query_string={"scope": "queue", "worker_id": h.uid(query, "resident-2")}
    ).get_json()
    assert [log["id"] for log in by_worker["items"]] == [second]
    done = gapi.get(h.LOGS + "?scope=queue&status=approved", "reviewer").get_json()
    assert [log["id"] for log in done["items"]] == [auto]
    page = gapi.get(h.LOGS + "?scope=queue&limit=1", "reviewer").get_json()
    assert len(page["items"]) == 1 and page["next_cursor"]

    for identity in ("grid-1", "resident-1"):
        resp = gapi.get(h.LOGS + "?scope=queue", identity)
        assert resp.status_code == 403 and error_code(resp) == "not_a_reviewer"
    mine = gapi.get(h.LOGS, "grid-1").get_json()
    assert [log["id"] for log in mine["items"]] == [auto, first]
    assert gapi.get(h.LOGS, "resident-1").get_json()["items"] == []
    h.other_community(app, query)
    assert gapi.get(h.LOGS + "?scope=queue", "other-admin").get_json()["items"] == []


def test_a_log_is_seen_by_its_worker_and_reviewers_only(gapi, app, query):
    log_id = h.record(gapi, resident_id=h.uid(query, "resident-1")).get_json()["id"]
    h.other_community(app, query)
    for identity in ("grid-1", "reviewer", "admin"):
        assert gapi.get(f"{h.LOGS}/{log_id}", identity).status_code == 200, identity
    for identity in ("resident-1", "resident-4", "other-admin", "other-worker"):
        resp = gapi.get(f"{h.LOGS}/{log_id}", identity)
        assert resp.status_code == 404 and error_code(resp) == "service_log_not_found"
