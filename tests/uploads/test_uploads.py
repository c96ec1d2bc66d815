import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from server.uploads.models import Upload
from tests.claims_helpers import image_bytes, make_other_community, upload
from tests.conftest import error_code

# Every test here runs on the local directory and on moto's S3 server (tests/uploads/conftest.py).
pytestmark = pytest.mark.usefixtures("stored")


def count_uploads(query):
    return query(lambda s: s.scalar(select(func.count(Upload.id))))


@pytest.mark.parametrize(
    "fmt,ctype", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_upload_and_read_back(api, seeded, stored, fmt, ctype):
    resp = upload(api, "resident-1", image_bytes(fmt), name="whatever.bin")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["content_type"] == ctype and (body["width"], body["height"]) == (64, 48)
    assert body["url"] == f"/api/v1/uploads/{body['id']}"
    keys = stored.keys()
    assert len(keys) == 1 and not keys[0].endswith(".part")

    got = api.get(body["url"], "resident-1")
    assert got.status_code == 200 and got.mimetype == ctype
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in got.headers["Cache-Control"]
    assert Image.open(io.BytesIO(got.data)).format == fmt


def test_metadata_is_stripped(api, seeded):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make; GPS would be stripped the same way
    resp = upload(api, "resident-1", image_bytes("JPEG", exif=exif.tobytes()))
    assert resp.status_code == 201
    got = api.get(resp.get_json()["url"], "resident-1")
    assert not Image.open(io.BytesIO(got.data)).getexif()


def test_unattached_upload_is_private_to_its_owner(api, seeded, app):
    make_other_community(app, identities=("outsider",))
    url = upload(api, "resident-1").get_json()["url"]
    for identity in ("resident-2", "reviewer", "admin", "outsider"):
        resp = api.get(url, identity)
        assert resp.status_code == 404 and error_code(resp) == "upload_not_found"
    assert api.get(url).status_code == 401
    assert api.get("/api/v1/uploads/999999", "resident-1").status_code == 404


@pytest.mark.parametrize(
    "data,name,status,code",
    [
        (b"GIF89a" + b"\0" * 100, "a.gif", 415, "unsupported_image_type"),
        (b"not an image at all", "photo.jpg", 415, "unsupported_image_type"),
        (b"%PDF-1.4\n", "photo.png", 415, "unsupported_image_type"),
        (image_bytes("GIF"), "photo.png", 415, "unsupported_image_type"),
        (image_bytes("BMP"), "photo.jpg", 415, "unsupported_image_type"),
        (image_bytes("JPEG", size=(400, 300))[:400], "cut.jpg", 422, "image_corrupt"),
        (b"", "empty.png", 422, "upload_empty"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(
    api,
    seeded,
    query,
    stored,
    data,
    name,
    status,
    code,
):
    resp = upload(api, "resident-1", data, name=name)
    assert resp.status_code == status, resp.get_json()
    assert error_code(resp) == code
    assert count_uploads(query) == 0
    assert stored.keys() == []


def test_decompression_bomb_is_refused(api, seeded, query):
    # 20000 x 20000 one-bit pixels compress to a few kilobytes but decode to 400 megapixels.
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")
    assert len(out.getvalue()) < 200_000
    resp = upload(api, "resident-1", out.getvalue())
    assert resp.status_code == 422 and error_code(resp) == "image_too_many_pixels"
    assert count_uploads(query) == 0


def test_pixel_limit_is_configurable(api, seeded, app):
    app.config["UPLOAD_MAX_PIXELS"] = 1000
    try:
        resp = upload(api, "resident-1", image_bytes(size=(100, 100)))
    finally:
        app.config.pop("UPLOAD_MAX_PIXELS")
    assert resp.status_code == 422 and error_code(resp) == "image_too_many_pixels"


def test_oversized_upload_is_refused(api, seeded, app, query):
    app.config["UPLOAD_MAX_BYTES"] = 1000
    try:
        resp = upload(
            api, "resident-1", image_bytes("PNG", size=(300, 300), color=None) + b"\0" * 2000
        )
    finally:
        app.config.pop("UPLOAD_MAX_BYTES")
    assert resp.status_code == 413 and error_code(resp) == "upload_too_large"
    assert count_uploads(query) == 0


def test_body_over_the_request_limit_is_413(api, seeded, app):
    big = b"\xff\xd8" + b"\0" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    resp = upload(api, "resident-1", big, name="big.jpg")
    assert resp.status_code == 413 and error_code(resp) == "payload_too_large"


def test_upload_needs_a_file_a_token_and_a_membership(api, seeded):
    resp = api.post("/api/v1/uploads", "resident-1", data={}, content_type="multipart/form-data")
    assert resp.status_code == 422
    resp = api.post("/api/v1/uploads", "resident-1", json={"file": "x"})
    assert resp.status_code == 415 and error_code(resp) == "unsupported_media_type"
    assert upload(api, None).status_code == 401
    api.login("newcomer")  # logged in, but in no community yet
    resp = upload(api, "newcomer")
    assert resp.status_code == 403 and error_code(resp) == "not_a_member"


def test_daily_quota(api, seeded, app):
    app.config["UPLOAD_DAILY_QUOTA"] = 2
    try:
        assert upload(api, "resident-1").status_code == 201
        assert upload(api, "resident-1").status_code == 201
        resp = upload(api, "resident-1")
    finally:
        app.config.pop("UPLOAD_DAILY_QUOTA")
    assert resp.status_code == 429 and error_code(resp) == "upload_quota_exceeded"
    assert resp.headers["Retry-After"]


def test_unattached_uploads_are_purged_after_a_while(api, seeded, app, query, stored):
    from datetime import timedelta

    from server.db.session import db
    from server.db.types import utcnow
    from server.uploads import service

    old = upload(api, "resident-1").get_json()["id"]
    kept = upload(api, "resident-1").get_json()["id"]
    attached = upload(api, "resident-1").get_json()["id"]
    with app.app_context():
        for upload_id in (old, attached):
            db.session.get(Upload, upload_id).created_at = utcnow() - timedelta(days=3)
        db.session.get(Upload, attached).attached_type = "claim"
        db.session.get(Upload, attached).attached_id = "1"
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["purge-uploads"])
    assert result.exit_code == 0 and "purged 1 " in result.output, result.output
    with app.app_context():
        assert service.purge_unattached() == 0
    left = query(lambda s: sorted(s.scalars(select(Upload.id)).all()))
    assert left == [kept, attached]
    assert len(stored.keys()) == 2
