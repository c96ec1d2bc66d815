"""A rejected claim corrected and filed again: once per rejection, through the filing checks."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.auth.models import User
from server.community.card_holder_models import ActOnBehalf
from server.db.session import db
from server.http.errors import AppError
from server.outbox.models import OutboxEvent
from server.points import claim_review
from server.points import claims as claims_service
from server.points.claim_models import PointClaim
from server.points.models import PointItem
from server.uploads.models import Upload
from server.wechat.emulator import stable_id
from tests import claims_helpers
from tests.cards.card_helpers import acting, registered
from tests.claims_helpers import days_ago, item_id, today, upload
from tests.concurrency import run_together
from tests.conftest import APPID, error_code

upload_dir = claims_helpers.upload_dir
pytestmark = pytest.mark.usefixtures("upload_dir")
CLAIMS = "/api/v1/points/claims"


@pytest.fixture
def capi(api, query, seeded):
    api.query = query
    return api


def body(api, code="C01", **over):
    return {
        "item_id": item_id(api.query, code),
        "occurred_on": today().isoformat(),
        "description": "在小区垃圾分类点督导两小时",
        **over,
    }


def rejected(api, identity="resident-1", headers=None, **over) -> dict:
    resp = api.post(CLAIMS, identity, json=body(api, **over), headers=dict(headers or {}))
    assert resp.status_code == 201, resp.get_json()
    claim = resp.get_json()
    resp = api.post(f"{CLAIMS}/{claim['id']}/reject", "reviewer", json={"reason": "照片看不清"})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def resubmit(api, claim_id, identity="resident-1", headers=None, **over):
    payload = over.pop("payload", None) or body(api, **over)
    return api.post(
        f"{CLAIMS}/{claim_id}/resubmit", identity, json=payload, headers=dict(headers or {})
    )


def claim_count(query):
    return query(lambda s: s.scalar(select(func.count(PointClaim.id))))


def user_id(identity):
    return db.session.scalar(
        select(User.id).where(User.openid == stable_id(APPID, identity, "openid"))
    )


def test_owner_corrects_and_resubmits_keeping_the_rejection_visible(capi, query):
    kept = upload(capi, "resident-1").get_json()["id"]
    old = rejected(capi, photo_ids=[kept])
    assert old["resubmittable"] is True and old["resubmitted_as"] is None

    fresh = upload(capi, "resident-1").get_json()["id"]
    resp = resubmit(
        capi,
        old["id"],
        description="补充了清晰的照片：在垃圾分类点督导两小时",
        occurred_on=days_ago(1),
        photo_ids=[kept, fresh],
    )
    assert resp.status_code == 201, resp.get_json()
    new = resp.get_json()
    assert new["id"] != old["id"] and new["status"] == "pending"
    assert new["resubmitted_from"] == old["id"] and new["resubmittable"] is False
    assert new["occurred_on"] == days_ago(1) and new["description"].startswith("补充")
    assert [p["id"] for p in new["photos"]] == [kept, fresh]

    before = capi.get(f"{CLAIMS}/{old['id']}", "resident-1").get_json()
    assert before["status"] == "rejected" and before["decision_reason"] == "照片看不清"
    assert before["resubmitted_as"] == new["id"] and before["resubmittable"] is False
    listed = capi.get(CLAIMS, "resident-1").get_json()["items"]
    assert [c["id"] for c in listed] == [new["id"], old["id"]]

    # The kept photo stays the rejected claim's; the new one belongs to the new claim.
    attached = dict(query(lambda s: s.execute(select(Upload.id, Upload.attached_id)).all()))
    assert attached == {kept: str(old["id"]), fresh: str(new["id"])}
    for identity in ("resident-1", "reviewer"):
        assert capi.get(f"/api/v1/uploads/{kept}", identity).status_code == 200
    events = query(
        lambda s: [
            (e.event_type, e.payload.get("resubmitted_from"))
            for e in s.scalars(select(OutboxEvent).order_by(OutboxEvent.id))
        ]
    )
    assert events[-1] == ("claim.submitted", old["id"])

    # Once per rejection: the new claim, rejected in turn, may be corrected once more.
    resp = resubmit(capi, old["id"])
    assert resp.status_code == 409 and error_code(resp) == "claim_already_resubmitted"
    capi.post(f"{CLAIMS}/{new['id']}/reject", "reviewer", json={"reason": "仍不清楚"})
    third = resubmit(capi, new["id"], occurred_on=days_ago(2))
    assert third.status_code == 201 and third.get_json()["resubmitted_from"] == new["id"]


def test_only_the_owner_of_a_rejected_claim_may(capi, query):
    old = rejected(capi)
    for identity in ("resident-2", "reviewer", "admin"):
        resp = resubmit(capi, old["id"], identity)
        assert resp.status_code == 404 and error_code(resp) == "claim_not_found", identity
    assert resubmit(capi, 999999).status_code == 404
    assert resubmit(capi, 2**40).status_code == 404

    pending = capi.post(CLAIMS, "resident-1", json=body(capi, "H01")).get_json()
    resp = resubmit(capi, pending["id"], code="H01")
    assert resp.status_code == 409 and error_code(resp) == "claim_not_rejected"
    assert resp.get_json()["error"]["details"]["status"] == "pending"
    assert pending["resubmittable"] is False
    capi.post(f"{CLAIMS}/{pending['id']}/approve", "reviewer", json={})
    resp = resubmit(capi, pending["id"], code="H01")
    assert resp.status_code == 409 and error_code(resp) == "claim_not_rejected"
    assert claim_count(query) == 2


def test_bad_fields_change_nothing(capi, query):
    old = rejected(capi)
    theirs = upload(capi, "resident-2").get_json()["id"]
    mine = upload(capi, "resident-1").get_json()["id"]
    future = (today() + timedelta(days=1)).isoformat()
    cases = [
        ({"description": "   "}, "description_required"),
        ({"description": "x" * 501}, "validation_error"),
        ({"occurred_on": future}, "occurred_on_in_future"),
        ({"occurred_on": "2026-02-30"}, "validation_error"),
        ({"item_id": 999999}, "unknown_item"),
        ({"photo_ids": [theirs]}, "upload_not_found"),
        ({"photo_ids": list(range(1, 11))}, "validation_error"),
        ({"photo_ids": [mine, mine]}, "validation_error"),
        ({"organisation_id": None}, "validation_error"),  # the original's unit is kept
        ({"unexpected": 1}, "validation_error"),
    ]
    for over, code in cases:
        resp = resubmit(capi, old["id"], **{"photo_ids": [mine], **over})
        assert (resp.status_code, error_code(resp)) == (422, code), (over, resp.get_json())
    assert claim_count(query) == 1
    assert query(lambda s: s.get(Upload, mine).attached_type) is None
    assert capi.get(f"{CLAIMS}/{old['id']}", "resident-1").get_json()["resubmittable"] is True
    assert resubmit(capi, old["id"], photo_ids=[mine]).status_code == 201


def test_the_filing_checks_apply(capi, query):
    old = rejected(capi)
    # The slot the rejection freed has been taken by a new claim for the same day.
    assert capi.post(CLAIMS, "resident-1", json=body(capi)).status_code == 201
    resp = resubmit(capi, old["id"])
    assert resp.status_code == 409 and error_code(resp) == "duplicate_claim"
    resp = resubmit(capi, old["id"], occurred_on=days_ago(61))
    assert resp.status_code == 422 and error_code(resp) == "occurred_on_too_old"
    assert claim_count(query) == 2
    assert resubmit(capi, old["id"], occurred_on=days_ago(1)).status_code == 201


def test_idempotency_key_replays_a_resubmission(capi, query):
    old = rejected(capi)
    headers = {"Idempotency-Key": "resubmit-1"}
    first = resubmit(capi, old["id"], headers=headers)
    again = resubmit(capi, old["id"], headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json() and claim_count(query) == 2
    resp = resubmit(capi, old["id"], headers=headers, description="另一份说明")
    assert resp.status_code == 422 and error_code(resp) == "idempotency_key_reused"


def test_organisation_claim_stays_the_organisations(capi, query):
    from server.community.models import Organisation

    org_id = query(
        lambda s: s.scalar(select(Organisation.id).where(Organisation.name == "幸福路小学"))
    )
    old = rejected(capi, "resident-19", organisation_id=org_id)
    assert resubmit(capi, old["id"], "resident-1").status_code == 404
    resp = resubmit(capi, old["id"], "resident-19")
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["organisation"]["id"] == org_id


def test_a_grid_worker_resubmits_for_a_card_holder(capi, query):
    hid = registered(capi, "grid-1")["id"]
    old = rejected(capi, "grid-1", headers=acting(hid))
    assert resubmit(capi, old["id"], "grid-1").status_code == 404  # not the worker's claim
    resp = resubmit(capi, old["id"], "grid-1", headers=acting(hid), occurred_on=days_ago(1))
    assert resp.status_code == 201, resp.get_json()
    new = resp.get_json()
    assert new["claimant"]["id"] == old["claimant"]["id"]

    def check(s):
        worker = s.scalar(
            select(User.id).where(User.openid == stable_id(APPID, "grid-1", "openid"))
        )
        assert s.get(PointClaim, new["id"]).filed_by == worker
        acts = s.scalars(
            select(ActOnBehalf.target_id).where(ActOnBehalf.action == "claim.file")
        ).all()
        assert sorted(acts) == sorted([old["id"], new["id"]])

    query(check)


def test_service_directly(app, seeded, query):
    with app.app_context():
        resident = db.session.get(User, user_id("resident-4"))
        reviewer = db.session.get(User, user_id("reviewer"))
        iid = db.session.scalar(select(PointItem.id).where(PointItem.code == "E01"))
        fields = {"item_id": iid, "occurred_on": today(), "description": "清洁日打扫楼道"}
        claim = claims_service.submit_claim(resident, **fields)
        with pytest.raises(AppError) as refused:
            claims_service.resubmit_claim(resident, claim.id, **fields)
        assert refused.value.code == "claim_not_rejected"
        claim_review.decide_claim(reviewer, claim.id, "reject", "重复")
        with pytest.raises(AppError) as refused:
            claims_service.resubmit_claim(reviewer, claim.id, **fields)
        assert refused.value.code == "claim_not_found"
        new = claims_service.resubmit_claim(resident, claim.id, **fields)
        assert (new.status, new.resubmitted_from, new.points) == ("pending", claim.id, 5)
        db.session.remove()


@pytest.mark.postgres
def test_concurrent_resubmissions_file_once(app, seeded, query):
    with app.app_context():
        resident = db.session.get(User, user_id("resident-1"))
        reviewer = db.session.get(User, user_id("reviewer"))
        iid = db.session.scalar(select(PointItem.id).where(PointItem.code == "C01"))
        claim = claims_service.submit_claim(
            resident, item_id=iid, occurred_on=today(), description="同时重新提交"
        )
        claim_review_id = claim.id
        claim_review.decide_claim(reviewer, claim_review_id, "reject", "请补充")
        rid = resident.id
        db.session.remove()

    def go(n):
        return claims_service.resubmit_claim(
            db.session.get(User, rid),
            claim_review_id,
            item_id=iid,
            occurred_on=today() - timedelta(days=n),
            description=f"第 {n} 次修改",
        ).id

    outcomes = run_together(app, go, list(range(6)))
    assert sorted(o[0] for o in outcomes) == ["error"] * 5 + ["ok"]
    assert {o[1] for o in outcomes if o[0] == "error"} == {"claim_already_resubmitted"}
    assert claim_count(query) == 2
