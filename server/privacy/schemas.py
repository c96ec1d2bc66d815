"""The data export and account deletion as the API answers them."""

import marshmallow as ma

from server.http.schemas import AwareDateTime, Boolean, IdField, StrictSchema
from server.privacy.deletion import CONFIRM_PHRASE


class ExportSectionSchema(ma.Schema):
    name = ma.fields.String(required=True, metadata={"description": "英文名，如 ledger"})
    title = ma.fields.String(required=True, metadata={"description": "中文名，如 积分明细"})
    columns = ma.fields.List(ma.fields.String(), required=True)
    items = ma.fields.List(ma.fields.Dict(), required=True)
    capped = Boolean(required=True, metadata={"description": "超过 row_cap 条，仅含最新部分"})


class DataExportSchema(ma.Schema):
    generated_at = AwareDateTime(required=True)
    row_cap = ma.fields.Integer(required=True)
    sections = ma.fields.List(ma.fields.Nested(ExportSectionSchema), required=True)


class DeleteAccountSchema(StrictSchema):
    confirm = ma.fields.String(
        required=True,
        validate=ma.validate.Equal(CONFIRM_PHRASE, error=f"请输入“{CONFIRM_PHRASE}”以确认"),
        metadata={"description": f"确认短语，必须为“{CONFIRM_PHRASE}”"},
    )


class DeletionResultSchema(ma.Schema):
    user_id = IdField(required=True)
    pseudonym = ma.fields.String(required=True)
    photos_removed = ma.fields.Integer(required=True)
    reservations_cancelled = ma.fields.Integer(required=True)
