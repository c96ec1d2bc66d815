"""HTTP: display links for admins (JSON, in the contract) and the hall screen itself
(`/display/<token>`, HTML and its JSON data; no login, outside the mini-program's API)."""

import hashlib
import secrets

from flask import Blueprint, current_app, jsonify, make_response, render_template, request, url_for
from flask_smorest import Blueprint as ApiBlueprint

from server.auth.current import current_user
from server.http.errors import NotFound
from server.http.pagination import PageArgsSchema
from server.http.rate_limits import hit
from server.http.schemas import BEARER
from server.notices import display
from server.notices.display_schemas import (
    DisplayLinkCreatedSchema,
    DisplayLinkCreateSchema,
    DisplayLinkPageSchema,
    DisplayLinkSchema,
)
from server.notices.notice_print import public_sheet

admin_blp = ApiBlueprint(
    "display_links", __name__, url_prefix="/api/v1/admin", description="大屏展示链接（管理员）"
)
screen_bp = Blueprint("display", __name__, template_folder="templates")


@admin_blp.route("/display-links", methods=["POST"])
@admin_blp.doc(security=BEARER)
@admin_blp.arguments(DisplayLinkCreateSchema)
@admin_blp.response(201, DisplayLinkCreatedSchema)
def create_display_link(body):
    """Create a display link; its address (with the token) is returned this once only."""
    link, token = display.create_display_link(current_user(), body["name"])
    return {**display.link_view(link), "url": url_for("display.page", token=token, _external=True)}


@admin_blp.route("/display-links", methods=["GET"])
@admin_blp.doc(security=BEARER)
@admin_blp.arguments(PageArgsSchema, location="query")
@admin_blp.response(200, DisplayLinkPageSchema)
def list_display_links(args):
    """The community's display links, newest first; never their tokens."""
    page = display.list_display_links(current_user(), args["limit"], args["cursor"])
    return page.as_dict()


@admin_blp.route("/display-links/<int:link_id>/revoke", methods=["POST"])
@admin_blp.doc(security=BEARER)
@admin_blp.response(200, DisplayLinkSchema)
def revoke_display_link(link_id):
    """Revoke a display link (audited); the screen is refused from its next refresh."""
    return display.link_view(display.revoke_display_link(current_user(), link_id))


def _count(token: str) -> None:
    """Generous limits: a hall screen loads once and refreshes every minute."""
    config = current_app.config
    hit("display_address", config["DISPLAY_ADDRESS_RATE_LIMIT"], request.remote_addr or "-")
    # Counted by a digest: the token itself never reaches Redis.
    who = hashlib.sha256(token.encode()).hexdigest()[:32]
    hit("display_token", config["DISPLAY_TOKEN_RATE_LIMIT"], who)


@screen_bp.get("/display/<token>")
def page(token):
    _count(token)
    nonce = secrets.token_urlsafe(16)
    try:
        data = display.display_data(token)
    except display.DisplayLinkGone:
        response = make_response(render_template("display_gone.html"), 404)
    else:
        response = make_response(render_template("display.html", data=data, nonce=nonce))
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return response


@screen_bp.get("/display/<token>/data")
def data(token):
    _count(token)
    return jsonify(display.display_data(token))


@screen_bp.get("/n/<int:notice_id>")
def public_notice(notice_id):
    """A notice's public page: where the QR code on the printed notice leads."""
    hit(
        "public_notice",
        current_app.config["DISPLAY_ADDRESS_RATE_LIMIT"],
        request.remote_addr or "-",
    )
    try:
        sheet = public_sheet(notice_id)
    except NotFound:
        return make_response(render_template("notice_public.html", sheet=None), 404)
    return render_template("notice_public.html", sheet=sheet)


@screen_bp.after_request
def _private(response):
    # The address is the credential: never sent on as a referrer, never kept by a cache.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
