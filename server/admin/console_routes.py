"""The office console's own pages (server-rendered, outside the API contract): login by
scanning, the one-time link, logout, 工作台 and 登录日志. Thin: services decide."""

import base64
from datetime import date

from flask import current_app, g, make_response, redirect, render_template, request, url_for

from server.admin import console_login, console_sessions
from server.admin.console import LOGIN_COOKIE, SESSION_COOKIE, bp, console_page, page_args
from server.admin.console_login_log import OUTCOME_LABELS, list_login_log
from server.admin.console_sessions import Client
from server.admin.dashboard import community_dashboard
from server.http.errors import BadRequest
from server.http.rate_limits import hit

ROLE_LABELS = {
    "admin": "社区管理员",
    "reviewer": "审核员",
    "grid_worker": "网格员",
    "merchant_staff": "商家店员",
}


def _client() -> Client:
    return Client.of(request.remote_addr, request.user_agent.string)


def _set_cookie(response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/console",
        httponly=True,
        samesite="Lax",
        secure=current_app.config["CONSOLE_COOKIE_SECURE"],
    )


def _signed_in(response, token: str):
    hours = current_app.config["CONSOLE_ABSOLUTE_HOURS"]
    _set_cookie(response, SESSION_COOKIE, token, hours * 3600)
    response.delete_cookie(LOGIN_COOKIE, path="/console")
    return response


@bp.get("/login")
def login():
    if console_sessions.live_session(request.cookies.get(SESSION_COOKIE)):
        return redirect(url_for("console.home"))
    # Each page asks WeChat for a code; bounded per address like the API's logins.
    hit("console_login", current_app.config["CONSOLE_LOGIN_RATE_LIMIT"], request.remote_addr or "-")
    started, browser_id, png = console_login.start_login(_client())
    body = render_template(
        "console/login.html",
        scene=started.scene,
        code=base64.b64encode(png).decode(),
        seconds=current_app.config["CONSOLE_LOGIN_SECONDS"],
    )
    response = make_response(body)
    _set_cookie(response, LOGIN_COOKIE, browser_id, current_app.config["CONSOLE_LOGIN_SECONDS"])
    return response


@bp.get("/login/status")
def login_status():
    """Polled by the login page every 2 s (htmx); a confirmation signs the browser in once."""
    status, token = console_login.poll_login(request.cookies.get(LOGIN_COOKIE), _client())
    if token is None:
        return render_template("console/login_status.html", status=status)
    response = make_response("", 204)
    response.headers["HX-Redirect"] = url_for("console.home")
    return _signed_in(response, token)


@bp.get("/login/link/<string(maxlength=128):token>")
def login_link(token):
    session_token = console_sessions.use_login_link(token, _client())
    return _signed_in(redirect(url_for("console.home")), session_token)


@bp.post("/logout")
@console_page()
def logout():
    console_sessions.logout(request.cookies.get(SESSION_COOKIE))
    response = redirect(url_for("console.login"))
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


@bp.get("/")
@console_page()
def home():
    # The community's figures are for its admins and reviewers; other staff see who they are.
    figures = None
    if g.console.has("admin", "reviewer"):
        figures = community_dashboard(g.console.user, g.console.community_id)
    return render_template("console/home.html", role_labels=ROLE_LABELS, figures=figures)


def _day(name: str) -> date | None:
    raw = request.args.get(name) or None
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        raise BadRequest("日期格式应为 YYYY-MM-DD", code="invalid_date") from None


@bp.get("/login-log")
@console_page(roles=("admin",))
def login_log():
    limit, cursor = page_args()
    filters = {
        "outcome": request.args.get("outcome") or None,
        "day_from": _day("from"),
        "day_to": _day("to"),
    }
    page = list_login_log(
        g.console.user, g.console.community_id, limit=limit, cursor=cursor, **filters
    )
    return render_template(
        "console/login_log.html", page=page, outcomes=OUTCOME_LABELS, args=request.args
    )
