"""Request and response schemas of display links (admins)."""

import marshmallow as ma

from server.http.pagination import page_schema
from server.http.schemas import AwareDateTime, Boolean, IdField, StrictSchema, text
from server.notices.display_models import MAX_DISPLAY_NAME


class DisplayLinkCreateSchema(StrictSchema):
    name = text(MAX_DISPLAY_NAME, required=True, metadata={"description": "屏幕名称，如“大厅屏幕”"})


class DisplayLinkSchema(ma.Schema):
    id = IdField(required=True)
    name = ma.fields.String(required=True)
    active = Boolean(required=True)
    created_at = AwareDateTime(required=True)
    revoked_at = AwareDateTime(required=True, allow_none=True)
    last_seen_at = AwareDateTime(
        required=True, allow_none=True, metadata={"description": "屏幕最近一次打开或刷新"}
    )


class DisplayLinkCreatedSchema(DisplayLinkSchema):
    url = ma.fields.String(
        required=True,
        metadata={"description": "大屏地址（含令牌），只在创建时返回这一次，请妥善保存"},
    )


DisplayLinkPageSchema = page_schema(DisplayLinkSchema, "DisplayLinkPage")
