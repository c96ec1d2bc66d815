"""Red Points (红色积分) API: the Flask application factory."""

import os

from flask import Flask, request
from flask.sessions import SessionInterface
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

import server.http.validation_messages  # noqa: F401 - must precede every schema definition
from server.db.pool import ping_idle_connections

# Bound as `database`: a name `db` here would shadow the server.db package.
from server.db.session import db as database
from server.db.session import migrate
from server.db.types import MAX_ID
from server.http.api import HeaderParametersPlugin, RedPointsApi
from server.http.docs_assets import init_docs_assets
from server.http.errors import AppError, register_error_handlers
from server.http.json_input import ApiJSONProvider, ApiRequest
from server.http.method_override import MethodOverrideMiddleware
from server.http.rate_limits import init_rate_limits
from server.http.request_checks import init_body_framing, init_query_checks
from server.platform.config import PROJECT_ROOT, load_config
from server.platform.logs import configure_logging, init_request_logging
from server.platform.production import warn_if_stand_in
from server.uploads.storage import init_storage


def _sqlite_pragmas(app: Flask) -> None:
    """WAL for concurrent readers; BEGIN IMMEDIATE so a writer never fails upgrading a read lock."""
    engine = database.engine
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
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            conn.exec_driver_sql("BEGIN IMMEDIATE")


class NoCookieSessions(SessionInterface):
    """Bearer tokens authenticate every request; no route keeps state in a cookie session.

    Flask's default would build a signing serializer and look for a cookie on every request;
    the null session it hands out instead refuses writes, so a route cannot start relying on
    one by accident.
    """

    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response):
        return None


class IdConverter(IntegerConverter):
    """`<int:...>` path ids: positive and within a 64-bit column, else a plain 404."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _authenticate_before_parsing(app: Flask) -> None:
    """Authenticate (routes documented with bearer security) before any body is validated."""
    from server.auth.current import current_user_id

    @app.before_request
    def _require_token():
        view = app.view_functions.get(request.endpoint or "")
        apidoc = getattr(view, "_apidoc", None) or {}
        if apidoc.get("manual_doc", {}).get("security"):
            current_user_id()  # routes load the user itself when they need it
        for param in apidoc.get("arguments", {}).get("parameters", []):
            if param["in"] == "json" and param["required"] and not request.get_data(cache=True):
                raise AppError("请求内容不能为空", code="body_required", status=422)


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(PROJECT_ROOT / "instance"))
    app.url_map.converters["int"] = IdConverter
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_config(app.instance_path, overrides))
    app.request_class = ApiRequest
    app.json = ApiJSONProvider(app)
    app.session_interface = NoCookieSessions()
    app.wsgi_app = MethodOverrideMiddleware(app.wsgi_app)
    if app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"], x_proto=1)
    configure_logging(app.config["LOG_LEVEL"])
    warn_if_stand_in(app.config)

    database.init_app(app)
    with app.app_context():
        _sqlite_pragmas(app)
        if database.engine.dialect.name != "sqlite":
            ping_idle_connections(database.engine, app.config["DB_IDLE_PING_SECONDS"])
    migrate.init_app(
        app, database, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True
    )
    init_rate_limits(app)
    init_storage(app)

    _import_models()
    api = RedPointsApi(app, spec_kwargs={"extra_plugins": [HeaderParametersPlugin()]})
    app.extensions["redpoints_api"] = api
    _register_blueprints(app, api)
    init_docs_assets(app)
    register_error_handlers(app)
    init_request_logging(app)
    init_body_framing(app)  # before anything reads a body
    _authenticate_before_parsing(app)
    init_query_checks(app)
    from server.community.acting import refuse_unaccepted_acting
    from server.notify.drain import init_drain

    app.before_request(refuse_unaccepted_acting)
    init_drain(app)

    from server.commands.cli import register_cli

    register_cli(app)
    return app


def _import_models() -> None:
    """Import every model module so metadata (and Alembic autogenerate) sees all tables."""
    import server.admin.console_models  # noqa: F401
    import server.auth.models  # noqa: F401
    import server.cards.models  # noqa: F401
    import server.community.card_holder_models  # noqa: F401
    import server.community.models  # noqa: F401
    import server.db.audit  # noqa: F401
    import server.grid.report_models  # noqa: F401
    import server.grid.wish_models  # noqa: F401
    import server.http.idempotency  # noqa: F401
    import server.notices.display_models  # noqa: F401
    import server.notices.models  # noqa: F401
    import server.notify.channel_models  # noqa: F401
    import server.notify.job_models  # noqa: F401
    import server.notify.subscribe_models  # noqa: F401
    import server.outbox.models  # noqa: F401
    import server.points.claim_models  # noqa: F401
    import server.points.ledger_models  # noqa: F401
    import server.points.models  # noqa: F401
    import server.rewards.models  # noqa: F401
    import server.tasks.models  # noqa: F401
    import server.tasks.record_models  # noqa: F401
    import server.uploads.models  # noqa: F401
    import server.verification.credit_models  # noqa: F401


def _register_blueprints(app: Flask, api: RedPointsApi) -> None:
    from server.community.routes import admin_blp as community_admin_blp
    from server.community.routes import blp as community_blp
    from server.http.health import bp as health_bp
    from server.profile.routes import auth_blp, me_blp

    app.register_blueprint(health_bp)
    for blp in (auth_blp, me_blp, community_blp, community_admin_blp):
        api.register_blueprint(blp)
    from server.community.invitation_routes import admin_blp as invitations_admin_blp
    from server.community.invitation_routes import blp as invitations_blp

    for blp in (invitations_blp, invitations_admin_blp):
        api.register_blueprint(blp)
    from server.points.balance_routes import blp as points_ledger_blp

    api.register_blueprint(points_ledger_blp)
    from server.points.routes import blueprints as points_claims_blueprints
    from server.uploads.routes import blp as uploads_blp

    for blp in (*points_claims_blueprints, uploads_blp):
        api.register_blueprint(blp)
    from server.rewards.routes import admin_blp as rewards_admin_blp
    from server.rewards.routes import blp as rewards_blp
    from server.rewards.routes import merchant_blp as rewards_merchant_blp

    for blp in (rewards_blp, rewards_merchant_blp, rewards_admin_blp):
        api.register_blueprint(blp)
    from server.tasks.routes import admin_blp as tasks_admin_blp
    from server.tasks.routes import blp as tasks_blp

    for blp in (tasks_blp, tasks_admin_blp):
        api.register_blueprint(blp)
    from server.grid.report_routes import blueprints as grid_report_blueprints
    from server.grid.service_log_routes import blp as grid_service_logs_blp
    from server.grid.wish_routes import blp as wishes_blp

    api.register_blueprint(grid_service_logs_blp)
    for blp in grid_report_blueprints:
        api.register_blueprint(blp)
    api.register_blueprint(wishes_blp)
    from server.cards.routes import blp as cards_blp
    from server.notify.routes import blp as notify_blp
    from server.notify.subscription_routes import blp as subscriptions_blp

    api.register_blueprint(cards_blp)
    api.register_blueprint(notify_blp)
    from server.notices.display_routes import admin_blp as display_admin_blp
    from server.notices.display_routes import screen_bp as display_screen_bp
    from server.notices.routes import admin_blp as notices_admin_blp
    from server.notices.routes import blp as notices_blp

    for blp in (notices_blp, notices_admin_blp, display_admin_blp):
        api.register_blueprint(blp)
    app.register_blueprint(display_screen_bp)
    from server.verification.credit_routes import blp as credit_references_blp
    from server.verification.page_routes import bp as verification_bp

    api.register_blueprint(credit_references_blp)
    app.register_blueprint(verification_bp)
    api.register_blueprint(subscriptions_blp)
    from server.privacy.routes import blp as privacy_blp

    api.register_blueprint(privacy_blp)
    import server.admin.console_claims  # noqa: F401 - 积分审核
    import server.admin.console_cleanup  # noqa: F401 - registers its daily job
    import server.admin.console_merchants  # noqa: F401 - 商家
    import server.admin.console_notices  # noqa: F401
    import server.admin.console_reports  # noqa: F401
    import server.admin.console_routes  # noqa: F401 - the console's pages, on its blueprint
    import server.admin.console_setup_pages  # noqa: F401 - 社区设置, 群机器人, logs and jobs
    import server.admin.console_tasks  # noqa: F401
    from server.admin.audit_routes import blp as audit_entries_blp
    from server.admin.console import bp as console_bp
    from server.admin.console_api import blp as console_logins_blp

    api.register_blueprint(console_logins_blp)
    api.register_blueprint(audit_entries_blp)
    app.register_blueprint(console_bp)
