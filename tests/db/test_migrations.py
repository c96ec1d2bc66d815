"""Migrations build the schema from empty on this run's database and match the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from server import create_app
from server.db.session import db
from server.platform.config import PROJECT_ROOT
from tests import dbutil


def test_exactly_one_head():
    script = ScriptDirectory(str(PROJECT_ROOT / "migrations"))
    assert len(script.get_heads()) == 1, script.get_heads()


def test_upgrade_from_empty_matches_models_and_downgrades_cleanly(tmp_path):
    url, drop = dbutil.create_database(tmp_path)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
            tables = set(inspect(db.engine).get_table_names())
            assert {"users", "communities", "role_grants", "audit_log", "outbox_events"} <= tables
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()
