"""An upload as its owner's avatar (头像): the profile keeps the upload's own address.

WeChat's chooseAvatar hands the mini-program a local file, so an avatar is always uploaded
here first (decoded and re-encoded like every photo) and then named by the `url` the upload
answered. Only the owner's own upload can be used; the one it replaces is let go and the
purge job deletes it like any unattached upload.
"""

import re

from PIL import Image, ImageOps
from sqlalchemy import and_, or_, update

from server.auth.models import User
from server.db.session import db
from server.http.errors import Conflict, Unprocessable
from server.uploads.models import Upload

ATTACHED_TYPE = "avatar"
PURPOSE = "avatar"  # POST /uploads?purpose=avatar
AVATAR_MAX_PX = 512  # WeChat shows avatars at most a few hundred pixels wide
# The address POST /uploads answers (UploadSchema.url): the only avatar the profile accepts.
AVATAR_URL = re.compile(r"^/api/v1/uploads/([1-9][0-9]{0,11})$")
AVATAR_URL_MAX = 64


def avatar_sized(image: Image.Image) -> Image.Image:
    """The image upright and at most AVATAR_MAX_PX on each side, as an avatar is kept."""
    image = ImageOps.exif_transpose(image)
    image.thumbnail((AVATAR_MAX_PX, AVATAR_MAX_PX))
    return image


def upload_url(upload_id: int) -> str:
    return f"/api/v1/uploads/{upload_id}"


def _field_error(message: str, code: str) -> Unprocessable:
    fields = {"json": {"avatar_url": [message]}}
    return Unprocessable(message, code=code, details={"fields": fields})


def use_as_avatar(user: User, url: str | None) -> str | None:
    """Make the caller's own upload (by its url) their avatar, in the caller's transaction."""
    mine = and_(Upload.attached_type == ATTACHED_TYPE, Upload.attached_id == str(user.id))
    if url is None:
        db.session.execute(update(Upload).where(mine).values(attached_type=None, attached_id=None))
        return None
    match = AVATAR_URL.match(url)
    if match is None:
        raise _field_error("头像必须是您上传的图片", "avatar_not_an_upload")
    upload_id = int(match.group(1))
    # Larger ids (up to 12 digits pass the pattern) cannot name a row of this INTEGER column.
    upload = db.session.get(Upload, upload_id) if upload_id < 2**31 else None
    if upload is None or upload.owner_id != user.id:
        # Someone else's upload looks like a missing one, so ids cannot be probed.
        raise _field_error("头像图片不存在或不是您上传的", "avatar_upload_not_found")
    db.session.execute(
        update(Upload)
        .where(mine, Upload.id != upload.id)
        .values(attached_type=None, attached_id=None)
    )
    # One conditional write: still the owner's, and free or already this avatar.
    taken = db.session.execute(
        update(Upload)
        .where(
            Upload.id == upload.id,
            Upload.owner_id == user.id,
            or_(Upload.attached_type.is_(None), mine),
        )
        .values(attached_type=ATTACHED_TYPE, attached_id=str(user.id))
    )
    if taken.rowcount != 1:
        raise Conflict(
            "这张图片已用于其他内容，请重新选择头像",
            code="upload_already_attached",
            details={"ids": [upload.id]},
        )
    return upload_url(upload.id)
