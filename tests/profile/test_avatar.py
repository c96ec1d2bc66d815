"""PATCH /me with an avatar: only the caller's own upload, named by the url it answered."""

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from server.db.session import db
from server.db.types import utcnow
from server.uploads.models import Upload
from tests import claims_helpers
from tests.claims_helpers import image_bytes, item_id, today, upload
from tests.conftest import error_code

upload_dir = claims_helpers.upload_dir  # photos in a temporary directory
pytestmark = pytest.mark.usefixtures("upload_dir", "seeded")
ME = "/api/v1/me"


def uploaded(api, identity="resident-1") -> dict:
    resp = upload(api, identity)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def attachment(query, upload_id):
    row = query(lambda s: s.execute(select(Upload).where(Upload.id == upload_id)).scalar())
    return (row.attached_type, row.attached_id) if row else None


def field_error(resp, field="avatar_url") -> str:
    return resp.get_json()["error"]["details"]["fields"]["json"][field][0]


def test_own_upload_becomes_the_avatar_and_shows_in_me(api, query):
    photo = uploaded(api)
    resp = api.patch(ME, "resident-1", json={"avatar_url": photo["url"], "nickname": "小红"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["avatar_url"] == photo["url"]
    me = api.get(ME, "resident-1").get_json()
    assert (me["avatar_url"], me["nickname"]) == (photo["url"], "小红")
    me_id = str(me["id"])
    assert attachment(query, photo["id"]) == ("avatar", me_id)
    # The same avatar again changes nothing.
    assert api.patch(ME, "resident-1", json={"avatar_url": photo["url"]}).status_code == 200
    assert attachment(query, photo["id"]) == ("avatar", me_id)
    # The avatar is still private to its owner.
    assert api.get(photo["url"], "resident-1").status_code == 200
    assert api.get(photo["url"], "resident-2").status_code == 404


def test_someone_elses_or_a_missing_upload_is_refused_beside_the_field(api, query):
    theirs = uploaded(api, "resident-2")
    for url in (theirs["url"], "/api/v1/uploads/999999", "/api/v1/uploads/999999999999"):
        resp = api.patch(ME, "resident-1", json={"avatar_url": url})
        assert resp.status_code == 422, resp.get_json()
        assert error_code(resp) == "avatar_upload_not_found"
        assert field_error(resp) == "头像图片不存在或不是您上传的"
    assert attachment(query, theirs["id"]) == (None, None)
    assert api.get(ME, "resident-1").get_json()["avatar_url"] is None


@pytest.mark.parametrize(
    "value",
    [
        "https://example.com/avatar.png",  # anything that is not one of our uploads
        "javascript:alert(1)",
        "/api/v1/uploads/0",
        "/api/v1/uploads/12/../../me",
        "/api/v1/uploads/" + "1" * 60,
        "",
        12,
    ],
)
def test_anything_but_an_upload_url_is_a_422(api, value):
    resp = api.patch(ME, "resident-1", json={"avatar_url": value})
    assert resp.status_code == 422, resp.get_json()
    assert "avatar_url" in resp.get_json()["error"]["details"]["fields"]["json"]


def test_an_upload_used_elsewhere_cannot_be_the_avatar_and_vice_versa(api, query):
    photo = uploaded(api)
    claim = {
        "item_id": item_id(query, "C01"),
        "occurred_on": today().isoformat(),
        "description": "在小区垃圾分类点督导两小时",
        "photo_ids": [photo["id"]],
    }
    assert api.post("/api/v1/points/claims", "resident-1", json=claim).status_code == 201
    resp = api.patch(ME, "resident-1", json={"avatar_url": photo["url"]})
    assert resp.status_code == 409 and error_code(resp) == "upload_already_attached"

    avatar = uploaded(api)
    assert api.patch(ME, "resident-1", json={"avatar_url": avatar["url"]}).status_code == 200
    claim["photo_ids"] = [avatar["id"]]
    resp = api.post("/api/v1/points/claims", "resident-1", json=claim)
    assert resp.status_code == 409 and error_code(resp) == "upload_already_attached"


def test_a_new_avatar_lets_the_old_one_go_to_the_purge_and_null_clears_it(api, query, app):
    from server.uploads import service

    first, second = uploaded(api), uploaded(api)
    assert api.patch(ME, "resident-1", json={"avatar_url": first["url"]}).status_code == 200
    assert api.patch(ME, "resident-1", json={"avatar_url": second["url"]}).status_code == 200
    assert attachment(query, first["id"]) == (None, None)
    with app.app_context():
        for upload_id in (first["id"], second["id"]):
            db.session.get(Upload, upload_id).created_at = utcnow() - timedelta(days=3)
        db.session.commit()
        assert service.purge_unattached() == 1  # the replaced one; the avatar stays
    assert attachment(query, first["id"]) is None
    assert api.get(second["url"], "resident-1").status_code == 200

    resp = api.patch(ME, "resident-1", json={"avatar_url": None})
    assert resp.status_code == 200 and resp.get_json()["avatar_url"] is None
    assert attachment(query, second["id"]) == (None, None)


def test_nickname_is_bounded_and_its_422_names_the_field(api):
    resp = api.patch(ME, "resident-1", json={"nickname": "长" * 33})
    assert resp.status_code == 422
    assert "nickname" in resp.get_json()["error"]["details"]["fields"]["json"]
    assert api.patch(ME, "resident-1", json={"nickname": "长" * 32}).status_code == 200


def avatar_upload(api, identity, data=None):
    data = image_bytes() if data is None else data
    return api.post(
        "/api/v1/uploads?purpose=avatar",
        identity,
        data={"file": (io.BytesIO(data), "avatar.png")},
        content_type="multipart/form-data",
    )


def test_a_newcomer_sets_an_avatar_before_joining(api, query):
    assert error_code(upload(api, "newcomer-7")) == "not_a_member"  # photos need a community
    resp = avatar_upload(api, "newcomer-7")
    assert resp.status_code == 201, resp.get_json()
    url = resp.get_json()["url"]
    patched = api.patch(ME, "newcomer-7", json={"avatar_url": url, "nickname": "新邻居"})
    assert patched.status_code == 200, patched.get_json()
    me = api.get(ME, "newcomer-7").get_json()
    assert (me["avatar_url"], me["nickname"], me["membership"]) == (url, "新邻居", None)
    assert api.get(url, "newcomer-7").status_code == 200


def test_an_avatar_is_stored_at_most_512_pixels_a_side(api):
    big = image_bytes("JPEG", size=(1200, 900))
    body = avatar_upload(api, "resident-1", big).get_json()
    assert (body["width"], body["height"]) == (512, 384)
    stored = Image.open(io.BytesIO(api.get(body["url"], "resident-1").data))
    assert stored.size == (512, 384)
    photo = upload(api, "resident-1", big).get_json()  # a photo keeps its size
    assert (photo["width"], photo["height"]) == (1200, 900)


@pytest.mark.parametrize("qs", ["purpose=banner", "purpose=avatar&purpose=photo", "size=9"])
def test_an_unknown_purpose_or_parameter_is_a_422(api, qs):
    resp = api.post(
        f"/api/v1/uploads?{qs}",
        "resident-1",
        data={"file": (io.BytesIO(image_bytes()), "a.png")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422, resp.get_json()
