from server.http.schemas import StrictSchema, text


class LoginSchema(StrictSchema):
    code = text(128, required=True, metadata={"description": "wx.login() 返回的 code"})


class PhoneCodeSchema(StrictSchema):
    code = text(128, required=True, metadata={"description": "getPhoneNumber 按钮返回的 code"})
