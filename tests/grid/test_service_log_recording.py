"""A grid worker records a service: checks on the grid, resident, item, time and photos; an
`auto` item credits the worker at once, exactly once; a `review` item waits."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.auth.models import User
from server.db.session import db
from server.grid import service_log_review
from server.grid.service_log_models import ServiceLog
from server.outbox.models import OutboxEvent
from tests.conftest import error_code
from tests.grid import service_log_helpers as h

upload_dir = h.upload_dir
gapi = h.gapi


def events(query, prefix="service_log."):
    return query(
        lambda s: s.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.event_type.startswith(prefix))
            .order_by(OutboxEvent.id)
        ).all()
    )


def test_an_auto_item_is_credited_at_once_to_the_grid_worker_ranking(gapi, query):
    resident = h.uid(query, "resident-4")
    resp = h.record(gapi, item=gapi.items.errand, resident_id=resident, notes="代缴水电费")
    assert resp.status_code == 201, resp.get_json()
    log = resp.get_json()
    assert log["status"] == "approved" and log["rule"] == "auto" and log["points"] == 5
    assert log["worker"] == {"id": h.uid(query, "grid-1"), "name": "陈*强"}
    assert log["resident"]["id"] == resident and "*" in log["resident"]["name"]
    assert log["grid"]["name"] == "第一网格（幸福里）" and log["decided_by"] is None
    (entry,) = h.entries(query)
    assert entry.idempotency_key == f"service_log:{log['id']}" and entry.amount == 5
    assert entry.cause_type == "service_log" and "grid_worker" in entry.rank_kinds.split(",")
    assert log["ledger_entry_id"] == entry.id and h.balance(query, "grid-1") == 5
    recorded, approved = events(query)
    assert recorded.event_type == "service_log.recorded"
    assert recorded.payload["status"] == "approved" and recorded.payload["resident_id"] == resident
    assert approved.event_type == "service_log.approved" and approved.payload["automatic"] is True


def test_a_review_item_waits_uncredited(gapi, query):
    resp = h.record(gapi, notes="入户了解独居老人情况")
    assert resp.status_code == 201
    log = resp.get_json()
    assert log["status"] == "pending" and log["ledger_entry_id"] is None
    assert h.entries(query) == []
    assert [e.event_type for e in events(query)] == ["service_log.recorded"]


def test_replayed_request_records_and_credits_once(gapi, query):
    key, served_at = {"Idempotency-Key": "svc-retry-1"}, h.now_iso(timedelta(minutes=-5))
    first = h.record(gapi, item=gapi.items.errand, headers=key, served_at=served_at)
    again = h.record(gapi, item=gapi.items.errand, headers=key, served_at=served_at)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert h.log_count(query) == 1 and len(h.entries(query)) == 1


def test_crediting_a_log_again_posts_nothing_new(gapi, app, query):
    log_id = h.record(gapi, item=gapi.items.errand).get_json()["id"]
    with app.app_context():
        log = db.session.get(ServiceLog, log_id)
        service_log_review.credit_log(log, None)  # a retry after the first credit committed
        db.session.commit()
        db.session.remove()
    assert len(h.entries(query)) == 1 and h.balance(query, "grid-1") == 5


@pytest.mark.parametrize("identity", ["resident-1", "reviewer", "admin"])
def test_only_grid_workers_record(gapi, query, identity):
    resp = h.record(gapi, identity)
    assert resp.status_code == 403 and error_code(resp) == "not_a_grid_worker"
    assert h.log_count(query) == 0


def test_a_worker_records_only_in_their_own_grids(gapi, app, query):
    resp = h.record(gapi, grid_id=h.grid_id(query, "g2"))
    assert resp.status_code == 403 and error_code(resp) == "not_grid_worker_of_grid"
    h.grant(app, query, "grid-1", "grid_worker", "g2")
    resp = h.record(gapi)
    assert resp.status_code == 422 and error_code(resp) == "grid_required"
    resp = h.record(gapi, grid_id=h.grid_id(query, "g2"), resident_id=h.uid(query, "resident-2"))
    assert resp.status_code == 201 and resp.get_json()["grid"]["id"] == h.grid_id(query, "g2")
    assert h.log_count(query) == 1


def test_the_resident_must_live_in_the_workers_grid(gapi, app, query):
    h.other_community(app, query)
    cases = {
        h.uid(query, "resident-2"): "resident_not_in_grid",  # grid g2
        h.uid(query, "outsider"): "resident_not_in_grid",  # another community
        2**31 - 1: "resident_not_in_grid",  # nobody
        h.uid(query, "grid-1"): "cannot_serve_self",
    }
    for resident_id, code in cases.items():
        resp = h.record(gapi, resident_id=resident_id)
        assert resp.status_code == 422 and error_code(resp) == code, resident_id
    assert h.log_count(query) == 0


def test_items_of_other_communities_and_inactive_items_are_refused(gapi, app, query):
    other = h.other_community(app, query)
    resp = h.record(gapi, item=other.item_id)
    assert resp.status_code == 422 and error_code(resp) == "unknown_service_item"
    gapi.patch(f"{h.ADMIN_ITEMS}/{gapi.items.visit}", "admin", json={"active": False})
    resp = h.record(gapi)
    assert resp.status_code == 422 and error_code(resp) == "service_item_inactive"
    assert h.log_count(query) == 0


@pytest.mark.parametrize(
    "body, code",
    [
        ({"served_at": h.now_iso(timedelta(hours=1))}, "served_at_in_future"),
        ({"served_at": h.now_iso(timedelta(days=-61))}, "served_at_too_old"),
        ({"served_at": "2026-12-01T10:00:00"}, "validation_error"),  # no time zone
        ({"duration_minutes": 0}, "validation_error"),
        ({"duration_minutes": 1441}, "validation_error"),
        ({"place": "  "}, "place_required"),
        ({"place": "楼" * 101}, "validation_error"),
        ({"notes": "记" * 501}, "validation_error"),
        ({"notes": "a\x00b"}, "validation_error"),
        ({"photo_ids": list(range(1, 11))}, "validation_error"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(gapi, query, body, code):
    resp = h.record(gapi, **body)
    assert resp.status_code == 422, resp.get_json()
    assert error_code(resp) == code
    assert h.log_count(query) == 0 and h.entries(query) == []


def test_photos_are_attached_and_shown_only_to_the_worker_and_reviewers(gapi, app, query):
    h.other_community(app, query)
    photos = [h.upload(gapi, "grid-1").get_json()["id"] for _ in range(9)]
    resp = h.record(gapi, photo_ids=photos)
    assert resp.status_code == 201, resp.get_json()
    assert [p["id"] for p in resp.get_json()["photos"]] == photos
    url = f"/api/v1/uploads/{photos[0]}"
    for identity in ("grid-1", "reviewer", "admin"):
        assert gapi.get(url, identity).status_code == 200, identity
    for identity in ("resident-1", "other-admin"):
        assert gapi.get(url, identity).status_code == 404, identity

    again = h.record(gapi, photo_ids=[photos[0]])
    assert again.status_code == 409 and error_code(again) == "upload_already_attached"
    someone_elses = h.upload(gapi, "resident-1").get_json()["id"]
    for bad in ([someone_elses], [2**31 - 1], [photos[1], photos[1]]):
        resp = h.record(gapi, photo_ids=bad)
        assert resp.status_code == 422, bad
    assert h.log_count(query) == 1


def test_resident_search_returns_masked_names_of_the_own_grid_only(gapi, app, query):
    h.other_community(app, query)

    def search(q, **params):
        resp = gapi.get(h.RESIDENTS, "grid-1", query_string={"q": q, **params})
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()

    found = search("张伟")["items"]
    assert found == [{"id": h.uid(query, "resident-1"), "name": "张*明"}]
    # 王建国 (admin) lives in g1, 王芳 (resident-2) in g2: only the first is found.
    assert search("王")["items"] == [{"id": h.uid(query, "admin"), "name": "王*国"}]
    assert search("王芳")["items"] == []
    assert search("%")["items"] == []  # a literal character, not a wildcard
    assert search("outsider")["items"] == []  # another community's member

    # 王建国 and 胡建军 (resident-13), both of g1, one page each.
    page = search("建", limit=1)
    rest = search("建", limit=1, cursor=page["next_cursor"])
    assert rest["next_cursor"] is None
    ids = [p["id"] for p in page["items"] + rest["items"]]
    assert ids == sorted([h.uid(query, "admin"), h.uid(query, "resident-13")])
    assert all("*" in p["name"] for p in page["items"] + rest["items"])


def test_resident_search_refusals(gapi, query):
    resp = gapi.get(h.RESIDENTS + "?q=张", "resident-1")
    assert resp.status_code == 403 and error_code(resp) == "not_a_grid_worker"
    assert gapi.get(h.RESIDENTS, "grid-1").status_code == 422
    resp = gapi.get(h.RESIDENTS, "grid-1", query_string={"q": "  "})
    assert resp.status_code == 422 and error_code(resp) == "query_required"
    assert gapi.get(h.RESIDENTS + "?q=" + "张" * 33, "grid-1").status_code == 422
    resp = gapi.get(h.RESIDENTS + f"?q=张&grid_id={h.grid_id(query, 'g2')}", "grid-1")
    assert resp.status_code == 403 and error_code(resp) == "not_grid_worker_of_grid"


def test_the_view_never_carries_a_phone_number(gapi, app, query):
    resident = h.uid(query, "resident-4")
    with app.app_context():
        db.session.get(User, resident).phone = "13812345678"
        db.session.commit()
        db.session.remove()
    resp = h.record(gapi, resident_id=resident)
    assert "13812345678" not in resp.get_data(as_text=True)
    assert "5678" not in str(resp.get_json()["resident"])
