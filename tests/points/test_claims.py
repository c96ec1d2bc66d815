from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from server.auth.models import User
from server.db.audit import AuditLog
from server.db.session import db
from server.outbox.models import OutboxEvent
from server.points import claim_review
from server.points import claims as claims_service
from server.points.claim_models import PointClaim
from server.points.ledger_models import Account, LedgerEntry
from server.points.models import PointItem, PointItemVersion
from server.uploads.models import Upload
from server.wechat.emulator import stable_id
from tests import claims_helpers
from tests.claims_helpers import (
    days_ago,
    item_id,
    make_other_community,
    today,
    upload,
)
from tests.conftest import APPID, error_code

upload_dir = claims_helpers.upload_dir  # the fixture, used by every test here
pytestmark = pytest.mark.usefixtures("upload_dir")
CLAIMS = "/api/v1/points/claims"


def submit(api, identity, code="C01", headers=None, **body):
    payload = {
        "item_id": body.pop("item_id", None) or item_id(api.query, code),
        "occurred_on": body.pop("occurred_on", today().isoformat()),
        "description": body.pop("description", "在小区垃圾分类点督导两小时"),
        **body,
    }
    return api.post(CLAIMS, identity, json=payload, headers=dict(headers or {}))


@pytest.fixture
def capi(api, query, seeded):
    api.query = query
    return api


def claim_count(query):
    return query(lambda s: s.scalar(select(func.count(PointClaim.id))))


def balance_of(query, identity, holder_type="user", holder_id=None):
    def fn(s):
        hid = holder_id or s.scalar(
            select(User.id).where(User.openid == stable_id(APPID, identity, "openid"))
        )
        account = s.scalar(
            select(Account).where(Account.holder_type == holder_type, Account.holder_id == hid)
        )
        return account.balance if account else 0

    return query(fn)


def entries(query):
    return query(lambda s: s.scalars(select(LedgerEntry).order_by(LedgerEntry.id)).all())


# --- submission -----------------------------------------------------------------------------


def test_submit_with_photos_then_read_it(capi, query):
    photos = [upload(capi, "resident-1").get_json()["id"] for _ in range(2)]
    resp = submit(capi, "resident-1", photo_ids=photos)
    assert resp.status_code == 201, resp.get_json()
    claim = resp.get_json()
    assert claim["status"] == "pending" and claim["content_verdict"] == "pass"
    assert claim["points"] == 10 and claim["item"]["code"] == "C01"
    assert claim["item"]["category_name"] == "文明实践"
    assert claim["claimant"]["name"] == "张伟明" and claim["grid_id"] is not None
    assert [p["id"] for p in claim["photos"]] == photos
    assert claim["ledger_entry_id"] is None and claim["decided_by"] is None

    mine = capi.get(CLAIMS, "resident-1").get_json()
    assert [c["id"] for c in mine["items"]] == [claim["id"]] and mine["next_cursor"] is None
    assert capi.get(f"{CLAIMS}/{claim['id']}", "resident-1").get_json() == claim
    assert capi.get(CLAIMS, "resident-2").get_json()["items"] == []
    resp = capi.get(f"{CLAIMS}/{claim['id']}", "resident-2")
    assert resp.status_code == 404 and error_code(resp) == "claim_not_found"

    attached = query(lambda s: s.scalars(select(Upload.attached_id)).all())
    assert attached == [str(claim["id"])] * 2
    events = query(
        lambda s: s.scalars(select(OutboxEvent.event_type).order_by(OutboxEvent.id)).all()
    )
    assert events == ["claim.submitted"]


def test_photos_are_shown_to_reviewers_and_the_claimant_only(capi, app):
    make_other_community(app, identities=("other-rev",), reviewer="other-rev")
    photo = upload(capi, "resident-1").get_json()
    assert submit(capi, "resident-1", photo_ids=[photo["id"]]).status_code == 201
    for identity in ("resident-1", "reviewer", "admin"):
        assert capi.get(photo["url"], identity).status_code == 200, identity
    for identity in ("resident-2", "grid-1", "other-rev"):
        assert capi.get(photo["url"], identity).status_code == 404, identity


@pytest.mark.parametrize(
    "text,verdict",
    [("在小区里发现有人组织赌博并劝阻", "risky"), ("清理了楼道里的小广告", "review")],
)
def test_flagged_text_is_held_for_manual_review(capi, query, text, verdict):
    resp = submit(capi, "resident-1", description=text)
    assert resp.status_code == 201
    claim = resp.get_json()
    assert claim["status"] == "flagged" and claim["content_verdict"] == verdict
    queue = capi.get(CLAIMS, "reviewer", query_string={"scope": "queue", "status": "flagged"})
    assert [c["id"] for c in queue.get_json()["items"]] == [claim["id"]]
    # A human may still approve it after looking.
    resp = capi.post(f"{CLAIMS}/{claim['id']}/approve", "reviewer", json={})
    assert resp.status_code == 200 and resp.get_json()["status"] == "approved"


def test_wechat_down_does_not_lose_the_claim(capi, emulator):
    emulator.fault("msg_sec_check", errcode=-1)
    resp = submit(capi, "resident-1")
    assert resp.status_code == 201
    assert resp.get_json()["status"] == "flagged"
    assert resp.get_json()["content_verdict"] == "unavailable"


def test_duplicates_and_caps(capi, query, app):
    assert submit(capi, "resident-1").status_code == 201
    resp = submit(capi, "resident-1")
    assert resp.status_code == 409 and error_code(resp) == "duplicate_claim"
    assert submit(capi, "resident-1", occurred_on=days_ago(1)).status_code == 201
    assert submit(capi, "resident-2").status_code == 201  # someone else, same day

    # C05 (获评文明家庭) may be claimed once a month.
    first = submit(capi, "resident-1", "C05", occurred_on=today().replace(day=1).isoformat())
    assert first.status_code == 201
    resp = submit(capi, "resident-1", "C05")
    if today().day == 1:
        assert error_code(resp) == "duplicate_claim"
    else:
        assert resp.status_code == 409 and error_code(resp) == "cap_reached"
        assert resp.get_json()["error"]["details"] == {"period": "month", "cap": 1, "used": 1}

    # A daily cap of 2 allows two a day, then refuses.
    iid = item_id(query, "H01")
    with app.app_context():
        db.session.get(PointItem, iid).daily_cap = 2
        db.session.commit()
    assert submit(capi, "resident-3", "H01").status_code == 201
    assert submit(capi, "resident-3", "H01").status_code == 201
    resp = submit(capi, "resident-3", "H01")
    assert resp.status_code == 409 and error_code(resp) == "cap_reached"
    assert resp.get_json()["error"]["details"]["period"] == "day"
    assert claim_count(query) == 6


def test_a_rejected_claim_frees_its_slot(capi):
    claim = submit(capi, "resident-1").get_json()
    resp = capi.post(f"{CLAIMS}/{claim['id']}/reject", "reviewer", json={"reason": "照片不清晰"})
    assert resp.status_code == 200
    assert submit(capi, "resident-1").status_code == 201


def test_bad_submissions_change_nothing(capi, query, app):
    _, other_item = make_other_community(app)
    mine = upload(capi, "resident-1").get_json()["id"]
    theirs = upload(capi, "resident-2").get_json()["id"]
    with app.app_context():
        inactive = db.session.scalar(select(PointItem).where(PointItem.code == "C02"))
        inactive.active = False
        deduct = db.session.scalar(select(PointItem).where(PointItem.code == "C03"))
        deduct.direction = "deduct"
        org_only = db.session.scalar(select(PointItem).where(PointItem.code == "C04"))
        org_only.account_kinds = ["organisation"]
        db.session.commit()
    cases = [
        ({"item_id": 999999}, 422, "unknown_item"),
        ({"item_id": other_item}, 422, "unknown_item"),
        ({"code": "C02"}, 422, "item_inactive"),
        ({"code": "C03"}, 422, "item_not_claimable"),
        ({"code": "C04"}, 422, "item_not_for_account_kind"),
        ({"occurred_on": (today() + timedelta(days=1)).isoformat()}, 422, "occurred_on_in_future"),
        ({"occurred_on": days_ago(61)}, 422, "occurred_on_too_old"),
        ({"photo_ids": [theirs]}, 422, "upload_not_found"),
        ({"photo_ids": [mine, 999999]}, 422, "upload_not_found"),
        ({"photo_ids": [mine, mine]}, 422, "duplicate_upload_ids"),
        ({"photo_ids": list(range(1, 11))}, 422, "validation_error"),
        ({"description": "x" * 501}, 422, "validation_error"),
        ({"description": "   "}, 422, "description_required"),
        ({"occurred_on": "2026-02-30"}, 422, "validation_error"),
        ({"organisation_id": 999999}, 422, "unknown_organisation"),
        ({"unexpected": 1}, 422, "validation_error"),
    ]
    for body, status, code in cases:
        resp = submit(capi, "resident-1", body.pop("code", "C01"), **body)
        assert (resp.status_code, error_code(resp)) == (status, code), (body, resp.get_json())
    assert claim_count(query) == 0
    assert query(lambda s: s.scalars(select(Upload.attached_type)).all()) == [None, None]
    assert capi.post(CLAIMS, json={"item_id": 1}).status_code == 401


def test_photo_cannot_be_used_twice(capi, query):
    photo = upload(capi, "resident-1").get_json()["id"]
    assert submit(capi, "resident-1", photo_ids=[photo]).status_code == 201
    resp = submit(capi, "resident-1", occurred_on=days_ago(1), photo_ids=[photo])
    assert resp.status_code == 409 and error_code(resp) == "upload_already_attached"
    assert claim_count(query) == 1


def test_organisation_staff_claim_for_their_organisation(capi, query, app):
    from server.community.models import Organisation

    org_id = query(
        lambda s: s.scalar(select(Organisation.id).where(Organisation.name == "幸福路小学"))
    )
    other_org = query(
        lambda s: s.scalar(select(Organisation.id).where(Organisation.name != "幸福路小学"))
    )
    resp = submit(capi, "resident-1", organisation_id=org_id)
    assert resp.status_code == 403 and error_code(resp) == "not_organisation_staff"
    resp = submit(capi, "resident-19", organisation_id=other_org)
    assert resp.status_code == 403
    resp = submit(capi, "resident-19", organisation_id=org_id)
    assert resp.status_code == 201, resp.get_json()
    claim = resp.get_json()
    assert claim["organisation"]["name"] == "幸福路小学"
    # The person's own claim for the same item and day is a different holder.
    assert submit(capi, "resident-19").status_code == 201
    resp = submit(capi, "resident-19", organisation_id=org_id)
    assert error_code(resp) == "duplicate_claim"
    listed = capi.get(CLAIMS, "resident-19", query_string={"organisation_id": org_id})
    assert [c["id"] for c in listed.get_json()["items"]] == [claim["id"]]
    resp = capi.get(CLAIMS, "resident-1", query_string={"organisation_id": org_id})
    assert resp.status_code == 403

    resp = capi.post(f"{CLAIMS}/{claim['id']}/approve", "reviewer", json={})
    assert resp.status_code == 200
    assert balance_of(query, None, "organisation", org_id) == 10
    assert balance_of(query, "resident-19") == 0


# --- queue ----------------------------------------------------------------------------------


def test_review_queue_filters_and_pages(capi, query):
    ids = {}
    for n, code in enumerate(["C01", "S01", "T01", "H01"], start=1):
        resp = submit(capi, f"resident-{n}", code, occurred_on=days_ago(n))
        ids[code] = resp.get_json()["id"]
    queue = capi.get(CLAIMS, "reviewer", query_string={"scope": "queue", "limit": 3}).get_json()
    assert [c["id"] for c in queue["items"]] == sorted(ids.values())[:3]
    rest = capi.get(
        CLAIMS, "reviewer", query_string={"scope": "queue", "cursor": queue["next_cursor"]}
    ).get_json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None

    def q(**params):
        resp = capi.get(CLAIMS, "reviewer", query_string={"scope": "queue", **params})
        assert resp.status_code == 200, resp.get_json()
        return {c["id"] for c in resp.get_json()["items"]}

    cat = query(lambda s: s.get(PointItem, item_id(capi.query, "S01")).category_id)
    assert q(category_id=cat) == {ids["S01"]}
    assert q(date_from=days_ago(2)) == {ids["C01"], ids["S01"]}
    assert q(date_from=days_ago(3), date_to=days_ago(2)) == {ids["S01"], ids["T01"]}
    grid = capi.get(f"{CLAIMS}/{ids['C01']}", "reviewer").get_json()["grid_id"]
    assert ids["C01"] in q(grid_id=grid) and ids["S01"] not in q(grid_id=grid)
    capi.post(f"{CLAIMS}/{ids['C01']}/approve", "reviewer", json={})
    assert ids["C01"] not in q()
    assert q(status="approved") == {ids["C01"]}

    for identity in ("resident-5", "grid-1"):
        resp = capi.get(CLAIMS, identity, query_string={"scope": "queue"})
        assert resp.status_code == 403 and error_code(resp) == "not_a_reviewer"
    resp = capi.get(CLAIMS, "reviewer", query_string={"scope": "everything"})
    assert resp.status_code == 422
    resp = capi.get(CLAIMS, "reviewer", query_string={"scope": "queue", "cursor": "!!"})
    assert resp.status_code == 400


def test_other_communities_queue_is_separate(capi, app):
    make_other_community(app, identities=("other-rev", "other-res"), reviewer="other-rev")
    submit(capi, "resident-1")
    queue = capi.get(CLAIMS, "other-rev", query_string={"scope": "queue"}).get_json()
    assert queue["items"] == []


# --- decisions ------------------------------------------------------------------------------


def test_approval_credits_the_ledger_once(capi, query):
    claim = submit(capi, "resident-1").get_json()
    resp = capi.post(f"{CLAIMS}/{claim['id']}/approve", "reviewer", json={"reason": "属实"})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "approved" and body["decided_by"]["name"] == "李秀英"
    assert body["decision_reason"] == "属实" and body["ledger_entry_id"]
    [entry] = entries(query)
    assert entry.id == body["ledger_entry_id"] and entry.amount == 10
    assert entry.idempotency_key == f"claim:{claim['id']}"
    assert entry.cause_type == "claim" and entry.cause_id == str(claim["id"])
    assert entry.item_version_id == body["item_version_id"]
    assert entry.reason == "文明实践：垃圾分类志愿督导"
    assert balance_of(query, "resident-1") == 10

    for identity in ("reviewer", "admin"):
        resp = capi.post(f"{CLAIMS}/{claim['id']}/approve", identity, json={})
        assert resp.status_code == 409 and error_code(resp) == "claim_already_decided"
        assert resp.get_json()["error"]["details"] == {"status": "approved"}
    resp = capi.post(f"{CLAIMS}/{claim['id']}/reject", "admin", json={"reason": "迟到的驳回"})
    assert resp.status_code == 409
    assert len(entries(query)) == 1 and balance_of(query, "resident-1") == 10

    [audit] = query(
        lambda s: s.scalars(select(AuditLog).where(AuditLog.action == "claim.approve")).all()
    )
    assert audit.before == {"status": "pending"} and audit.after["ledger_entry_id"] == entry.id
    decided = query(
        lambda s: s.scalars(
            select(OutboxEvent).where(OutboxEvent.event_type == "claim.decided")
        ).all()
    )
    assert len(decided) == 1 and decided[0].payload["decision"] == "approved"


def test_approval_uses_the_value_in_force_on_the_day_of_the_deed(capi, query, app):
    iid = item_id(query, "C01")
    with app.app_context():
        # The scheme changed the value five days ago: 10 before, 20 since.
        db.session.add(
            PointItemVersion(item_id=iid, points=20, effective_from=today() - timedelta(days=5))
        )
        db.session.commit()
    old = submit(capi, "resident-1", occurred_on=days_ago(8)).get_json()
    new = submit(capi, "resident-1", occurred_on=days_ago(2)).get_json()
    assert (old["points"], new["points"]) == (10, 20)
    for claim in (old, new):
        assert capi.post(f"{CLAIMS}/{claim['id']}/approve", "reviewer", json={}).status_code == 200
    amounts = [(e.amount, e.item_version_id) for e in entries(query)]
    assert amounts == [(10, old["item_version_id"]), (20, new["item_version_id"])]
    assert old["item_version_id"] != new["item_version_id"]
    assert balance_of(query, "resident-1") == 30


def test_reject_needs_a_reason_and_credits_nothing(capi, query):
    claim = submit(capi, "resident-1").get_json()
    url = f"{CLAIMS}/{claim['id']}/reject"
    for body in ({}, {"reason": ""}, {"reason": "x" * 201}):
        assert capi.post(url, "reviewer", json=body).status_code == 422
    resp = capi.post(url, "reviewer", json={"reason": "   "})
    assert resp.status_code == 422 and error_code(resp) == "reason_required"
    resp = capi.post(url, "reviewer", json={"reason": "照片与申报内容不符"})
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "rejected"
    assert resp.get_json()["decision_reason"] == "照片与申报内容不符"
    assert entries(query) == [] and balance_of(query, "resident-1") == 0
    mine = capi.get(CLAIMS, "resident-1", query_string={"status": "rejected"}).get_json()
    assert [c["id"] for c in mine["items"]] == [claim["id"]]


def test_nobody_decides_their_own_claim(capi, query):
    own = submit(capi, "reviewer").get_json()
    resp = capi.post(f"{CLAIMS}/{own['id']}/approve", "reviewer", json={})
    assert resp.status_code == 403 and error_code(resp) == "cannot_review_own_claim"
    resp = capi.post(f"{CLAIMS}/{own['id']}/reject", "reviewer", json={"reason": "自己驳回"})
    assert resp.status_code == 403
    assert query(lambda s: s.get(PointClaim, own["id"])).status == "pending"
    assert entries(query) == []
    assert capi.post(f"{CLAIMS}/{own['id']}/approve", "admin", json={}).status_code == 200


def test_only_reviewers_of_the_claims_community_decide(capi, query, app):
    make_other_community(app, identities=("other-rev",), reviewer="other-rev")
    claim = submit(capi, "resident-1").get_json()
    resp = capi.post(f"{CLAIMS}/{claim['id']}/approve", "resident-2", json={})
    assert resp.status_code == 403 and error_code(resp) == "not_a_reviewer"
    resp = capi.post(f"{CLAIMS}/{claim['id']}/approve", "resident-1", json={})
    assert resp.status_code == 403
    resp = capi.post(f"{CLAIMS}/{claim['id']}/approve", "other-rev", json={})
    assert resp.status_code == 404 and error_code(resp) == "claim_not_found"
    assert capi.get(f"{CLAIMS}/{claim['id']}", "other-rev").status_code == 404
    assert capi.post(f"{CLAIMS}/999999/approve", "reviewer", json={}).status_code == 404
    assert query(lambda s: s.get(PointClaim, claim["id"])).status == "pending"
    assert entries(query) == []


def test_batch_decide_reports_each_claim(capi, query, app):
    make_other_community(app, identities=("other-res",))
    good = [submit(capi, f"resident-{n}").get_json()["id"] for n in (1, 2, 3)]
    own = submit(capi, "reviewer").get_json()["id"]
    capi.post(f"{CLAIMS}/{good[2]}/reject", "admin", json={"reason": "重复"})
    resp = capi.post(
        f"{CLAIMS}/batch-decide",
        "reviewer",
        json={"ids": [good[0], own, good[1], good[2], 999999], "decision": "approve"},
    )
    assert resp.status_code == 200, resp.get_json()
    results = {r["id"]: r for r in resp.get_json()["results"]}
    assert results[good[0]]["ok"] and results[good[0]]["status"] == "approved"
    assert results[good[1]]["ok"]
    assert results[own]["error"]["code"] == "cannot_review_own_claim"
    assert results[good[2]]["error"]["code"] == "claim_already_decided"
    assert results[999999]["error"]["code"] == "claim_not_found"
    assert sorted(e.amount for e in entries(query)) == [10, 10]
    statuses = query(lambda s: dict(s.execute(select(PointClaim.id, PointClaim.status)).all()))
    assert statuses == {
        good[0]: "approved",
        good[1]: "approved",
        good[2]: "rejected",
        own: "pending",
    }

    url = f"{CLAIMS}/batch-decide"
    resp = capi.post(url, "reviewer", json={"ids": [own], "decision": "reject"})
    assert resp.status_code == 422 and error_code(resp) == "reason_required"
    assert capi.post(url, "reviewer", json={"ids": [], "decision": "approve"}).status_code == 422
    many = list(range(1, 52))
    assert capi.post(url, "reviewer", json={"ids": many, "decision": "approve"}).status_code == 422
    resp = capi.post(url, "reviewer", json={"ids": [own], "decision": "maybe"})
    assert resp.status_code == 422


def test_batch_decide_refuses_a_non_reviewer_outright(capi, query):
    """Found by tests/authz: a resident's batch was answered 200 with per-claim errors."""
    own = submit(capi, "resident-2").get_json()["id"]
    url = f"{CLAIMS}/batch-decide"
    for identity in ("resident-1", "grid-1", "merchant-1"):
        resp = capi.post(url, identity, json={"ids": [own], "decision": "approve"})
        assert resp.status_code == 403 and error_code(resp) == "not_a_reviewer", resp.get_json()
    assert query(lambda s: s.get(PointClaim, own)).status == "pending"
    assert entries(query) == []


def test_services_directly(app, seeded, query):
    """The service API other modules (and the console) call, without HTTP."""
    with app.app_context():
        resident = db.session.scalar(
            select(User).where(User.openid == stable_id(APPID, "resident-4", "openid"))
        )
        reviewer = db.session.scalar(
            select(User).where(User.openid == stable_id(APPID, "reviewer", "openid"))
        )
        iid = db.session.scalar(select(PointItem.id).where(PointItem.code == "E01"))
        claim = claims_service.submit_claim(
            resident, item_id=iid, occurred_on=today(), description="清洁日打扫楼道"
        )
        assert claim.status == "pending" and claim.points == 5
        claim_id = claim.id
        resident_id, reviewer_id = resident.id, reviewer.id
        db.session.remove()
    with app.app_context():
        reviewer = db.session.get(User, reviewer_id)
        decided = claim_review.decide_claim(reviewer, claim_id, "approve")
        assert decided.status == "approved" and decided.ledger_entry_id
        db.session.remove()
    assert balance_of(query, None, "user", resident_id) == 5
    assert query(lambda s: s.get(PointClaim, claim_id)).decided_at.date() <= date.today()


def test_idempotency_key_replays_a_submission_and_an_approval(capi, query):
    headers = {"Idempotency-Key": "claim-form-1"}
    first = submit(capi, "resident-1", "H01", headers=headers)
    again = submit(capi, "resident-1", "H01", headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json() and claim_count(query) == 1
    resp = submit(capi, "resident-1", "H01", description="另一份说明", headers=headers)
    assert resp.status_code == 422 and error_code(resp) == "idempotency_key_reused"

    url = f"{CLAIMS}/{first.get_json()['id']}/approve"
    headers = {"Idempotency-Key": "approve-1"}
    ok = capi.post(url, "reviewer", json={}, headers=headers)
    replay = capi.post(url, "reviewer", json={}, headers=headers)
    assert ok.status_code == replay.status_code == 200
    assert replay.get_json() == ok.get_json() and len(entries(query)) == 1
