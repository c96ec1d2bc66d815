"""Store images residents upload and decide who may see them.

An upload is only trusted after Pillow has decoded it completely: the extension and the
client's content type are ignored. The image is re-encoded before it is stored, which drops
EXIF metadata (a phone photo carries the GPS position of the resident's home) and anything
smuggled after the image data.
"""

import hashlib
import io
import logging
import uuid
import warnings
from collections.abc import Callable
from datetime import timedelta
from typing import BinaryIO

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import delete, func, select, update

from server.auth.models import User
from server.community.authz import membership_of, require_membership
from server.db.session import db
from server.db.types import utcnow
from server.http.errors import AppError, Conflict, NotFound, Unprocessable
from server.uploads import avatar
from server.uploads.models import Upload
from server.uploads.storage import Storage, StorageUnavailable, current_storage

log = logging.getLogger(__name__)

# Pillow format -> (content type, file extension)
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000  # 8000 x 5000: above any phone camera, far below a bomb
DEFAULT_DAILY_QUOTA = 200

# attached_type -> check(user, upload) -> bool: who besides the owner may see an attachment.
AccessCheck = Callable[[User, Upload], bool]
_access_checks: dict[str, AccessCheck] = {}


class UploadTooLarge(AppError):
    status, code, message = 413, "upload_too_large", "图片过大，请压缩后重新上传"


class UnsupportedImage(AppError):
    status, code, message = 415, "unsupported_image_type", "仅支持 JPEG、PNG、WEBP 格式的图片"


def _config(name: str, default):
    value = current_app.config.get(name)
    return default if value in (None, "") else value


def register_access_check(attached_type: str, check: AccessCheck) -> None:
    """Let a domain say who may see the uploads attached to its objects (claims, tasks...)."""
    _access_checks[attached_type] = check


def _decode(data: bytes, max_pixels: int) -> tuple[Image.Image, str]:
    """Decode the whole image, refusing unknown formats, bombs and broken files."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
            fmt = image.format
            width, height = image.size
            if width < 1 or height < 1 or width * height > max_pixels:
                raise Unprocessable(
                    "图片尺寸过大，请缩小后重新上传",
                    code="image_too_many_pixels",
                    details={"max_pixels": max_pixels, "width": width, "height": height},
                )
            image.load()
    except AppError:
        raise
    except UnidentifiedImageError:
        raise UnsupportedImage(details={"allowed": [t for t, _ in FORMATS.values()]}) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Unprocessable(
            "图片尺寸过大，请缩小后重新上传",
            code="image_too_many_pixels",
            details={"max_pixels": max_pixels},
        ) from None
    except Exception:  # noqa: BLE001 - Pillow's decoders raise many types on malformed input
        raise Unprocessable("图片已损坏或不完整，请重新选择", code="image_corrupt") from None
    if fmt not in FORMATS:
        raise UnsupportedImage(details={"allowed": [t for t, _ in FORMATS.values()]})
    return image, fmt


def _reencode(image: Image.Image, fmt: str) -> bytes:
    """Write the pixels again, upright and without metadata."""
    image = ImageOps.exif_transpose(image)
    out = io.BytesIO()
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=85, optimize=True)
    elif fmt == "PNG":
        if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
            image = image.convert("RGBA")
        image.save(out, "PNG", optimize=True)
    else:
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.mode else "RGB")
        image.save(out, "WEBP", quality=85)
    return out.getvalue()


def save_upload(user: User, stream, *, purpose: str = "photo") -> Upload:
    """Check, re-encode and store one image for `user`; committed when this returns."""
    # An avatar needs no community (a newcomer may set one first) and is stored small.
    for_avatar = purpose == avatar.PURPOSE
    membership = membership_of(user) if for_avatar else require_membership(user)
    max_bytes = int(_config("UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UploadTooLarge(details={"max_bytes": max_bytes})
    if not data:
        raise Unprocessable("请选择要上传的图片", code="upload_empty")

    quota = int(_config("UPLOAD_DAILY_QUOTA", DEFAULT_DAILY_QUOTA))
    since = utcnow() - timedelta(days=1)
    recent = db.session.scalar(
        select(func.count(Upload.id)).where(Upload.owner_id == user.id, Upload.created_at >= since)
    )
    if recent >= quota:
        raise AppError(
            "今日上传的图片过多，请明天再试",
            code="upload_quota_exceeded",
            status=429,
            details={"quota": quota},
            headers={"Retry-After": "3600"},
        )

    image, fmt = _decode(data, int(_config("UPLOAD_MAX_PIXELS", DEFAULT_MAX_PIXELS)))
    if for_avatar:
        image = avatar.avatar_sized(image)
    content_type, ext = FORMATS[fmt]
    stored = _reencode(image, fmt)
    now = utcnow()
    key = f"{now:%Y}/{now:%m}/{uuid.uuid4().hex}.{ext}"
    store = current_storage()
    store.put(key, stored, content_type)

    upload = Upload(
        owner_id=user.id,
        community_id=membership.community_id if membership else None,
        content_type=content_type,
        size=len(stored),
        width=image.width,
        height=image.height,
        sha256=hashlib.sha256(stored).hexdigest(),
        storage_key=key,
    )
    try:
        db.session.add(upload)
        db.session.commit()
    except Exception:
        _forget(store, [key])
        raise
    return upload


def can_view(user: User, upload: Upload) -> bool:
    """The owner always; others only through the check of what the upload is attached to."""
    if upload.owner_id == user.id:
        return True
    check = _access_checks.get(upload.attached_type or "")
    return bool(check and check(user, upload))


def viewable_upload(user: User, upload_id: int) -> Upload:
    """The upload, for someone allowed to see it; 404 for anyone else."""
    # Larger ids (the API accepts up to 2**53) cannot name a row of this INTEGER column.
    upload = db.session.get(Upload, upload_id) if 0 < upload_id < 2**31 else None
    # Not allowed looks like not there, so ids cannot be probed for other people's photos.
    if upload is None or not can_view(user, upload):
        raise NotFound("图片不存在或无权查看", code="upload_not_found")
    return upload


def open_stored(upload: Upload) -> BinaryIO:
    """The stored image of an upload the caller may see (the caller closes it); 404 if lost."""
    stream = current_storage().open(upload.storage_key)
    if stream is None:
        raise NotFound("图片文件已丢失", code="upload_file_missing")
    return stream


def check_attachable(owner: User, upload_ids: list[int]) -> list[Upload]:
    """The caller's own unattached uploads with these ids, in the given order; else 4xx."""
    if len(set(upload_ids)) != len(upload_ids):
        raise Unprocessable("图片重复", code="duplicate_upload_ids")
    if not upload_ids:
        return []
    rows = {u.id: u for u in db.session.scalars(select(Upload).where(Upload.id.in_(upload_ids)))}
    missing = [i for i in upload_ids if i not in rows or rows[i].owner_id != owner.id]
    if missing:
        raise Unprocessable(
            "图片不存在或不是您上传的", code="upload_not_found", details={"ids": missing}
        )
    used = [i for i in upload_ids if rows[i].attached_type is not None]
    if used:
        raise Conflict("图片已用于其他申报", code="upload_already_attached", details={"ids": used})
    return [rows[i] for i in upload_ids]


def attach(owner: User, upload_ids: list[int], attached_type: str, attached_id) -> None:
    """Attach uploads to an object exactly once, even when two requests race for them."""
    if not upload_ids:
        return
    result = db.session.execute(
        update(Upload)
        .where(
            Upload.id.in_(upload_ids),
            Upload.owner_id == owner.id,
            Upload.attached_type.is_(None),
        )
        .values(attached_type=attached_type, attached_id=str(attached_id))
    )
    if result.rowcount != len(upload_ids):
        raise Conflict("图片已用于其他申报", code="upload_already_attached")


def attached_to(attached_type: str, attached_ids: list) -> dict[str, list[Upload]]:
    """Uploads attached to each of these objects, keyed by str(attached_id)."""
    out: dict[str, list[Upload]] = {}
    if not attached_ids:
        return out
    stmt = (
        select(Upload)
        .where(
            Upload.attached_type == attached_type,
            Upload.attached_id.in_([str(i) for i in attached_ids]),
        )
        .order_by(Upload.id)
    )
    for upload in db.session.scalars(stmt):
        out.setdefault(upload.attached_id, []).append(upload)
    return out


def purge_unattached(older_than: timedelta = timedelta(days=2), limit: int = 500) -> int:
    """Delete uploads nobody attached within `older_than`, and their files; a periodic job.

    The DELETE re-checks `attached_type IS NULL`, so a photo attached at the same moment
    is either attached (and kept) or gone before the attach (which then fails cleanly).
    A file the store cannot delete now is logged and left: an orphan costs only space.
    """
    cutoff = utcnow() - older_than
    rows = db.session.execute(
        select(Upload.id, Upload.storage_key)
        .where(Upload.attached_type.is_(None), Upload.created_at < cutoff)
        .order_by(Upload.id)
        .limit(limit)
    ).all()
    if not rows:
        db.session.rollback()
        return 0
    deleted = db.session.scalars(
        delete(Upload)
        .where(Upload.id.in_([r.id for r in rows]), Upload.attached_type.is_(None))
        .returning(Upload.id)
    ).all()
    db.session.commit()
    keys = {r.id: r.storage_key for r in rows}
    _forget(current_storage(), [keys[upload_id] for upload_id in deleted])
    return len(deleted)


def _forget(store: Storage, keys: list[str]) -> None:
    """Delete stored files whose rows are gone; a store that is down leaves orphans, logged."""
    for key in keys:
        try:
            store.delete(key)
        except (OSError, StorageUnavailable):
            log.warning("stored upload left behind", extra={"storage_key": key})


def delete_owned(owner_id: int) -> list[str]:
    """Delete every upload row of one person (account deletion); their storage keys, to hand
    to `forget_files` after the caller commits (a rollback must not have lost the files)."""
    return list(
        db.session.scalars(
            delete(Upload).where(Upload.owner_id == owner_id).returning(Upload.storage_key)
        )
    )


def forget_files(keys: list[str]) -> None:
    """Delete stored files whose rows are gone (committed); a store that is down is logged."""
    _forget(current_storage(), keys)
