import marshmallow as ma
from flask_smorest.fields import Upload as UploadField

from server.http.schemas import AwareDateTime, IdField, StrictSchema


class UploadFormSchema(StrictSchema):
    file = UploadField(required=True, metadata={"description": "JPEG、PNG 或 WEBP 图片，最大 5 MB"})


class UploadSchema(ma.Schema):
    id = IdField(required=True)
    content_type = ma.fields.String(required=True)
    size = ma.fields.Integer(required=True)
    width = ma.fields.Integer(required=True)
    height = ma.fields.Integer(required=True)
    url = ma.fields.Function(lambda u: f"/api/v1/uploads/{u.id}", required=True)
    created_at = AwareDateTime(required=True)
