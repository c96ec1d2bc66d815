"""Who sees which wish (BOLA), masked names, never a phone number, and who sees the photos."""

import json

from sqlalchemy import update

from server.auth.models import User
from tests import claims_helpers
from tests.grid import wish_helpers
from tests.grid.wish_helpers import (
    POSTER,
    WISHES,
    act,
    claimed,
    fulfilled,
    posted,
    published,
    upload,
)

upload_dir = claims_helpers.upload_dir  # fixtures used by every test here
wapi = wish_helpers.wapi
PHONE = "13912345678"


def board_ids(api, identity, **args) -> list[int]:
    resp = api.get(WISHES, identity, query_string=args)
    assert resp.status_code == 200, resp.get_json()
    return [w["id"] for w in resp.get_json()["items"]]


def give_everyone_a_phone(query):
    def fn(s):
        s.execute(update(User).values(phone=PHONE, phone_country_code="86"))
        s.commit()

    query(fn)


def test_the_board_shows_only_published_and_claimed_wishes_of_the_community(wapi, app):
    claims_helpers.make_other_community(app, identities=("outsider",))
    pending = posted(wapi)
    rejected = posted(wapi)
    act(wapi, rejected["id"], "reject", "reviewer", {"reason": "不符合要求"})
    open_ = published(wapi)
    taken = claimed(wapi, "resident-2")
    done = fulfilled(wapi)
    for identity in ("resident-5", "resident-1", "grid-1", "merchant-1"):
        assert board_ids(wapi, identity) == [taken["id"], open_["id"]], identity
    assert board_ids(wapi, "resident-5", status="claimed") == [taken["id"]]
    assert board_ids(wapi, "outsider") == []
    for wish in (pending, rejected, open_, taken, done):
        resp = wapi.get(f"{WISHES}/{wish['id']}", "outsider")
        assert resp.status_code == 404, wish["status"]
    for wish in (pending, rejected, done):
        assert wapi.get(f"{WISHES}/{wish['id']}", "resident-5").status_code == 404
    mine = wapi.get(WISHES, POSTER, query_string={"scope": "mine"}).get_json()["items"]
    assert [w["id"] for w in mine] == [
        done["id"],
        taken["id"],
        open_["id"],
        rejected["id"],
        pending["id"],
    ]
    assert [w["status"] for w in mine] == [
        "fulfilled",
        "claimed",
        "published",
        "rejected",
        "pending",
    ]


def test_public_views_mask_names_and_never_carry_a_phone(wapi, query):
    give_everyone_a_phone(query)
    wish = claimed(wapi, "resident-2")
    for identity in ("resident-5", "resident-3", "grid-1"):
        resp = wapi.get(WISHES, identity)
        text = json.dumps(resp.get_json(), ensure_ascii=False)
        assert PHONE not in text and "8****5678" not in text and "phone" not in text
        (item,) = resp.get_json()["items"]
        assert item["resident"]["name"] == "刘*" and item["claimer"]["person"]["name"] == "王*"
        assert item["fulfilment"] is None and item["content_verdict"] is None
        one = wapi.get(f"{WISHES}/{wish['id']}", identity).get_json()
        assert PHONE not in json.dumps(one) and one["resident"]["name"] == "刘*"
    # The resident sees the claimer masked too, and their own name in full.
    mine = wapi.get(f"{WISHES}/{wish['id']}", POSTER).get_json()
    assert mine["resident"]["name"] == "刘洋" and mine["claimer"]["person"]["name"] == "王*"
    assert PHONE not in json.dumps(mine)


def test_fulfilment_details_are_for_the_parties_only(wapi):
    wish = fulfilled(wapi, "resident-1")
    act(wapi, wish["id"], "confirm", POSTER, {"thanks": "太感谢了"})
    for identity in (POSTER, "resident-1", "reviewer"):
        view = wapi.get(f"{WISHES}/{wish['id']}", identity).get_json()
        assert view["fulfilment"]["note"] == "已经修好" and view["thanks"] == "太感谢了"
    # Confirmed wishes are off the board: others cannot open them at all.
    assert wapi.get(f"{WISHES}/{wish['id']}", "resident-5").status_code == 404


def test_wish_photos_follow_the_wish_and_fulfilment_photos_only_the_parties(wapi, app):
    claims_helpers.make_other_community(app, identities=("outsider",))
    photo = upload(wapi, POSTER).get_json()
    wish = posted(wapi, photo_ids=[photo["id"]])
    assert wapi.get(photo["url"], POSTER).status_code == 200
    assert wapi.get(photo["url"], "reviewer").status_code == 200
    assert wapi.get(photo["url"], "resident-5").status_code == 404  # not published yet
    act(wapi, wish["id"], "approve", "reviewer")
    for identity in ("resident-5", "resident-1", "grid-1"):
        assert wapi.get(photo["url"], identity).status_code == 200, identity
    assert wapi.get(photo["url"], "outsider").status_code == 404

    act(wapi, wish["id"], "claim", "resident-1")
    done = upload(wapi, "resident-1").get_json()
    body = {"note": "完成", "photo_ids": [done["id"]]}
    assert act(wapi, wish["id"], "fulfil", "resident-1", body).status_code == 200
    for identity in (POSTER, "resident-1", "reviewer", "admin"):
        assert wapi.get(done["url"], identity).status_code == 200, identity
    for identity in ("resident-5", "resident-2", "grid-1", "outsider"):
        assert wapi.get(done["url"], identity).status_code == 404, identity


def test_organisation_staff_act_for_their_organisations_claim(wapi, query, app):
    from sqlalchemy import select

    from server.community.models import Organisation, RoleGrant
    from server.db.session import db
    from tests.grid.wish_helpers import uid

    org_id = query(
        lambda s: s.scalar(select(Organisation.id).where(Organisation.name == "幸福路小学"))
    )
    wish = claimed(wapi, "resident-19", organisation_id=org_id)
    with app.app_context():  # a second staff member of the same school
        db.session.add(
            RoleGrant(
                user_id=uid("resident-6"),
                community_id=wish["community_id"],
                role="org_staff",
                organisation_id=org_id,
                scope_key=f"org:{org_id}",
            )
        )
        db.session.commit()
    view = wapi.get(f"{WISHES}/{wish['id']}", "resident-6").get_json()
    assert view["claimed_by_me"] is True
    photo = upload(wapi, "resident-6").get_json()["id"]
    body = {"note": "学校志愿者完成", "photo_ids": [photo]}
    resp = act(wapi, wish["id"], "fulfil", "resident-6", body)
    assert resp.status_code == 200 and resp.get_json()["status"] == "fulfilled"


def test_the_review_queue_is_the_communitys_only(wapi, app):
    claims_helpers.make_other_community(app, identities=("other-rev",), reviewer="other-rev")
    wish = posted(wapi)
    queue = wapi.get(WISHES, "reviewer", query_string={"scope": "review"}).get_json()
    assert [w["id"] for w in queue["items"]] == [wish["id"]]
    assert wapi.get(WISHES, "other-rev", query_string={"scope": "review"}).get_json() == {
        "items": [],
        "next_cursor": None,
    }
