"""The photo store under test: a local directory, or a bucket on moto's standalone S3 server.

The S3 backend is built by the production code (`build_storage`) and talks HTTP to moto on a
loopback port, so the same boto3 calls run here as against COS, OSS or MinIO.
"""

import uuid
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from server.uploads.storage import build_storage

S3_CREDENTIALS = {"S3_ACCESS_KEY_ID": "test-key-id", "S3_SECRET_ACCESS_KEY": "test-secret-key"}


@pytest.fixture(scope="session")
def moto_endpoint():
    """moto's S3 server on 127.0.0.1 and a port the OS picks; stopped after the session."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_settings(endpoint: str, bucket: str) -> dict:
    """The environment an app instance needs to keep photos in `bucket` on the moto server."""
    return {
        "UPLOAD_STORAGE": "s3",
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": endpoint,
        "S3_REGION": "us-east-1",
        "S3_PREFIX": "photos",
        "S3_ADDRESSING_STYLE": "path",  # a bucket name cannot be a subdomain of 127.0.0.1
        **S3_CREDENTIALS,
    }


class Bucket:
    """A fresh bucket on the moto server, read with a client of the test's own."""

    def __init__(self, endpoint: str):
        self.name = f"photos-{uuid.uuid4().hex[:12]}"
        self.settings = s3_settings(endpoint, self.name)
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=S3_CREDENTIALS["S3_ACCESS_KEY_ID"],
            aws_secret_access_key=S3_CREDENTIALS["S3_SECRET_ACCESS_KEY"],
        )
        self.client.create_bucket(Bucket=self.name)

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name)
        return [obj["Key"] for obj in listing.get("Contents", [])]

    def remove(self) -> None:
        for key in self.keys():
            self.client.delete_object(Bucket=self.name, Key=key)
        self.client.delete_bucket(Bucket=self.name)


@pytest.fixture
def bucket(moto_endpoint):
    b = Bucket(moto_endpoint)
    yield b
    b.remove()


class Stored:
    """What the app under test stores to, and a way to look at what it stored."""

    def __init__(self, backend: str, storage, root: Path | None = None, bucket=None):
        self.backend = backend
        self.storage = storage
        self.root = root
        self.bucket = bucket

    def keys(self) -> list[str]:
        """Every stored object, as the store names it (partial writes included)."""
        if self.bucket is not None:
            return self.bucket.keys()
        if not self.root.exists():
            return []
        return [p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file()]

    def remove(self, key: str) -> None:
        """Lose one stored file behind the app's back, as a broken disk or bucket would."""
        if self.bucket is not None:
            self.bucket.client.delete_object(Bucket=self.bucket.name, Key=key)
        else:
            (self.root / key).unlink()


def _serving(app, result: Stored):
    """Point the app at `result`'s store for one test, then back at the session's."""
    previous = app.extensions["upload_storage"]
    app.extensions["upload_storage"] = result.storage
    yield result
    app.extensions["upload_storage"] = previous


@pytest.fixture(params=["local", "s3"])
def stored(request, app, tmp_path):
    """Every upload test runs once on a local directory and once on a fresh moto bucket."""
    if request.param == "local":
        root = tmp_path / "uploads"
        config = {"UPLOAD_STORAGE": "local", "UPLOAD_DIR": str(root)}
        result = Stored("local", build_storage(config), root=root)
    else:
        bucket = request.getfixturevalue("bucket")
        result = Stored("s3", build_storage(bucket.settings), bucket=bucket)
    yield from _serving(app, result)


@pytest.fixture
def s3_stored(app, bucket):
    """The S3 backend alone, for what only a bucket has (ACLs, prefixes, an unreachable store)."""
    yield from _serving(app, Stored("s3", build_storage(bucket.settings), bucket=bucket))
