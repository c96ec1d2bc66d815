import marshmallow as ma

from server.http.schemas import IdField, StrictSchema, text
from server.tasks.schemas import VolunteerHoursSchema


class LoginSchema(StrictSchema):
    code = text(128, required=True, metadata={"description": "wx.login() 返回的 code"})


class PhoneCodeSchema(StrictSchema):
    code = text(128, required=True, metadata={"description": "getPhoneNumber 按钮返回的 code"})


class NamedRefSchema(ma.Schema):
    id = IdField(required=True)
    name = ma.fields.String(required=True)


class MembershipViewSchema(ma.Schema):
    community = ma.fields.Nested(NamedRefSchema, required=True)
    grid = ma.fields.Nested(NamedRefSchema, required=True, allow_none=True)
    joined_at = ma.fields.AwareDateTime(required=True)


class RoleGrantSchema(ma.Schema):
    id = IdField(required=True)
    user_id = IdField(required=True)
    community_id = IdField(required=True)
    role = ma.fields.String(required=True)
    grid_id = IdField(required=True, allow_none=True)
    merchant_id = IdField(required=True, allow_none=True)
    organisation_id = IdField(required=True, allow_none=True)
    party_kind = ma.fields.String(required=True, allow_none=True)
    created_at = ma.fields.AwareDateTime(required=True)


class PointsSummarySchema(ma.Schema):
    balance = ma.fields.Integer(required=True)
    held = ma.fields.Integer(required=True)
    available = ma.fields.Integer(required=True)


class ProfileSchema(ma.Schema):
    id = IdField(required=True)
    points = ma.fields.Nested(
        PointsSummarySchema, required=True, allow_none=True, metadata={"description": "本社区积分"}
    )
    volunteer_hours = ma.fields.Nested(VolunteerHoursSchema, required=True)
    nickname = ma.fields.String(required=True, allow_none=True)
    real_name = ma.fields.String(required=True, allow_none=True)
    avatar_url = ma.fields.String(required=True, allow_none=True)
    phone = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "脱敏手机号，如 138****5678"}
    )
    phone_bound = ma.fields.Boolean(required=True)
    membership = ma.fields.Nested(MembershipViewSchema, required=True, allow_none=True)
    roles = ma.fields.List(ma.fields.String(), required=True)
    role_grants = ma.fields.List(ma.fields.Nested(RoleGrantSchema), required=True)
    created_at = ma.fields.AwareDateTime(required=True)


class LoginResultSchema(ma.Schema):
    token = ma.fields.String(required=True)
    expires_in = ma.fields.Integer(required=True, metadata={"description": "seconds"})
    is_new = ma.fields.Boolean(required=True)
    user = ma.fields.Nested(ProfileSchema, required=True)
