"""HTTP for the mini-program's side of login by scanning (in the contract, /api/v1): read what
is asking, confirm or cancel it."""

import marshmallow as ma
from flask import request
from flask_smorest import Blueprint

from server.admin import console_login
from server.admin.console_sessions import Client
from server.auth.current import current_user
from server.http.schemas import BEARER, AwareDateTime

blp = Blueprint(
    "console_logins", __name__, url_prefix="/api/v1/console-logins", description="扫码登录办公台"
)
SCENE = "/<string(maxlength=32):scene>"


class ConsoleLoginSchema(ma.Schema):
    scene = ma.fields.String(required=True)
    status = ma.fields.String(
        required=True,
        metadata={"description": "pending 待确认 / confirmed / cancelled / expired"},
    )
    browser = ma.fields.String(required=True, metadata={"description": "请求登录的浏览器"})
    ip = ma.fields.String(required=True, metadata={"description": "请求登录的电脑的地址"})
    requested_at = AwareDateTime(required=True)
    expires_at = AwareDateTime(required=True)


def _client() -> Client:
    return Client.of(request.remote_addr, request.user_agent.string)


@blp.route(SCENE, methods=["GET"])
@blp.doc(security=BEARER)
@blp.response(200, ConsoleLoginSchema)
def read_console_login(scene):
    """What asks to log in to the office console (the scanned code's scene)."""
    current_user()
    return console_login.pending_view(scene)


@blp.route(SCENE + "/confirm", methods=["POST"])
@blp.doc(security=BEARER)
@blp.response(200, ConsoleLoginSchema)
def confirm_console_login(scene):
    """Confirm: the browser's session becomes the caller's; 403 without a staff role."""
    return console_login.confirm_login(scene, current_user(), _client())


@blp.route(SCENE + "/cancel", methods=["POST"])
@blp.doc(security=BEARER)
@blp.response(200, ConsoleLoginSchema)
def cancel_console_login(scene):
    """Cancel: the browser shows that the login was refused."""
    return console_login.cancel_login(scene, current_user(), _client())
