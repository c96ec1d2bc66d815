"""Streets, communities, grids, organisations, memberships and role grants."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db.session import db
from server.db.types import UTCDateTime, utcnow

ROLES = (
    "resident",
    "party_member",
    "grid_worker",
    "merchant_staff",
    "org_staff",
    "reviewer",
    "admin",
)
# Roles held through a grant; `resident` comes with membership itself.
GRANTABLE_ROLES = ROLES[1:]
PARTY_KINDS = ("在职", "自管", "流动")
ORGANISATION_KINDS = ("机关", "企业", "学校", "医院", "社会组织", "其他")


class Street(db.Model):
    __tablename__ = "streets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    district: Mapped[str] = mapped_column(String(64), default="")


class Community(db.Model):
    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    street: Mapped[Street] = relationship()


class Grid(db.Model):
    __tablename__ = "grids"
    __table_args__ = (UniqueConstraint("community_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(32))


class Organisation(db.Model):
    """A 驻区单位 with its own point account, operated by its staff."""

    __tablename__ = "organisations"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="其他")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Membership(db.Model):
    """A user belongs to at most one community (and optionally one of its grids)."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    community: Mapped[Community] = relationship()
    grid: Mapped[Grid | None] = relationship()


class RoleGrant(db.Model):
    """A role in one community, optionally scoped to a grid, merchant or organisation."""

    __tablename__ = "role_grants"
    __table_args__ = (
        # NULLs are distinct in UNIQUE constraints, so the scope is folded into one string.
        UniqueConstraint("user_id", "community_id", "role", "scope_key"),
        CheckConstraint(
            "role IN ('party_member','grid_worker','merchant_staff','org_staff',"
            "'reviewer','admin')",
            name="role_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    scope_key: Mapped[str] = mapped_column(String(40), default="")
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    party_kind: Mapped[str | None] = mapped_column(String(8))
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def scope_key_for(grid_id=None, merchant_id=None, organisation_id=None) -> str:
    if grid_id:
        return f"grid:{grid_id}"
    if merchant_id:
        return f"merchant:{merchant_id}"
    if organisation_id:
        return f"org:{organisation_id}"
    return ""


# Merchants are the community's partners (商居联盟) and its points supermarket (积分超市); the
# rewards domain runs their offers, and role grants scope merchant staff to them.
MERCHANT_KINDS = ("partner", "supermarket")
MERCHANT_STATUSES = ("pending", "approved", "suspended")


class Merchant(db.Model):
    __tablename__ = "merchants"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="partner")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    address: Mapped[str] = mapped_column(String(128), default="")
    # Who applied for a partner shop (added by the rewards migration; no FK to keep it additive).
    applicant_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Invitation(db.Model):
    """A one-time invitation to a role in a community (and its scope), accepted by whoever
    logs in with its code first; only the code's SHA-256 is stored."""

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint(
            "role IN ('party_member','grid_worker','merchant_staff','org_staff',"
            "'reviewer','admin')",
            name="role_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The code's last four characters, so an admin can tell invitations apart in a list.
    code_hint: Mapped[str] = mapped_column(String(4))
    role: Mapped[str] = mapped_column(String(20))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    party_kind: Mapped[str | None] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(String(64), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
