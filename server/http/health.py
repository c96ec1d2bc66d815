"""Liveness and readiness probes for the load balancer."""

from flask import Blueprint, jsonify
from sqlalchemy import text

from server.db.session import db
from server.platform.redis_client import get_redis

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means not ready
        db.session.rollback()
        checks["database"] = "unavailable"
    redis = get_redis()
    if redis is not None:
        try:
            redis.ping()
            checks["redis"] = "ok"
        except Exception:  # noqa: BLE001
            checks["redis"] = "unavailable"
    ready = all(v == "ok" for v in checks.values())
    if ready:
        return jsonify({"status": "ok", "checks": checks})
    body = {"error": {"code": "not_ready", "message": "服务尚未就绪", "details": checks}}
    return jsonify(body), 503
