"""The office console's page framework: the blueprint, `console_page` (session, roles, CSRF),
`g.console`, security headers, HTML error pages, page arguments and small xlsx exports.
Other pages build on this; see docs/console.md."""

import hmac
import io
import logging
from dataclasses import dataclass
from functools import wraps

from flask import Blueprint, g, make_response, redirect, render_template, request, url_for

from server.admin.console_nav import sidebar
from server.admin.console_sessions import live_session, session_user, staff_identity
from server.admin.xlsx_files import attachment, write_xlsx
from server.community.models import Community
from server.db.session import db
from server.http.errors import AppError, BadRequest, Forbidden
from server.http.pagination import DEFAULT_LIMIT, MAX_LIMIT

log = logging.getLogger(__name__)

SESSION_COOKIE = "rp_console"
LOGIN_COOKIE = "rp_console_login"
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


class CsrfRefused(BadRequest):
    code, message = "csrf_failed", "页面已失效，请刷新后重试"


@dataclass(frozen=True)
class Console:
    """Who is using the console on this request (`g.console`)."""

    user: object
    community: Community
    roles: tuple[str, ...]
    merchant_ids: tuple[int, ...]
    csrf_token: str
    session_id: int

    @property
    def community_id(self) -> int:
        return self.community.id

    def has(self, *roles: str) -> bool:
        return bool(set(roles) & set(self.roles))


def _load_console() -> Console | None:
    session = live_session(request.cookies.get(SESSION_COOKIE))
    user = session_user(session) if session else None
    if session is None or user is None:
        return None
    return console_for(user, session.community_id, session.csrf_token, session.id)


def console_for(user, community_id: int, csrf_token: str = "", session_id: int = 0):
    """The user's console in `community_id` with the roles they hold now, or None when they
    have moved to another community since (a session then logs in again)."""
    identity = staff_identity(user)
    if identity.community_id != community_id:
        return None
    community = db.session.get(Community, community_id)
    return Console(user, community, identity.roles, identity.merchant_ids, csrf_token, session_id)


def check_csrf(console: Console) -> None:
    """Every non-GET carries the session's token: form field `csrf_token` or `X-CSRF-Token`."""
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    if not hmac.compare_digest(sent.encode(), console.csrf_token.encode()):
        log.warning(
            "console csrf refused",
            extra={"path": request.path, "session_id": console.session_id},
        )
        raise CsrfRefused()


def console_page(roles: tuple[str, ...] = ()):
    """Decorate a console view: a live session or a redirect to the login page; one of `roles`
    (empty: any staff role) or a 403 page; the CSRF token on every non-GET."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            console = _load_console()
            if console is None:
                if request.headers.get("HX-Request"):
                    response = make_response("", 204)
                    response.headers["HX-Redirect"] = url_for("console.login")
                    return response
                return redirect(url_for("console.login"))
            g.console = console
            if request.method not in ("GET", "HEAD"):
                check_csrf(console)
            if not console.roles or (roles and not console.has(*roles)):
                raise Forbidden("您没有权限访问此页面")
            return view(*args, **kwargs)

        wrapper.accepts_form = True  # server/http/request_checks.py lets forms through
        return wrapper

    return decorate


def page_args(limit_default: int = DEFAULT_LIMIT) -> tuple[int, str | None]:
    """(limit, cursor) from the query string, bounded like the API's lists."""
    try:
        limit = int(request.args.get("limit", limit_default))
    except ValueError:
        raise BadRequest("每页条数无效", code="invalid_limit") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest("每页条数无效", code="invalid_limit")
    cursor = request.args.get("cursor") or None
    if cursor and len(cursor) > 200:
        raise BadRequest("分页参数无效", code="invalid_cursor")
    return limit, cursor


def xlsx_response(rows, headers: list[str], filename: str):
    """A small export: one sheet, a header row, then `rows` (sequences), as an attachment."""
    buffer = io.BytesIO()
    write_xlsx(buffer, headers, rows, stream=False)
    return attachment(buffer.getvalue(), filename)


@bp.app_template_filter("dict_without")
def _dict_without(args, key: str) -> dict:
    """The query string without one name (the table macro's pager)."""
    return {name: value for name, value in args.items() if name != key}


@bp.context_processor
def _layout():
    console = g.get("console")
    return {
        "console": console,
        "sidebar": sidebar(console.roles) if console else [],
    }


@bp.errorhandler(AppError)
def _error_page(error: AppError):
    db.session.rollback()
    body = render_template("console/error.html", error=error)
    return make_response(body, error.status)


@bp.after_request
def _headers(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    return response
