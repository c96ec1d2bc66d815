"""微心愿 over HTTP: the whole path, and what every audience sees of it."""

from sqlalchemy import select

from server.db.audit import AuditLog
from server.outbox.models import OutboxEvent
from server.uploads.models import Upload
from tests import claims_helpers
from tests.grid import wish_helpers
from tests.grid.wish_helpers import (
    POSTER,
    SHOP,
    WISHES,
    act,
    balance,
    claimed,
    fulfilled,
    posted,
    published,
    upload,
    user_id,
    wish_entries,
)

upload_dir = claims_helpers.upload_dir  # fixtures used by every test here
wapi = wish_helpers.wapi


def test_post_review_claim_fulfil_confirm_credits_the_fulfiller_once(wapi, query):
    photo = upload(wapi, POSTER).get_json()["id"]
    wish = posted(wapi, photo_ids=[photo])
    assert wish["status"] == "pending" and wish["content_verdict"] == "pass"
    assert wish["resident"]["name"] == "刘洋" and wish["is_mine"] is True
    assert [p["id"] for p in wish["photos"]] == [photo] and wish["claimer"] is None

    resp = act(wapi, wish["id"], "approve", "reviewer", {"points": 15})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "published" and resp.get_json()["points"] == 15
    assert resp.get_json()["audience"] == "community"

    board = wapi.get(WISHES, "resident-1").get_json()
    assert [w["id"] for w in board["items"]] == [wish["id"]]
    assert board["items"][0]["resident"]["name"] == "刘*"
    assert board["items"][0]["is_mine"] is False

    resp = act(wapi, wish["id"], "claim", "resident-1")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "claimed" and body["claimed_by_me"] is True
    assert body["claimer"]["kind"] == "person" and body["claimer"]["person"]["name"] == "张伟明"
    seen = wapi.get(f"{WISHES}/{wish['id']}", "resident-5").get_json()
    assert seen["claimer"]["person"]["name"] == "张*明" and seen["claimed_by_me"] is False

    done_photo = upload(wapi, "resident-1").get_json()["id"]
    body = {"note": "已修好", "photo_ids": [done_photo]}
    resp = act(wapi, wish["id"], "fulfil", "resident-1", body)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["fulfilment"]["note"] == "已修好"

    before = balance(query, "user", user_id(query, "resident-1"))
    resp = act(wapi, wish["id"], "confirm", POSTER, {"thanks": "谢谢党员同志！"})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "confirmed" and body["thanks"] == "谢谢党员同志！"
    entries = wish_entries(query)
    assert [(e.amount, e.idempotency_key) for e in entries] == [(15, f"wish:{wish['id']}:fulfil")]
    assert body["ledger_entry_id"] == entries[0].id
    assert balance(query, "user", user_id(query, "resident-1")) == before + 15

    resp = act(wapi, wish["id"], "confirm", POSTER)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "wish_not_fulfilled"
    assert len(wish_entries(query)) == 1

    events = query(
        lambda s: s.scalars(
            select(OutboxEvent.event_type)
            .where(OutboxEvent.aggregate_type == "wish")
            .order_by(OutboxEvent.id)
        ).all()
    )
    assert events == [
        "wish.submitted",
        "wish.published",
        "wish.claimed",
        "wish.fulfilled",
        "wish.confirmed",
    ]
    audits = query(
        lambda s: s.execute(select(AuditLog.action, AuditLog.before, AuditLog.after)).all()
    )
    assert [(a.action, a.before["status"], a.after["status"]) for a in audits] == [
        ("wish.approve", "pending", "published")
    ]
    attached = query(
        lambda s: s.execute(select(Upload.id, Upload.attached_type).order_by(Upload.id)).all()
    )
    assert [tuple(r) for r in attached] == [(photo, "wish"), (done_photo, "wish_fulfilment")]


def test_a_confirm_retried_with_its_idempotency_key_replays_and_credits_once(wapi, query):
    wish = fulfilled(wapi)
    headers = {"Idempotency-Key": "confirm-once-1"}
    first = wapi.post(f"{WISHES}/{wish['id']}/confirm", POSTER, json={}, headers=dict(headers))
    again = wapi.post(f"{WISHES}/{wish['id']}/confirm", POSTER, json={}, headers=dict(headers))
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json() == first.get_json()
    assert len(wish_entries(query)) == 1


def test_an_organisation_claim_credits_the_organisations_account(wapi, query, app):
    from server.community.models import Organisation

    org_id = query(
        lambda s: s.scalar(select(Organisation.id).where(Organisation.name == "幸福路小学"))
    )
    wish = fulfilled(wapi, "resident-19", organisation_id=org_id)
    assert wish["claimer"]["kind"] == "organisation"
    assert wish["claimer"]["organisation"] == {"id": org_id, "name": "幸福路小学"}
    before_org = balance(query, "organisation", org_id)
    before_staff = balance(query, "user", user_id(query, "resident-19"))
    assert act(wapi, wish["id"], "confirm", POSTER).status_code == 200
    assert balance(query, "organisation", org_id) == before_org + 10
    assert balance(query, "user", user_id(query, "resident-19")) == before_staff


def test_a_shop_claim_credits_the_shops_own_account_ranked_among_shops(wapi, query):
    shop_id = query(lambda s: s.scalar(SHOP))
    wish = fulfilled(wapi, "merchant-1", merchant_id=shop_id)
    assert wish["claimer"]["kind"] == "merchant" and wish["claimer"]["merchant"]["id"] == shop_id
    staff_before = balance(query, "user", user_id(query, "merchant-1"))
    shop_before = balance(query, "merchant", shop_id)
    assert act(wapi, wish["id"], "confirm", POSTER).status_code == 200
    assert balance(query, "merchant", shop_id) == shop_before + 10
    assert balance(query, "user", user_id(query, "merchant-1")) == staff_before
    assert wish_entries(query)[0].rank_kinds == "merchant"

    # The shop's staff read its account; nobody else does.
    mine = wapi.get("/api/v1/points/balance", "merchant-1", query_string={"merchant_id": shop_id})
    assert mine.status_code == 200, mine.get_json()
    assert mine.get_json()["holder_type"] == "merchant"
    assert mine.get_json()["balance"] == shop_before + 10
    history = wapi.get("/api/v1/points/ledger", "merchant-1", query_string={"merchant_id": shop_id})
    assert history.get_json()["items"][0]["reason"].startswith("微心愿")
    other = wapi.get("/api/v1/points/balance", "resident-1", query_string={"merchant_id": shop_id})
    assert other.status_code == 403 and other.get_json()["error"]["code"] == "forbidden"

    # Shops rank among shops, under their full (public) name; the staff see their shop's rank.
    ranking = wapi.get("/api/v1/rankings", "merchant-1", query_string={"kind": "merchant"})
    assert ranking.status_code == 200, ranking.get_json()
    body = ranking.get_json()
    assert [(i["name"], i["is_me"]) for i in body["items"]] == [("幸福社区积分超市", True)]
    assert body["me"]["rank"] == 1
    people = wapi.get("/api/v1/rankings", "merchant-1", query_string={"kind": "person"})
    assert "幸福社区积分超市" not in [i["name"] for i in people.get_json()["items"]]


def test_hand_back_publishes_it_again_for_someone_else(wapi, query):
    wish = claimed(wapi, "resident-1")
    resp = act(wapi, wish["id"], "hand-back", "resident-1", {"reason": "临时出差"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "published" and resp.get_json()["claimer"] is None
    resp = act(wapi, wish["id"], "claim", "resident-2")
    assert resp.status_code == 200 and resp.get_json()["claimer"]["person"]["name"] == "王芳"
    payload = query(
        lambda s: s.scalar(
            select(OutboxEvent.payload).where(OutboxEvent.event_type == "wish.handed_back")
        )
    )
    assert payload["claimer_id"] == user_id(query, "resident-1")
    assert payload["reason"] == "临时出差" and payload["status"] == "published"


def test_the_resident_withdraws_an_unclaimed_wish(wapi, query):
    pending = posted(wapi)
    resp = act(wapi, pending["id"], "cancel", POSTER)
    assert resp.status_code == 200 and resp.get_json()["status"] == "cancelled"
    on_board = published(wapi)
    resp = act(wapi, on_board["id"], "cancel", POSTER)
    assert resp.status_code == 200 and resp.get_json()["status"] == "cancelled"
    assert wapi.get(WISHES, "resident-1").get_json()["items"] == []
    mine = wapi.get(WISHES, POSTER, query_string={"scope": "mine"}).get_json()
    assert [w["status"] for w in mine["items"]] == ["cancelled", "cancelled"]


def test_flagged_text_waits_in_the_review_queue_and_can_still_be_published(wapi):
    wish = posted(wapi, details="顺便帮忙贴一下小广告")
    assert wish["status"] == "flagged" and wish["content_verdict"] == "review"
    queue = wapi.get(WISHES, "reviewer", query_string={"scope": "review"}).get_json()
    assert [w["id"] for w in queue["items"]] == [wish["id"]]
    assert queue["items"][0]["content_verdict"] == "review"
    resp = act(wapi, wish["id"], "approve", "reviewer")
    assert resp.status_code == 200 and resp.get_json()["status"] == "published"


def test_wechat_down_holds_the_wish_for_review_instead_of_losing_it(wapi, emulator):
    emulator.fault("msg_sec_check", errcode=-1, times=1)
    wish = posted(wapi)
    assert wish["status"] == "flagged" and wish["content_verdict"] == "unavailable"


def test_reject_with_a_reason_the_resident_sees(wapi, query):
    wish = posted(wapi)
    resp = act(wapi, wish["id"], "reject", "reviewer", {"reason": "请补充具体地址"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "rejected"
    mine = wapi.get(f"{WISHES}/{wish['id']}", POSTER).get_json()
    assert mine["review_reason"] == "请补充具体地址"
    actions = query(lambda s: s.scalars(select(AuditLog.action)).all())
    assert actions == ["wish.reject"]


def test_publishing_to_one_grid_reaches_only_that_grid(wapi):
    wish = published(wapi, audience="grid")  # the resident's grid, g1
    assert wish["audience"] == "grid" and wish["audience_grid_id"] is not None
    assert [w["id"] for w in wapi.get(WISHES, "resident-1").get_json()["items"]] == [wish["id"]]
    assert wapi.get(WISHES, "resident-2").get_json()["items"] == []  # g2
    resp = wapi.get(f"{WISHES}/{wish['id']}", "resident-2")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "wish_not_found"
    resp = act(wapi, wish["id"], "claim", "resident-2")
    assert resp.status_code == 404
    assert act(wapi, wish["id"], "claim", "resident-1").status_code == 200


def test_lists_are_paginated(wapi):
    ids = [published(wapi)["id"] for _ in range(3)]
    first = wapi.get(WISHES, "resident-1", query_string={"limit": 2}).get_json()
    assert [w["id"] for w in first["items"]] == ids[::-1][:2] and first["next_cursor"]
    rest = wapi.get(
        WISHES, "resident-1", query_string={"limit": 2, "cursor": first["next_cursor"]}
    ).get_json()
    assert [w["id"] for w in rest["items"]] == [ids[0]] and rest["next_cursor"] is None
    resp = wapi.get(WISHES, "resident-1", query_string={"limit": 101})
    assert resp.status_code == 422


def test_claimed_scope_lists_what_i_and_my_organisation_took_on(wapi, query):
    from server.community.models import Organisation

    org_id = query(
        lambda s: s.scalar(select(Organisation.id).where(Organisation.name == "幸福路小学"))
    )
    mine = claimed(wapi, "resident-1")
    ours = claimed(wapi, "resident-19", organisation_id=org_id)
    listed = wapi.get(WISHES, "resident-1", query_string={"scope": "claimed"}).get_json()
    assert [w["id"] for w in listed["items"]] == [mine["id"]]
    listed = wapi.get(WISHES, "resident-19", query_string={"scope": "claimed"}).get_json()
    assert [w["id"] for w in listed["items"]] == [ours["id"]]
    assert wapi.get(WISHES, "resident-5", query_string={"scope": "claimed"}).get_json() == {
        "items": [],
        "next_cursor": None,
    }
