"""An uploaded image and what it is attached to (a claim, later a task or reward)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.session import db
from server.db.types import UTCDateTime, utcnow


class Upload(db.Model):
    __tablename__ = "uploads"
    __table_args__ = (Index("ix_uploads_attached", "attached_type", "attached_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    community_id: Mapped[int | None] = mapped_column()
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column()
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    # The key in the photo store (under UPLOAD_DIR or S3_PREFIX); never from client input.
    storage_key: Mapped[str] = mapped_column(String(128), unique=True)
    # Set once when the upload is attached; the attachment decides who else may see it.
    attached_type: Mapped[str | None] = mapped_column(String(32))
    attached_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
