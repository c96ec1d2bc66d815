import io

from flask import request, send_file
from flask_smorest import Blueprint

from server.auth.current import current_user
from server.community.acting import ACTING_DOC, acting_allowed
from server.http.errors import Unprocessable
from server.http.schemas import BEARER
from server.uploads import service
from server.uploads.schemas import UploadFormSchema, UploadQuerySchema, UploadSchema

blp = Blueprint("uploads", __name__, url_prefix="/api/v1", description="图片上传")

IMAGE_CONTENT = {
    t: {"schema": {"type": "string", "format": "binary"}}
    for t in ("image/jpeg", "image/png", "image/webp")
}


@blp.route("/uploads", methods=["POST"])
@blp.doc(security=BEARER, **ACTING_DOC)
@acting_allowed
@blp.arguments(UploadQuerySchema, location="query")
@blp.arguments(UploadFormSchema, location="files")
@blp.response(201, UploadSchema)
def create_upload(query, files):
    """Upload one photo (JPEG, PNG or WEBP); attach it by its id, or make it the avatar."""
    if request.form:  # the files schema cannot see plain form fields; refuse them the same way
        fields = {name: ["未知字段"] for name in request.form}
        raise Unprocessable(details={"fields": {"form": fields}})
    return service.save_upload(current_user(), files["file"].stream, purpose=query["purpose"])


@blp.route("/uploads/<int:upload_id>", methods=["GET"])
@blp.doc(security=BEARER, responses={"200": {"description": "图片", "content": IMAGE_CONTENT}})
def get_upload(upload_id):
    """The image, for its owner and the people allowed to see what it is attached to."""
    upload = service.viewable_upload(current_user(), upload_id)
    # A client that holds this version gets 304 without the image being read from the store.
    fresh = request.if_none_match.contains(upload.sha256)
    stream = io.BytesIO() if fresh else service.open_stored(upload)
    response = send_file(stream, mimetype=upload.content_type, etag=upload.sha256, max_age=3600)
    if response.status_code == 200:
        response.content_length = upload.size
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    return response
