import marshmallow as ma

from server.community.models import GRANTABLE_ROLES, ORGANISATION_KINDS, PARTY_KINDS
from server.http.pagination import PageArgsSchema, page_schema
from server.http.schemas import AwareDateTime, IdField, StrictSchema, text
from server.platform.masking import DELETED_PREFIX


class NamedRefSchema(ma.Schema):
    id = IdField(required=True)
    name = ma.fields.String(required=True)


class MembershipViewSchema(ma.Schema):
    community = ma.fields.Nested(NamedRefSchema, required=True)
    grid = ma.fields.Nested(NamedRefSchema, required=True, allow_none=True)
    joined_at = AwareDateTime(required=True)


class RoleGrantSchema(ma.Schema):
    id = IdField(required=True)
    user_id = IdField(required=True)
    community_id = IdField(required=True)
    role = ma.fields.String(required=True)
    grid_id = IdField(required=True, allow_none=True)
    merchant_id = IdField(required=True, allow_none=True)
    organisation_id = IdField(required=True, allow_none=True)
    party_kind = ma.fields.String(required=True, allow_none=True)
    created_at = AwareDateTime(required=True)


class CommunitySchema(ma.Schema):
    id = IdField(required=True)
    name = ma.fields.String(required=True)
    code = ma.fields.String(required=True)
    street = ma.fields.Function(lambda c: c.street.name, required=True)


class GridSchema(ma.Schema):
    id = IdField(required=True)
    name = ma.fields.String(required=True)
    code = ma.fields.String(required=True)


class OrganisationSchema(ma.Schema):
    id = IdField(required=True)
    name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)


class CommunityQuerySchema(PageArgsSchema):
    q = text(32, load_default=None, metadata={"description": "按社区名称搜索，最多 32 个字"})


class JoinSchema(StrictSchema):
    grid_id = IdField(load_default=None, allow_none=True)


class ProfilePatchSchema(StrictSchema):
    nickname = text(32)
    real_name = text(32, metadata={"description": "真实姓名，公开时脱敏为 张*明"})
    avatar_url = ma.fields.URL(
        schemes={"https"}, validate=ma.validate.Length(max=512), allow_none=True
    )

    @ma.validates("nickname", "real_name")
    def _not_a_pseudonym(self, value, **kwargs):
        # Deleted accounts' names are shown unmasked; nobody may pass for one.
        if value.strip().startswith(DELETED_PREFIX):
            raise ma.ValidationError("该名称为系统保留，请换一个")


class GrantCreateSchema(StrictSchema):
    user_id = IdField(required=True)
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(GRANTABLE_ROLES))
    grid_id = IdField(load_default=None)
    merchant_id = IdField(load_default=None)
    organisation_id = IdField(load_default=None)
    party_kind = ma.fields.String(load_default=None, validate=ma.validate.OneOf(PARTY_KINDS))


class GrantQuerySchema(PageArgsSchema):
    role = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(GRANTABLE_ROLES),
        metadata={"description": "只看这一角色的授权"},
    )
    user_id = IdField(load_default=None, strict=False, metadata={"description": "只看这位用户"})


class MemberSchema(ma.Schema):
    user_id = IdField(required=True)
    name = ma.fields.String(required=True)
    phone = ma.fields.String(required=True, allow_none=True)
    grid_id = IdField(required=True, allow_none=True)
    joined_at = AwareDateTime(required=True)


class MemberQuerySchema(PageArgsSchema):
    q = text(32, load_default=None, metadata={"description": "按姓名或昵称搜索，最多 32 个字"})


class OrganisationCreateSchema(StrictSchema):
    name = text(64, required=True)
    kind = ma.fields.String(load_default="其他", validate=ma.validate.OneOf(ORGANISATION_KINDS))


CommunityPageSchema = page_schema(CommunitySchema, "CommunityPage")
GridPageSchema = page_schema(GridSchema, "GridPage")
OrganisationPageSchema = page_schema(OrganisationSchema, "OrganisationPage")
MemberPageSchema = page_schema(MemberSchema, "MemberPage")
RoleGrantPageSchema = page_schema(RoleGrantSchema, "RoleGrantPage")
