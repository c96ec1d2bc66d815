"""The documented pg_dump / pg_restore lines give back every row and every balance."""

import hashlib
import os
import subprocess
import uuid

import psycopg
import pytest

from server.commands.seed_demo import seed_demo
from server.db.session import db
from server.points import ledger
from tests import claims_helpers, dbutil
from tests.claims_helpers import image_bytes, item_id, today, upload
from tests.deploy.readme_lines import ROOT, marked_block, substitute
from tests.ledger_helpers import demo_community_id, post_credit, user_id_of

pytestmark = pytest.mark.postgres
upload_dir = claims_helpers.upload_dir


def _counts(url: str, tables: list[str]) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def _balances(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT holder_type, holder_id, balance, held, earned FROM point_accounts"
            " ORDER BY holder_type, holder_id"
        ).fetchall()


def _photos_and_redemptions(url: str) -> tuple[list, list]:
    with psycopg.connect(url) as conn:
        photos = conn.execute(
            "SELECT id, sha256, storage_key FROM uploads WHERE attached_type = 'claim' ORDER BY id"
        ).fetchall()
        redemptions = conn.execute(
            "SELECT id, user_id, offer_id, points, status FROM redemptions ORDER BY id"
        ).fetchall()
    return photos, redemptions


def _activity(api, query) -> None:
    """A claim with two photos and a reservation: what a restore must bring back."""
    photos = [
        upload(api, "resident-1", image_bytes(color=(c, 30, 30))).get_json()["id"]
        for c in (90, 180)
    ]
    body = {"item_id": item_id(query, "C01"), "occurred_on": today().isoformat(),
            "description": "备份演练：垃圾分类督导", "photo_ids": photos}  # fmt: skip
    assert api.post("/api/v1/points/claims", "resident-1", json=body).status_code == 201
    offers = api.get("/api/v1/offers?limit=50", "resident-20").get_json()["items"]
    cheapest = min(offers, key=lambda o: o["points_cost"])
    reserved = api.post("/api/v1/redemptions", "resident-20", json={"offer_id": cheapest["id"]})
    assert reserved.status_code == 201, reserved.get_json()


def test_documented_backup_restores_into_a_scratch_database(
    app, seeded, api, query, database_url, upload_dir, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "SEED_POINTS_HISTORY", True)
    with app.app_context():
        seed_demo()
        quiet = user_id_of("resident-20")  # a demo newcomer: no seeded history
        account = ledger.account_for_user(demo_community_id(), quiet)
        post_credit(account, 15, "backup:1")
        db.session.commit()
        tables = [t.name for t in db.metadata.sorted_tables] + ["alembic_version"]
        db.session.remove()
    _activity(api, query)

    docs = ROOT / "docs" / "deployment.md"
    name = f"rp_restore_{uuid.uuid4().hex[:10]}"
    script = marked_block(docs, "backup-lines") + substitute(
        marked_block(docs, "restore-lines"), {"redpoints_restored": name}
    )
    restored_store = tmp_path / "restored-uploads"
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        BACKUP=str(tmp_path / "redpoints.dump"),
        UPLOAD_DIR=str(upload_dir),
        BACKUP_UPLOADS=str(tmp_path / "backup-uploads"),
        RESTORED_UPLOAD_DIR=str(restored_store),
    )
    try:
        run = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        restored = f"{database_url.rsplit('/', 1)[0]}/{name}"
        original = _counts(database_url, tables)
        assert original["ledger_entries"] > 100 and original["users"] == 24
        assert _counts(restored, tables) == original
        assert _balances(restored) == _balances(database_url)
        held = next(b for b in _balances(restored) if b[:2] == ("user", quiet))
        assert held[2] == 15 and held[3] > 0  # the reservation's hold came back with it
        photos, redemptions = _photos_and_redemptions(restored)
        assert (photos, redemptions) == _photos_and_redemptions(database_url)
        assert len(photos) == 2 and len(redemptions) == 1
        for _id, sha, key in photos:  # every claim photo, byte for byte, in the restored store
            assert hashlib.sha256((restored_store / key).read_bytes()).hexdigest() == sha
    finally:
        with psycopg.connect(dbutil.PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
