"""The photo store behind uploads: configuration, privacy, lost files and a store that is down."""

import logging
import socket
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server import create_app
from server.platform.config import ConfigError, load_config
from server.uploads.models import Upload
from server.uploads.storage import LocalStorage, S3Storage, build_storage
from tests.claims_helpers import upload
from tests.conftest import error_code
from tests.uploads.conftest import S3_CREDENTIALS


def count_uploads(query):
    return query(lambda s: s.scalar(select(func.count(Upload.id))))


def closed_port() -> int:
    """A loopback port nothing listens on: connections to it are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unreachable(settings: dict) -> dict:
    return {**settings, "S3_ENDPOINT_URL": f"http://127.0.0.1:{closed_port()}"}


def test_a_lost_file_is_404_not_500(api, seeded, stored):
    body = upload(api, "resident-1").get_json()
    (key,) = stored.keys()
    stored.remove(key)
    resp = api.get(body["url"], "resident-1")
    assert resp.status_code == 404 and error_code(resp) == "upload_file_missing"


def test_a_client_holding_the_image_gets_304(api, seeded, stored):
    url = upload(api, "resident-1").get_json()["url"]
    first = api.get(url, "resident-1")
    assert first.status_code == 200 and first.content_length == len(first.data) > 0
    etag = first.headers["ETag"]
    again = api.get(url, "resident-1", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other = api.get(url, "resident-1", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.data == first.data


def test_s3_objects_are_private_typed_and_under_the_prefix(api, seeded, s3_stored):
    body = upload(api, "resident-1").get_json()
    (key,) = s3_stored.keys()
    assert key.startswith("photos/") and key.endswith(".png")
    client, name = s3_stored.bucket.client, s3_stored.bucket.name
    assert client.head_object(Bucket=name, Key=key)["ContentType"] == "image/png"
    grants = client.get_object_acl(Bucket=name, Key=key)["Grants"]
    public = [g for g in grants if "URI" in g["Grantee"]]  # AllUsers / AuthenticatedUsers
    assert grants and public == []
    assert api.get(body["url"], "resident-1").status_code == 200


def test_store_down_refuses_the_upload_and_keeps_nothing(
    api, seeded, app, query, s3_stored, caplog
):
    app.extensions["upload_storage"] = build_storage(unreachable(s3_stored.bucket.settings))
    with caplog.at_level(logging.DEBUG):
        resp = upload(api, "resident-1")
    assert resp.status_code == 503 and error_code(resp) == "storage_unavailable"
    assert count_uploads(query) == 0 and s3_stored.keys() == []
    logged = caplog.text + repr([r.__dict__ for r in caplog.records])
    assert "object store put failed" in caplog.text
    for secret in S3_CREDENTIALS.values():
        assert secret not in logged


def test_a_disk_refusing_writes_refuses_the_upload_and_keeps_nothing(
    api, seeded, app, query, tmp_path, monkeypatch
):
    """The local store's directory full, read-only or gone (here: a file in its place, which
    refuses even root): 503 storage_unavailable, no row, no half-written file. It was a 500."""
    blocked = tmp_path / "photos"
    blocked.write_text("not a directory")
    monkeypatch.setitem(app.extensions, "upload_storage", LocalStorage(blocked))
    resp = upload(api, "resident-1")
    assert resp.status_code == 503 and error_code(resp) == "storage_unavailable"
    assert count_uploads(query) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos"]


def test_store_down_answers_503_when_reading(api, seeded, app, s3_stored):
    url = upload(api, "resident-1").get_json()["url"]
    app.extensions["upload_storage"] = build_storage(unreachable(s3_stored.bucket.settings))
    resp = api.get(url, "resident-1")
    assert resp.status_code == 503 and error_code(resp) == "storage_unavailable"


def test_purge_deletes_rows_even_when_the_store_is_down(api, seeded, app, query, s3_stored, caplog):
    from server.db.session import db
    from server.db.types import utcnow
    from server.uploads import service

    upload_id = upload(api, "resident-1").get_json()["id"]
    with app.app_context():
        db.session.get(Upload, upload_id).created_at = utcnow() - timedelta(days=3)
        db.session.commit()
    app.extensions["upload_storage"] = build_storage(unreachable(s3_stored.bucket.settings))
    with app.app_context(), caplog.at_level(logging.WARNING):
        assert service.purge_unattached() == 1
    assert "stored upload left behind" in caplog.text
    assert count_uploads(query) == 0
    assert len(s3_stored.keys()) == 1  # an orphan, logged; it costs space, never privacy


@pytest.mark.parametrize(
    "settings,named",
    [
        ({"UPLOAD_STORAGE": "ftp"}, "UPLOAD_STORAGE"),
        ({"UPLOAD_STORAGE": "s3"}, "S3_BUCKET"),
        ({"UPLOAD_STORAGE": "s3", "S3_BUCKET": "b", "S3_ADDRESSING_STYLE": "dns"}, "ADDRESSING"),
        ({"UPLOAD_STORAGE": "s3", "S3_BUCKET": "b", "S3_ACCESS_KEY_ID": "k"}, "S3_SECRET"),
        ({"UPLOAD_STORAGE": "s3", "S3_BUCKET": "b", "S3_TIMEOUT": "soon"}, "S3_TIMEOUT"),
    ],
)
def test_an_unusable_store_setting_is_refused_by_name(settings, named):
    with pytest.raises(ConfigError, match=named):
        build_storage({"UPLOAD_DIR": "/tmp/unused", **settings})


def scratch_app_settings(tmp_path) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}",
        "LOG_LEVEL": "WARNING",
    }


def test_the_app_does_not_start_with_an_unusable_store(tmp_path):
    with pytest.raises(ConfigError, match="S3_BUCKET"):
        create_app({**scratch_app_settings(tmp_path), "UPLOAD_STORAGE": "s3"})


def test_the_store_is_chosen_by_the_environment(monkeypatch, tmp_path, bucket):
    for name in ("UPLOAD_STORAGE", "UPLOAD_DIR", "S3_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("UPLOAD_DIR", str(tmp_path / "photos"))
    local = build_storage(load_config(str(tmp_path)))
    assert isinstance(local, LocalStorage) and local.root == tmp_path / "photos"

    for name, value in bucket.settings.items():
        monkeypatch.setenv(name, value)
    remote = build_storage(load_config(str(tmp_path)))
    assert isinstance(remote, S3Storage) and remote.bucket == bucket.name
    remote.put("2026/01/probe.png", b"probe", "image/png")
    assert bucket.keys() == ["photos/2026/01/probe.png"]


def test_without_upload_dir_photos_go_under_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("UPLOAD_DIR", raising=False)
    monkeypatch.delenv("UPLOAD_STORAGE", raising=False)
    app = create_app(scratch_app_settings(tmp_path))
    storage = app.extensions["upload_storage"]
    assert isinstance(storage, LocalStorage)
    assert storage.root.as_posix() == f"{app.instance_path}/uploads"
