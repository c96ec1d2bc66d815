"""Display links: the revocable, login-free address of a community's hall screen."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.session import db
from server.db.types import UTCDateTime, utcnow

MAX_DISPLAY_NAME = 32


class DisplayLink(db.Model):
    __tablename__ = "display_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(MAX_DISPLAY_NAME))
    # The link's token is its only credential: shown once at creation, stored only as its
    # sha256 (a 256-bit random token needs no key stretching), never logged.
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<DisplayLink {self.id}>"
