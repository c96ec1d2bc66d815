import marshmallow as ma
from flask_smorest.fields import Upload as UploadField

from server.http.pagination import QueryArgsSchema
from server.http.schemas import AwareDateTime, IdField, StrictSchema


class UploadFormSchema(StrictSchema):
    file = UploadField(required=True, metadata={"description": "JPEG、PNG 或 WEBP 图片，最大 5 MB"})


class UploadQuerySchema(QueryArgsSchema):
    purpose = ma.fields.String(
        load_default="photo",
        validate=ma.validate.OneOf(["photo", "avatar"]),
        metadata={
            "description": "photo（默认，需已加入社区）；avatar：头像，无需加入社区，"
            "缩小到 512 像素以内，用 PATCH /me 的 avatar_url 设为头像"
        },
    )


class UploadSchema(ma.Schema):
    id = IdField(required=True)
    content_type = ma.fields.String(required=True)
    size = ma.fields.Integer(required=True)
    width = ma.fields.Integer(required=True)
    height = ma.fields.Integer(required=True)
    url = ma.fields.Function(lambda u: f"/api/v1/uploads/{u.id}", required=True)
    created_at = AwareDateTime(required=True)
