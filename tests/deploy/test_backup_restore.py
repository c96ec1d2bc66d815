"""The documented pg_dump / pg_restore lines give back every row and every balance."""

import os
import subprocess
import uuid

import psycopg
import pytest

from server.commands.seed_demo import seed_demo
from server.db.session import db
from server.points import ledger
from tests import dbutil
from tests.deploy.readme_lines import ROOT, marked_block, substitute
from tests.ledger_helpers import demo_community_id, post_credit, user_id_of

pytestmark = pytest.mark.postgres


def _counts(url: str, tables: list[str]) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def _balances(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT holder_type, holder_id, balance, held, earned FROM point_accounts"
            " ORDER BY holder_type, holder_id"
        ).fetchall()


def test_documented_backup_restores_into_a_scratch_database(
    app, seeded, database_url, tmp_path, monkeypatch
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

    docs = ROOT / "docs" / "deployment.md"
    name = f"rp_restore_{uuid.uuid4().hex[:10]}"
    script = marked_block(docs, "backup-lines") + substitute(
        marked_block(docs, "restore-lines"), {"redpoints_restored": name}
    )
    env = dict(os.environ, DATABASE_URL=database_url, BACKUP=str(tmp_path / "redpoints.dump"))
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
        assert ("user", quiet, 15, 0, 15) in _balances(restored)
    finally:
        with psycopg.connect(dbutil.PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
