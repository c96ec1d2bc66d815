"""Monthly performance: a worker sees their own month; reviewers and admins see everyone's."""

from datetime import UTC, datetime, timedelta

from server.platform.localtime import month_of
from tests.conftest import error_code
from tests.grid import service_log_helpers as h

upload_dir = h.upload_dir
gapi = h.gapi
ME = "/api/v1/grid/performance/me"
ALL = "/api/v1/grid/performance"


def test_a_workers_month_counts_approved_service(gapi, app, query):
    one, two = h.uid(query, "resident-1"), h.uid(query, "resident-4")
    auto = dict(item=gapi.items.errand)
    h.record(gapi, resident_id=one, duration_minutes=48, **auto)
    h.record(gapi, resident_id=one, duration_minutes=30, **auto)
    visit = h.record(gapi, resident_id=two, duration_minutes=60).get_json()["id"]
    gapi.post(f"{h.LOGS}/{visit}/approve", "reviewer", json={})
    h.record(gapi, duration_minutes=20)  # still pending
    refused = h.record(gapi, resident_id=h.uid(query, "resident-7")).get_json()["id"]
    gapi.post(f"{h.LOGS}/{refused}/reject", "reviewer", json={"reason": "不实"})
    last_month_at = datetime.now(UTC) - timedelta(days=35)
    h.record(gapi, served_at=last_month_at.isoformat(), duration_minutes=90, **auto)

    resp = gapi.get(ME, "grid-1")
    assert resp.status_code == 200, resp.get_json()
    me = resp.get_json()
    assert me["month"] == month_of(datetime.now(UTC))
    assert me["worker"] == {"id": h.uid(query, "grid-1"), "name": "陈*强"}
    assert (me["logs"], me["pending_logs"], me["minutes"], me["hours"]) == (3, 1, 138, 2.3)
    assert me["points"] == 5 + 5 + 10 and me["residents_reached"] == 2
    assert [(k["code"], k["count"]) for k in me["kinds"]] == [("VISIT", 1), ("ERRAND", 2)]

    earlier = gapi.get(ME, "grid-1", query_string={"month": month_of(last_month_at)}).get_json()
    assert (earlier["logs"], earlier["minutes"], earlier["residents_reached"]) == (1, 90, 0)
    empty = gapi.get(ME + "?month=2020-01", "grid-1").get_json()
    assert (empty["logs"], empty["hours"], empty["kinds"]) == (0, 0.0, [])


def test_performance_refusals(gapi, query):
    for identity in ("resident-1", "reviewer"):
        resp = gapi.get(ME, identity)
        assert resp.status_code == 403 and error_code(resp) == "not_a_grid_worker"
    for month in ("2026-13", "2026-1", "202612", "x"):
        assert gapi.get(ME, "grid-1", query_string={"month": month}).status_code == 422
    for identity in ("grid-1", "resident-1"):
        resp = gapi.get(ALL, identity)
        assert resp.status_code == 403 and error_code(resp) == "not_a_reviewer"


def test_reviewers_and_admins_see_every_worker_of_their_community(gapi, app, query):
    h.grant(app, query, "resident-2", "grid_worker", "g2")
    h.record(gapi, item=gapi.items.errand)
    h.other_community(app, query)
    refused = h.record(gapi, "other-worker", item=gapi.items.visit)  # this community's item
    assert refused.status_code == 422 and error_code(refused) == "unknown_service_item"

    for identity in ("reviewer", "admin"):
        rows = gapi.get(ALL, identity).get_json()["items"]
        assert [r["worker"]["id"] for r in rows] == sorted(
            [h.uid(query, "grid-1"), h.uid(query, "resident-2")]
        )
    rows = {r["worker"]["id"]: r for r in gapi.get(ALL, "reviewer").get_json()["items"]}
    assert rows[h.uid(query, "grid-1")]["logs"] == 1
    assert rows[h.uid(query, "resident-2")]["logs"] == 0
    assert all("*" in r["worker"]["name"] for r in rows.values())

    g2 = gapi.get(ALL, "admin", query_string={"grid_id": h.grid_id(query, "g2")}).get_json()
    assert [r["worker"]["id"] for r in g2["items"]] == [h.uid(query, "resident-2")]
    one = gapi.get(ALL, "reviewer", query_string={"worker_id": h.uid(query, "grid-1")})
    assert [r["worker"]["id"] for r in one.get_json()["items"]] == [h.uid(query, "grid-1")]
    not_a_worker = gapi.get(ALL, "reviewer", query_string={"worker_id": h.uid(query, "admin")})
    assert not_a_worker.get_json()["items"] == []
    page = gapi.get(ALL + "?limit=1", "admin").get_json()
    rest = gapi.get(ALL, "admin", query_string={"limit": 1, "cursor": page["next_cursor"]})
    assert len(page["items"]) == 1 and len(rest.get_json()["items"]) == 1
    assert rest.get_json()["next_cursor"] is None

    others = gapi.get(ALL, "other-admin").get_json()["items"]
    assert [r["worker"]["id"] for r in others] == [h.uid(query, "other-worker")]
    assert others[0]["logs"] == 0
