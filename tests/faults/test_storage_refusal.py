"""The photo store refusing writes (the disk full, read-only or gone): an upload fails cleanly
with 503 `storage_unavailable`, leaves no row and no half-written file, nothing can point at
the photo that was not stored, and uploads work again once the store is back."""

import io
from datetime import date

import pytest
import requests
from PIL import Image

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("faults")]


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(out, "JPEG")
    return out.getvalue()


def upload(stack, headers: dict):
    files = {"file": ("photo.jpg", photo(), "image/jpeg")}
    return requests.post(stack.url("/uploads"), headers=headers, files=files, timeout=30)


def stored_files(stack) -> list:
    return sorted(p for p in stack.uploads.rglob("*") if p.is_file())


def test_a_store_refusing_writes_fails_the_upload_cleanly(stack):
    resident = stack.login("resident-15")
    kept = upload(stack, resident)
    assert kept.status_code == 201, kept.text
    rows, files = stack.sql("SELECT count(*) FROM uploads"), stored_files(stack)

    # The store's directory replaced by a file: every write under it fails, even for root.
    away = stack.uploads.with_name("uploads-away")
    stack.uploads.rename(away)
    stack.uploads.write_text("not a directory")
    try:
        refused = [upload(stack, resident) for _ in range(2)]
    finally:
        stack.uploads.unlink()
        away.rename(stack.uploads)

    for resp in refused:
        assert resp.status_code == 503, resp.text
        assert resp.json()["error"]["code"] == "storage_unavailable"
    assert stack.sql("SELECT count(*) FROM uploads") == rows
    assert stored_files(stack) == files  # no half-written .part left behind

    items = requests.get(stack.url("/points/items"), headers=resident, timeout=10).json()
    claim = {"item_id": items["items"][3]["id"], "occurred_on": date.today().isoformat(),
             "description": "清理小区绿化带"}  # fmt: skip
    missing = max(row[0] for row in stack.sql("SELECT id FROM uploads")) + 1
    bad = requests.post(stack.url("/points/claims"), headers=resident, timeout=10,
                        json={**claim, "photo_ids": [missing]})  # fmt: skip
    assert 400 <= bad.status_code < 500, bad.text
    good = requests.post(stack.url("/points/claims"), headers=resident, timeout=10,
                         json={**claim, "photo_ids": [kept.json()["id"]]})  # fmt: skip
    assert good.status_code == 201, good.text

    again = upload(stack, resident)
    assert again.status_code == 201, again.text
    shown = requests.get(stack.url(f"/uploads/{kept.json()['id']}"), headers=resident, timeout=10)
    assert shown.status_code == 200 and shown.content[:2] == b"\xff\xd8"
