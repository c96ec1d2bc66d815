"""The routes that answer with the caller's profile: WeChat login, phone binding and `/me`.

They live above the domains because the profile reads every domain (server/profile/read.py);
the writes they trigger are the auth and community services'.
"""

from flask import current_app, request
from flask_smorest import Blueprint

from server.auth import service as auth_service
from server.auth.current import current_user, current_user_id
from server.auth.schemas import DeviceHeaderSchema, LoginSchema, PhoneCodeSchema
from server.auth.tokens import TokenInvalid
from server.http.schemas import BEARER
from server.profile.edit import update_me
from server.profile.read import profile_json, profile_view
from server.profile.schemas import LoginResultSchema, ProfilePatchSchema, ProfileSchema

auth_blp = Blueprint(
    "auth", __name__, url_prefix="/api/v1/auth", description="微信登录与手机号绑定"
)
me_blp = Blueprint("me", __name__, url_prefix="/api/v1", description="个人资料")


@auth_blp.route("/wechat-login", methods=["POST"])
@auth_blp.arguments(DeviceHeaderSchema, location="headers")
@auth_blp.arguments(LoginSchema)
@auth_blp.response(200, LoginResultSchema)
def wechat_login(headers, body):
    """Log in with a wx.login() code; returns a bearer token and the profile."""
    result = auth_service.login_with_wechat(
        body["code"],
        address=request.remote_addr or "127.0.0.1",
        device_id=headers["device_id"],
    )
    return {
        "token": result.token,
        "expires_in": result.expires_in,
        "is_new": result.is_new,
        "user": profile_view(result.user_id),
    }


@auth_blp.route("/phone", methods=["POST"])
@auth_blp.doc(security=BEARER)
@auth_blp.arguments(PhoneCodeSchema)
@auth_blp.response(200, ProfileSchema)
def bind_phone(body):
    """Bind the caller's phone number from a getPhoneNumber code; answers with it masked."""
    user = auth_service.bind_phone(current_user(), body["code"])
    return profile_view(user.id)


@me_blp.route("/me", methods=["GET"])
@me_blp.doc(security=BEARER)
@me_blp.response(200, ProfileSchema)
def get_me():
    """The caller's profile, membership, roles, balance and volunteer hours."""
    body = profile_json(current_user_id())
    if body is None:
        raise TokenInvalid()
    # Already serialized by ProfileSchema (and maybe cached): sent as it is.
    return current_app.response_class(body, mimetype=current_app.json.mimetype)


@me_blp.route("/me", methods=["PATCH"])
@me_blp.doc(security=BEARER)
@me_blp.arguments(ProfilePatchSchema)
@me_blp.response(200, ProfileSchema)
def patch_me(body):
    """Change the caller's nickname, real name or avatar (their own upload's url)."""
    user = update_me(current_user(), body)
    return profile_view(user.id)
