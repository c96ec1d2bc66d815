"""Red Points (红色积分) API: the Flask application factory."""

import os

from flask import Flask, request
from sqlalchemy import event

from server.config import PROJECT_ROOT, load_config
from server.errors import AppError, register_error_handlers
from server.extensions import RedPointsApi, db, limiter, migrate
from server.logging_setup import configure_logging, init_request_logging


def _sqlite_pragmas(app: Flask) -> None:
    """WAL for concurrent readers; BEGIN IMMEDIATE so a writer never fails upgrading a read lock."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let SQLAlchemy issue BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _limit_json_bodies(app: Flask) -> None:
    @app.before_request
    def _check_size():
        limit = app.config["JSON_BODY_LIMIT"]
        if request.mimetype == "application/json" and (request.content_length or 0) > limit:
            raise AppError(
                "提交的内容过大", code="payload_too_large", status=413, details={"max_bytes": limit}
            )


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(PROJECT_ROOT / "instance"))
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_config(app.instance_path, overrides))
    app.json.ensure_ascii = False
    configure_logging(app.config["LOG_LEVEL"])

    redis_url = app.config["REDIS_URL"]
    app.config.setdefault("RATELIMIT_STORAGE_URI", redis_url or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", app.config["REDIS_PREFIX"] + "limits")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)

    db.init_app(app)
    with app.app_context():
        _sqlite_pragmas(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    limiter.init_app(app)

    _import_models()
    api = RedPointsApi(app)
    app.extensions["redpoints_api"] = api
    _register_blueprints(app, api)
    register_error_handlers(app)
    init_request_logging(app)
    _limit_json_bodies(app)

    from server.cli import register_cli

    register_cli(app)
    return app


def _import_models() -> None:
    """Import every model module so metadata (and Alembic autogenerate) sees all tables."""
    import server.audit  # noqa: F401
    import server.auth.models  # noqa: F401
    import server.community.models  # noqa: F401
    import server.notify.models  # noqa: F401
    import server.points.models  # noqa: F401
    import server.rewards.models  # noqa: F401


def _register_blueprints(app: Flask, api: RedPointsApi) -> None:
    from server.auth.routes import blp as auth_blp
    from server.community.routes import admin_blp as community_admin_blp
    from server.community.routes import blp as community_blp
    from server.health import bp as health_bp

    app.register_blueprint(health_bp)
    for blp in (auth_blp, community_blp, community_admin_blp):
        api.register_blueprint(blp)
