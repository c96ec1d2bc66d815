from flask import current_app
from flask_smorest import Blueprint

from server.auth import service
from server.auth.current import current_user
from server.auth.schemas import LoginResultSchema, LoginSchema, PhoneCodeSchema, ProfileSchema
from server.community.profile import profile_view
from server.community.service import profile_of
from server.http.rate_limits import rate_limited
from server.http.schemas import BEARER

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="微信登录与手机号绑定")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@blp.route("/wechat-login", methods=["POST"])
@rate_limited("login", _login_limit)
@blp.arguments(LoginSchema)
@blp.response(200, LoginResultSchema)
def wechat_login(body):
    """Log in with a wx.login() code; returns a bearer token and the profile."""
    result = service.login_with_wechat(body["code"])
    return {
        "token": result.token,
        "expires_in": result.expires_in,
        "is_new": result.is_new,
        "user": profile_view(result.user_id),
    }


@blp.route("/phone", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(PhoneCodeSchema)
@blp.response(200, ProfileSchema)
def bind_phone(body):
    """Bind the caller's phone number from a getPhoneNumber code; answers with it masked."""
    user = service.bind_phone(current_user(), body["code"])
    return profile_of(user)
