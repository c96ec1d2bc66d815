import marshmallow as ma

from server.http.schemas import StrictSchema, text
from server.wechat.client import CODE_SHAPE

# A device id the mini-program keeps in storage; it keys the per-device login limit.
DEVICE_ID_SHAPE = r"^[A-Za-z0-9_-]{1,64}$"


def _code(description: str, error: str) -> ma.fields.String:
    field = text(128, required=True, metadata={"description": description})
    field.validators.append(ma.validate.Regexp(CODE_SHAPE, error=error))
    return field


class LoginSchema(StrictSchema):
    code = _code("wx.login() 返回的 code", "微信登录凭证格式不正确，请重新打开小程序")


class DeviceHeaderSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE  # every other header passes through untouched

    device_id = ma.fields.String(
        data_key="X-Device-Id",
        load_default=None,
        validate=ma.validate.Regexp(
            DEVICE_ID_SHAPE, error="设备标识应为 1 到 64 个字母、数字、_ 或 -"
        ),
        metadata={"description": "小程序生成并保存的设备标识，用于按设备限制登录频率"},
    )


class PhoneCodeSchema(StrictSchema):
    code = _code("getPhoneNumber 按钮返回的 code", "手机号授权码格式不正确，请重新授权")
