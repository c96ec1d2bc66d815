"""Configuration read from the environment; nothing secret is ever hard-coded for production."""

import json
import os
from pathlib import Path

from server.platform.production import (
    DEMO_WECHAT_APPID,
    DEMO_WECHAT_SECRET,
    REAL_WECHAT_API_BASE,
    REAL_WECOM_ROBOT_BASE,
    production_problems,
)

DEFAULT_SECRET_KEY = "dev-insecure-secret-key-do-not-use-in-production"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
S3_SETTINGS = (
    "S3_BUCKET",
    "S3_ENDPOINT_URL",
    "S3_REGION",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "S3_PREFIX",
    "S3_ADDRESSING_STYLE",
    "S3_TIMEOUT",
)


class ConfigError(RuntimeError):
    """The environment does not describe a runnable configuration."""


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _json_object(name: str) -> dict | None:
    """A JSON object of strings from the environment, or None when unset."""
    raw = os.environ.get(name)
    if raw in (None, ""):
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
    ):
        raise ConfigError(f'{name} must be a JSON object of strings, like {{"kind": "id"}}')
    return value


def default_database_url(instance_path: str) -> str:
    return f"sqlite:///{Path(instance_path) / 'redpoints.sqlite3'}"


def check_checkout(root: Path) -> None:
    """The app runs from its checkout: migrations and JSON Schemas are read from there."""
    if not (root / "migrations" / "env.py").is_file() or not (root / "schemas").is_dir():
        raise ConfigError(
            f"Red Points runs from its checkout, and {root} is not one (no migrations/ or "
            "schemas/). Install with `pip install -e .` inside the checkout; "
            "`pip install .` into another place is not supported."
        )


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the Flask config dict from the environment, then apply explicit overrides."""
    check_checkout(PROJECT_ROOT)
    env = os.environ.get("REDPOINTS_ENV", os.environ.get("FLASK_ENV", "development"))
    cfg = {
        "ENV_NAME": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL")
        or default_database_url(instance_path),
        # PostgreSQL connections idle longer than this are pinged before use (server/db/pool.py).
        "DB_IDLE_PING_SECONDS": _float("DB_IDLE_PING_SECONDS", 5.0),
        # A request holding an Idempotency-Key this long is taken to have crashed; a retry with
        # the key takes over (server/http/idempotency.py). Longer than any request runs here.
        "IDEMPOTENCY_IN_FLIGHT_SECONDS": _float("IDEMPOTENCY_IN_FLIGHT_SECONDS", 15.0),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "REDIS_PREFIX": os.environ.get("REDIS_PREFIX", "redpoints:"),
        "WECHAT_APPID": os.environ.get("WECHAT_APPID", DEMO_WECHAT_APPID),
        "WECHAT_SECRET": os.environ.get("WECHAT_SECRET", DEMO_WECHAT_SECRET),
        # Development talks to the local emulator; production to WeChat unless told otherwise.
        "WECHAT_API_BASE": os.environ.get("WECHAT_API_BASE")
        or (REAL_WECHAT_API_BASE if env == "production" else "http://127.0.0.1:8001/"),
        # The named escape that lets production use the emulator (server/platform/production.py).
        "WECHAT_EMULATOR_STAND_IN": _flag("WECHAT_EMULATOR_STAND_IN"),
        "WECHAT_TIMEOUT": _float("WECHAT_TIMEOUT", 3.0),
        # Subscribe-message template ids per kind (server/wechat/subscribe_templates.py);
        # unset: the development ids the emulator knows.
        "WECHAT_SUBSCRIBE_TEMPLATES": _json_object("WECHAT_SUBSCRIBE_TEMPLATES"),
        # WeCom group robots (server/notify/robot.py): WeCom in production; elsewhere the
        # emulator at WECHAT_API_BASE, filled in below so an override of that moves both.
        "WECOM_ROBOT_BASE": os.environ.get("WECOM_ROBOT_BASE")
        or (REAL_WECOM_ROBOT_BASE if env == "production" else None),
        "WECOM_ROBOT_TIMEOUT": _float("WECOM_ROBOT_TIMEOUT", 5.0),
        # Group-chat deliveries drained by a thread of each process (server/notify/drain.py):
        # unset means on without Redis (the embedded default), off in tests.
        "NOTIFY_IN_PROCESS": _flag("NOTIFY_IN_PROCESS")
        if os.environ.get("NOTIFY_IN_PROCESS")
        else None,
        "NOTIFY_DRAIN_INTERVAL": _float("NOTIFY_DRAIN_INTERVAL", 30.0),
        # With Redis, RQ workers do it (server/notify/rq_jobs.py): a commit that wrote an event
        # queues a pump job; unset means on with Redis, off in tests.
        "NOTIFY_RQ": _flag("NOTIFY_RQ") if os.environ.get("NOTIFY_RQ") else None,
        # How long a worker owns a delivery it is sending; a killed worker's delivery is sent
        # by another when it ends.
        "NOTIFY_LEASE_SECONDS": _float("NOTIFY_LEASE_SECONDS", 60.0),
        # A WeCom robot takes 20 messages a minute (a `limits` rate; tests compress the minute).
        "NOTIFY_ROBOT_RATE": os.environ.get("NOTIFY_ROBOT_RATE", "20 per minute"),
        "ACCESS_TOKEN_TTL": _int("ACCESS_TOKEN_TTL", 2 * 3600),
        # Login limits (server/auth/login_limits.py). Per address it is high: a community hall's
        # Wi-Fi or a carrier NAT puts hundreds of residents behind one address. Per device and
        # per WeChat identity it is tight: nobody logs in ten times a minute.
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "600 per minute"),
        "LOGIN_DEVICE_RATE_LIMIT": os.environ.get("LOGIN_DEVICE_RATE_LIMIT", "10 per minute"),
        "LOGIN_IDENTITY_RATE_LIMIT": os.environ.get("LOGIN_IDENTITY_RATE_LIMIT", "10 per minute"),
        # Card PIN tries at a counter (server/cards/pins.py), beyond the card's own lock after
        # five wrong ones: per merchant, so a stolen card cannot be tried through many
        # counters' staff, and per card. Binding codes typed by one user.
        "CARD_PIN_MERCHANT_RATE_LIMIT": os.environ.get(
            "CARD_PIN_MERCHANT_RATE_LIMIT", "30 per hour"
        ),
        "CARD_PIN_CARD_RATE_LIMIT": os.environ.get("CARD_PIN_CARD_RATE_LIMIT", "10 per hour"),
        "CARD_BIND_RATE_LIMIT": os.environ.get("CARD_BIND_RATE_LIMIT", "10 per hour"),
        # The hall screen (server/notices/display_routes.py) loads once and refreshes every
        # minute; per address it is high because several screens may share one hall's network.
        "DISPLAY_TOKEN_RATE_LIMIT": os.environ.get("DISPLAY_TOKEN_RATE_LIMIT", "30 per minute"),
        "DISPLAY_ADDRESS_RATE_LIMIT": os.environ.get(
            "DISPLAY_ADDRESS_RATE_LIMIT", "300 per minute"
        ),
        # The public verification page (/v/, docs/verification.md): per address, so an office
        # sharing one Wi-Fi is not refused; per serial, so a check code cannot be walked.
        "VERIFY_ADDRESS_RATE_LIMIT": os.environ.get("VERIFY_ADDRESS_RATE_LIMIT", "60 per minute"),
        "VERIFY_SERIAL_RATE_LIMIT": os.environ.get("VERIFY_SERIAL_RATE_LIMIT", "10 per hour"),
        # The office console (server/admin/console*.py, docs/console.md): sessions end after
        # this long idle or this long after login, whichever comes first.
        "CONSOLE_IDLE_MINUTES": _int("CONSOLE_IDLE_MINUTES", 30),
        "CONSOLE_ABSOLUTE_HOURS": _int("CONSOLE_ABSOLUTE_HOURS", 12),
        "CONSOLE_LOGIN_SECONDS": _int("CONSOLE_LOGIN_SECONDS", 120),
        "CONSOLE_LINK_MINUTES": _int("CONSOLE_LINK_MINUTES", 10),
        # Each console login page asks WeChat for a code: bounded per address.
        "CONSOLE_LOGIN_RATE_LIMIT": os.environ.get("CONSOLE_LOGIN_RATE_LIMIT", "30 per minute"),
        # Secure cookies need https; unset: on in production, off on development's plain http.
        "CONSOLE_COOKIE_SECURE": _flag("CONSOLE_COOKIE_SECURE")
        if os.environ.get("CONSOLE_COOKIE_SECURE")
        else env == "production",
        # Where `flask console login-link` points its one-time links.
        "CONSOLE_BASE_URL": os.environ.get("CONSOLE_BASE_URL", "http://127.0.0.1:8000"),
        # A list export of more rows than this runs in the background (导出任务).
        "CONSOLE_EXPORT_DIRECT_MAX": _int("CONSOLE_EXPORT_DIRECT_MAX", 3000),
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 12 * 1024 * 1024),
        "JSON_BODY_LIMIT": _int("JSON_BODY_LIMIT", 64 * 1024),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        # Number of trusted proxies (nginx) in front; rate limits then key on the real client IP.
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        # PostgreSQL: the ledger's one-statement writes (server/points/ledger/fused.py); off
        # only to compare or to rule them out. SQLite always takes the portable path.
        "LEDGER_FUSED_WRITES": os.environ.get("LEDGER_FUSED_WRITES", "1").strip().lower()
        not in ("0", "false", "no", "off"),
        # Photo store (server/uploads/storage.py, docs/storage.md): "local" or "s3".
        "UPLOAD_STORAGE": os.environ.get("UPLOAD_STORAGE", "local"),
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR") or None,  # None: instance/uploads
        # The CJK font notices are drawn in (server/notices/fonts.py); unset: Debian's packages.
        "CJK_FONT_PATH": os.environ.get("CJK_FONT_PATH") or None,
        **{name: os.environ.get(name) or None for name in S3_SETTINGS},
        # flask-smorest / OpenAPI
        "API_TITLE": "Red Points API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_URL_PREFIX": "/api/v1/docs" if env != "production" else None,
        "OPENAPI_SWAGGER_UI_PATH": "/swagger",
        # Swagger UI's files are served by the app (server/http/docs_assets.py), not a CDN, so
        # the page works offline; its online validator badge is off for the same reason.
        "OPENAPI_SWAGGER_UI_URL": "/api/v1/docs/swagger-ui/",
        "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None},
        "API_SPEC_OPTIONS": {
            "info": {
                "description": "红色积分 API. Every error answers "
                "`{error: {code, message, details}}` (message in Chinese). Malformed requests: "
                "a body over 64 KiB of JSON is 413 `payload_too_large`; a write whose body is "
                "not JSON is 415 `unsupported_media_type`; bad JSON is 400 `invalid_json`, "
                "nested over 20 deep 400 `json_too_deep`; NUL or a lone surrogate in any text "
                "or query parameter is 422 `validation_error`; booleans are JSON booleans "
                "(`true`/`false` in a query string); dates lie in 2000-01-01..2100-12-31. "
                "Before the app, nginx answers an over-long request line 414 "
                "`uri_too_long`, over-long or too many headers 431 `headers_too_large`, a "
                "malformed header 400 `bad_request`, in the same envelope; gunicorn alone "
                "answers these statuses with its own HTML page. "
                "The full table is docs/api-errors.md in the repository."
            },
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                }
            },
        },
    }
    if overrides:
        cfg.update(overrides)
    cfg["WECOM_ROBOT_BASE"] = cfg["WECOM_ROBOT_BASE"] or cfg["WECHAT_API_BASE"]
    if cfg["NOTIFY_IN_PROCESS"] is None:
        cfg["NOTIFY_IN_PROCESS"] = not cfg["REDIS_URL"] and not cfg.get("TESTING")
    if cfg["NOTIFY_RQ"] is None:
        cfg["NOTIFY_RQ"] = bool(cfg["REDIS_URL"]) and not cfg.get("TESTING")
    uri = cfg["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):
        uri = "postgresql://" + uri[len("postgres://") :]
    if uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri[len("postgresql://") :]
    cfg["SQLALCHEMY_DATABASE_URI"] = uri
    if uri.startswith("sqlite"):
        # One writer at a time: wait instead of failing with SQLITE_BUSY.
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    validate(cfg)
    return cfg


def validate(cfg: dict) -> None:
    """Refuse to start production with demo WeChat settings or a weak SECRET_KEY."""
    if cfg["ENV_NAME"] == "production":
        if problems := production_problems(cfg, DEFAULT_SECRET_KEY):
            raise ConfigError(
                "生产环境配置不安全，拒绝启动 / production refuses to start:\n  - "
                + "\n  - ".join(problems)
            )
