"""Every refusal of a wish step: a 4xx with a Chinese message that changes nothing."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.community.models import Merchant, Organisation
from server.db.audit import AuditLog
from server.grid.wish_models import Wish
from server.outbox.models import OutboxEvent
from tests import claims_helpers
from tests.grid import wish_helpers
from tests.grid.wish_helpers import (
    POSTER,
    SHOP,
    WISHES,
    act,
    claimed,
    error_code,
    fulfilled,
    post,
    posted,
    published,
    set_needed_by,
    status_of,
    today,
    upload,
    wish_count,
    wish_entries,
)

upload_dir = claims_helpers.upload_dir  # fixtures used by every test here
wapi = wish_helpers.wapi


def snapshot(query):
    """What a refusal must leave alone: every wish row, event and audit row."""

    def fn(s):
        wishes = [
            (w.id, w.status, w.claimer_id, w.audience, w.points, w.updated_at)
            for w in s.scalars(select(Wish).order_by(Wish.id))
        ]
        events = s.scalar(select(func.count(OutboxEvent.id)))
        audits = s.scalar(select(func.count(AuditLog.id)))
        return wishes, events, audits

    return query(fn)


def refused(resp, status: int, code: str):
    assert resp.status_code == status, resp.get_json()
    assert error_code(resp) == code, resp.get_json()
    assert resp.get_json()["error"]["message"]  # always a message for the resident


# --- posting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "over,status,code",
    [
        ({"needed_by": (today() - timedelta(days=1)).isoformat()}, 422, "needed_by_in_past"),
        ({"needed_by": (today() + timedelta(days=181)).isoformat()}, 422, "needed_by_too_far"),
        ({"title": "   "}, 422, "title_required"),
        ({"title": "愿" * 201}, 422, "validation_error"),
        ({"details": "细" * 501}, 422, "validation_error"),
        ({"place": "地" * 101}, 422, "validation_error"),
        ({"beneficiary": "人" * 51}, 422, "validation_error"),
        ({"photo_ids": list(range(1, 11))}, 422, "validation_error"),
        ({"phone": "13800138000"}, 422, "validation_error"),
    ],
)
def test_bad_wishes_are_refused_and_nothing_is_written(wapi, query, over, status, code):
    refused(post(wapi, **over), status, code)
    assert wish_count(query) == 0


def test_posting_needs_membership_and_ones_own_unused_photos(wapi, query, app):
    claims_helpers.make_other_community(app, identities=("outsider",))
    theirs = upload(wapi, "resident-5").get_json()["id"]
    refused(post(wapi, photo_ids=[theirs]), 422, "upload_not_found")
    refused(post(wapi, "stranger"), 403, "not_a_member")
    mine = upload(wapi, POSTER).get_json()["id"]
    posted(wapi, photo_ids=[mine])
    refused(post(wapi, photo_ids=[mine]), 409, "upload_already_attached")
    assert wish_count(query) == 1


# --- review ---------------------------------------------------------------------------------


def test_review_refusals(wapi, query, app):
    claims_helpers.make_other_community(app, identities=("other-rev",), reviewer="other-rev")
    wish = posted(wapi)
    own = posted(wapi, "reviewer")
    before = snapshot(query)
    # A pending wish is nobody's business but its resident's and the reviewers'.
    refused(act(wapi, wish["id"], "approve", "resident-1"), 404, "wish_not_found")
    refused(act(wapi, wish["id"], "approve", "grid-1"), 404, "wish_not_found")
    refused(act(wapi, own["id"], "approve", "reviewer"), 403, "cannot_review_own_wish")
    refused(act(wapi, wish["id"], "approve", "other-rev"), 404, "wish_not_found")
    refused(act(wapi, wish["id"], "reject", "reviewer", {"reason": "  "}), 422, "reason_required")
    refused(act(wapi, wish["id"], "reject", "reviewer"), 422, "validation_error")
    body = {"audience": "grid", "grid_id": 99999}
    refused(act(wapi, wish["id"], "approve", "reviewer", body), 422, "unknown_grid")
    body = {"audience": "community", "grid_id": 1}
    refused(act(wapi, wish["id"], "approve", "reviewer", body), 422, "grid_not_expected")
    refused(act(wapi, wish["id"], "approve", "reviewer", {"points": 101}), 422, "validation_error")
    assert snapshot(query) == before

    assert act(wapi, wish["id"], "approve", "reviewer").status_code == 200
    before = snapshot(query)
    refused(act(wapi, wish["id"], "approve", "admin"), 409, "wish_already_reviewed")
    refused(act(wapi, wish["id"], "approve", "resident-1"), 403, "not_a_reviewer")  # on the board
    refused(
        act(wapi, wish["id"], "reject", "admin", {"reason": "晚了"}), 409, "wish_already_reviewed"
    )
    assert snapshot(query) == before


def test_a_grid_of_another_community_cannot_be_the_audience(wapi, query, app):
    other_id, _ = claims_helpers.make_other_community(app, identities=())
    from server.community.models import Grid

    grid_id = query(lambda s: s.scalar(select(Grid.id).where(Grid.community_id == other_id)))
    wish = posted(wapi)
    body = {"audience": "grid", "grid_id": grid_id}
    refused(act(wapi, wish["id"], "approve", "reviewer", body), 422, "unknown_grid")
    assert status_of(query, wish["id"]) == "pending"


def test_a_wish_past_its_day_cannot_be_published(wapi, query):
    wish = posted(wapi)
    set_needed_by(query, wish["id"], -1)
    refused(act(wapi, wish["id"], "approve", "reviewer"), 409, "wish_past_needed_by")
    assert status_of(query, wish["id"]) == "pending"
    done = published(wapi)
    set_needed_by(query, done["id"], -1)  # reviewed already: that, not the day, is the reason
    refused(act(wapi, done["id"], "approve", "reviewer"), 409, "wish_already_reviewed")


# --- claiming -------------------------------------------------------------------------------


def test_claim_refusals(wapi, query, app):
    claims_helpers.make_other_community(app, identities=("outsider",))
    wish = published(wapi)
    pending = posted(wapi)
    org_id = query(
        lambda s: s.scalar(select(Organisation.id).where(Organisation.name == "幸福路小学"))
    )
    other_org = query(lambda s: s.scalar(select(Organisation.id).where(Organisation.id != org_id)))
    shop_id = query(lambda s: s.scalar(SHOP))
    before = snapshot(query)
    refused(act(wapi, wish["id"], "claim", "resident-5"), 403, "not_a_party_member")
    refused(act(wapi, wish["id"], "claim", "grid-1"), 403, "not_a_party_member")
    refused(act(wapi, wish["id"], "claim", POSTER), 403, "cannot_claim_own_wish")
    refused(act(wapi, wish["id"], "claim", "outsider"), 404, "wish_not_found")
    refused(act(wapi, pending["id"], "claim", "resident-1"), 404, "wish_not_found")
    refused(act(wapi, pending["id"], "claim", "reviewer"), 409, "wish_not_open")
    body = {"organisation_id": org_id}
    refused(act(wapi, wish["id"], "claim", "resident-1", body), 403, "not_organisation_staff")
    body = {"organisation_id": other_org}
    refused(act(wapi, wish["id"], "claim", "resident-19", body), 403, "not_organisation_staff")
    body = {"organisation_id": 99999}
    refused(act(wapi, wish["id"], "claim", "resident-19", body), 422, "unknown_organisation")
    body = {"merchant_id": shop_id}
    refused(act(wapi, wish["id"], "claim", "resident-1", body), 403, "not_merchant_staff")
    body = {"merchant_id": 99999}
    refused(act(wapi, wish["id"], "claim", "merchant-1", body), 422, "unknown_merchant")
    body = {"merchant_id": shop_id, "organisation_id": org_id}
    refused(act(wapi, wish["id"], "claim", "merchant-1", body), 422, "one_claimer_only")
    refused(act(wapi, wish["id"], "claim", "resident-1", {"extra": 1}), 422, "validation_error")
    assert snapshot(query) == before

    assert act(wapi, wish["id"], "claim", "resident-1").status_code == 200
    before = snapshot(query)
    refused(act(wapi, wish["id"], "claim", "resident-2"), 409, "wish_already_claimed")
    refused(act(wapi, wish["id"], "claim", "resident-1"), 409, "wish_already_claimed")
    assert snapshot(query) == before


def test_the_reviewer_who_published_a_wish_cannot_claim_it(wapi, query):
    wish = published(wapi)  # by `reviewer`, a party member too
    refused(act(wapi, wish["id"], "claim", "reviewer"), 403, "cannot_claim_own_review")
    assert act(wapi, wish["id"], "claim", "admin").status_code == 200


def test_a_suspended_shop_cannot_claim(wapi, query):
    def suspend(s):
        s.get(Merchant, s.scalar(SHOP)).status = "suspended"
        s.commit()

    query(suspend)
    wish = published(wapi)
    shop_id = query(lambda s: s.scalar(SHOP))
    body = {"merchant_id": shop_id}
    refused(act(wapi, wish["id"], "claim", "merchant-1", body), 403, "merchant_not_approved")


def test_a_reviewer_outside_a_grid_wish_audience_cannot_claim_it(wapi, query):
    wish = posted(wapi, "resident-2")  # g2; the reviewer lives in g1
    body = {"audience": "grid"}
    assert act(wapi, wish["id"], "approve", "admin", body).status_code == 200
    refused(act(wapi, wish["id"], "claim", "reviewer"), 403, "not_in_wish_audience")
    assert status_of(query, wish["id"]) == "published"


def test_a_wish_past_its_day_cannot_be_claimed(wapi, query):
    wish = published(wapi)
    set_needed_by(query, wish["id"], -1)
    refused(act(wapi, wish["id"], "claim", "resident-1"), 409, "wish_past_needed_by")
    assert status_of(query, wish["id"]) == "published"


# --- handing back, fulfilling, confirming, cancelling ---------------------------------------


def test_hand_back_refusals(wapi, query):
    wish = claimed(wapi, "resident-1")
    before = snapshot(query)
    refused(act(wapi, wish["id"], "hand-back", "resident-2"), 403, "not_wish_claimer")
    refused(act(wapi, wish["id"], "hand-back", POSTER), 403, "not_wish_claimer")
    refused(act(wapi, wish["id"], "hand-back", "reviewer"), 403, "not_wish_claimer")
    set_needed_by(query, wish["id"], -1)
    before = snapshot(query)
    refused(act(wapi, wish["id"], "hand-back", "resident-1"), 409, "wish_past_needed_by")
    assert snapshot(query) == before

    done = fulfilled(wapi)
    refused(act(wapi, done["id"], "hand-back", "resident-1"), 409, "wish_not_claimed")
    assert status_of(query, done["id"]) == "fulfilled"


def test_hand_back_on_the_needed_by_day_itself_is_allowed(wapi, query):
    wish = claimed(wapi, "resident-1")
    set_needed_by(query, wish["id"], 0)
    assert act(wapi, wish["id"], "hand-back", "resident-1").status_code == 200


def test_fulfil_refusals(wapi, query):
    wish = claimed(wapi, "resident-1")
    photo = upload(wapi, "resident-1").get_json()["id"]
    other_photo = upload(wapi, "resident-2").get_json()["id"]
    before = snapshot(query)
    body = {"note": "好了", "photo_ids": [photo]}
    refused(act(wapi, wish["id"], "fulfil", "resident-2", body), 403, "not_wish_claimer")
    refused(act(wapi, wish["id"], "fulfil", POSTER, body), 403, "not_wish_claimer")
    refused(
        act(wapi, wish["id"], "fulfil", "resident-1", {"note": "好了"}), 422, "validation_error"
    )
    body = {"note": "好了", "photo_ids": []}
    refused(act(wapi, wish["id"], "fulfil", "resident-1", body), 422, "validation_error")
    body = {"note": "   ", "photo_ids": [photo]}
    refused(act(wapi, wish["id"], "fulfil", "resident-1", body), 422, "note_required")
    body = {"note": "好了", "photo_ids": [other_photo]}
    refused(act(wapi, wish["id"], "fulfil", "resident-1", body), 422, "upload_not_found")
    body = {"note": "完" * 501, "photo_ids": [photo]}
    refused(act(wapi, wish["id"], "fulfil", "resident-1", body), 422, "validation_error")
    assert snapshot(query) == before

    body = {"note": "好了", "photo_ids": [photo]}
    assert act(wapi, wish["id"], "fulfil", "resident-1", body).status_code == 200
    again = upload(wapi, "resident-1").get_json()["id"]
    body = {"note": "再来", "photo_ids": [again]}
    refused(act(wapi, wish["id"], "fulfil", "resident-1", body), 409, "wish_not_claimed")
    pending = posted(wapi)
    refused(act(wapi, pending["id"], "fulfil", "resident-1", body), 404, "wish_not_found")


def test_confirm_refusals(wapi, query):
    wish = claimed(wapi, "resident-1")
    refused(act(wapi, wish["id"], "confirm", POSTER), 409, "wish_not_fulfilled")
    photo = upload(wapi, "resident-1").get_json()["id"]
    body = {"note": "好了", "photo_ids": [photo]}
    assert act(wapi, wish["id"], "fulfil", "resident-1", body).status_code == 200
    before = snapshot(query)
    refused(act(wapi, wish["id"], "confirm", "resident-1"), 403, "not_wish_owner")
    refused(act(wapi, wish["id"], "confirm", "reviewer"), 403, "not_wish_owner")
    refused(act(wapi, wish["id"], "confirm", "resident-5"), 404, "wish_not_found")
    body = {"thanks": "谢" * 201}
    refused(act(wapi, wish["id"], "confirm", POSTER, body), 422, "validation_error")
    assert snapshot(query) == before and wish_entries(query) == []


def test_cancel_refusals(wapi, query):
    wish = claimed(wapi, "resident-1")
    before = snapshot(query)
    refused(act(wapi, wish["id"], "cancel", POSTER), 409, "wish_not_cancellable")
    refused(act(wapi, wish["id"], "cancel", "resident-1"), 403, "not_wish_owner")
    refused(act(wapi, wish["id"], "cancel", "resident-5"), 403, "not_wish_owner")
    pending = posted(wapi)
    refused(act(wapi, pending["id"], "cancel", "resident-5"), 404, "wish_not_found")
    assert snapshot(query)[0] == before[0] + [snapshot(query)[0][-1]]


def test_list_refusals(wapi):
    refused(wapi.get(WISHES, "resident-1", query_string={"scope": "review"}), 403, "not_a_reviewer")
    resp = wapi.get(WISHES, "resident-1", query_string={"status": "pending"})
    refused(resp, 422, "status_not_on_board")
    refused(wapi.get(WISHES, "resident-1", query_string={"scope": "all"}), 422, "validation_error")
    refused(wapi.get(WISHES, "resident-1", query_string={"cursor": "x"}), 400, "invalid_cursor")
    refused(wapi.get(WISHES), 401, "unauthorized")
