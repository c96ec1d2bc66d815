"""Invitations: a one-time code that makes whoever accepts it first a member with a role.

The code is 16 characters from a 32-symbol alphabet (80 random bits), shown once when the
invitation is made and stored only as its SHA-256. The mini-program code (QR) carries it as
the launch scene `inv=<code>`; accepting is one conditional UPDATE (the gate), so a code
works exactly once however many people scan it at the same moment.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from server.auth.models import User
from server.community.authz import has_role
from server.community.models import Invitation, RoleGrant
from server.community.roles import add_grant, check_grant_scope
from server.community.service import admit_member, get_community, require_admin
from server.db.audit import jsonable, record_audit
from server.db.session import db
from server.db.types import utcnow
from server.http.errors import AppError, Conflict, NotFound
from server.http.pagination import paginate_by_id
from server.wechat.client import get_unlimited_wxacode

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I to misread
CODE_LENGTH = 16
SCENE_PREFIX = "inv="
DEFAULT_TTL_HOURS = 72
MAX_TTL_HOURS = 720
STATUSES = ("pending", "accepted", "expired", "revoked")
_CODE = re.compile(f"^[{ALPHABET}]{{{CODE_LENGTH}}}$")


class InvitationNotFound(NotFound):
    code, message = "invitation_not_found", "邀请码无效，请核对后重试"


class InvitationExpired(AppError):
    status, code, message = 410, "invitation_expired", "邀请已过期，请联系社区管理员重新邀请"


class InvitationRevoked(AppError):
    status, code, message = 410, "invitation_revoked", "该邀请已被管理员撤销"


class InvitationUsed(Conflict):
    code, message = "invitation_used", "该邀请已被使用，每个邀请只能使用一次"


@dataclass
class IssuedInvitation:
    """A new invitation with its code (shown once) and, when asked for, its mini-program code."""

    invitation: Invitation
    code: str
    qr_png: bytes | None = None
    qr_error: str | None = None

    @property
    def scene(self) -> str:
        return scene_for(self.code)


def normalise_code(text: str) -> str | None:
    """The bare code from what a person typed or scanned (dashes, spaces, case, `inv=`)."""
    bare = re.sub(r"[\s-]", "", text or "").upper()
    if bare.startswith(SCENE_PREFIX.upper()):
        bare = bare[len(SCENE_PREFIX) :]
    return bare if _CODE.match(bare) else None


def display_code(code: str) -> str:
    bare = normalise_code(code) or code
    return "-".join(bare[i : i + 4] for i in range(0, len(bare), 4))


def scene_for(code: str) -> str:
    """The getUnlimited scene (at most 32 characters) the mini-program receives on launch."""
    return SCENE_PREFIX + (normalise_code(code) or code)


def _hash(bare_code: str) -> str:
    return hashlib.sha256(bare_code.encode()).hexdigest()


def status_of(invitation: Invitation, now: datetime | None = None) -> str:
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    return "expired" if invitation.expires_at <= (now or utcnow()) else "pending"


def invitation_view(invitation: Invitation, now: datetime | None = None) -> dict:
    return {
        "id": invitation.id,
        "community_id": invitation.community_id,
        "role": invitation.role,
        "grid_id": invitation.grid_id,
        "merchant_id": invitation.merchant_id,
        "organisation_id": invitation.organisation_id,
        "party_kind": invitation.party_kind,
        "note": invitation.note,
        "code_hint": invitation.code_hint,
        "status": status_of(invitation, now),
        "created_by": invitation.created_by,
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
        "accepted_by": invitation.accepted_by,
        "accepted_at": invitation.accepted_at,
        "revoked_at": invitation.revoked_at,
    }


def create_invitation(
    actor: User | None,
    community_id: int,
    role: str,
    *,
    grid_id: int | None = None,
    merchant_id: int | None = None,
    organisation_id: int | None = None,
    party_kind: str | None = None,
    note: str = "",
    ttl_hours: int = DEFAULT_TTL_HOURS,
    with_qr: bool = False,
) -> IssuedInvitation:
    """Invite someone to a role of the community (admins; `actor` None is the operator's CLI).

    The scope must fit the role and lie inside the community, as for a grant. With `with_qr`
    the mini-program code is fetched after the invitation is saved: when WeChat cannot draw
    it, the invitation still stands and the typed code works (`qr_error` says why).
    """
    community = get_community(community_id)
    require_admin(actor, community.id)
    check_grant_scope(community.id, role, grid_id, merchant_id, organisation_id, party_kind)
    ttl_hours = min(max(int(ttl_hours), 1), MAX_TTL_HOURS)
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    invitation = Invitation(
        community_id=community.id,
        code_hash=_hash(code),
        code_hint=code[-4:],
        role=role,
        grid_id=grid_id,
        merchant_id=merchant_id,
        organisation_id=organisation_id,
        party_kind=party_kind,
        note=(note or "").strip(),
        created_by=actor.id if actor else None,
        expires_at=utcnow() + timedelta(hours=ttl_hours),
    )
    db.session.add(invitation)
    db.session.flush()
    record_audit(
        actor_id=actor.id if actor else None,
        action="invitation.create",
        target_type="invitation",
        target_id=invitation.id,
        community_id=community.id,
        after=jsonable(invitation_view(invitation)),
    )
    db.session.commit()
    issued = IssuedInvitation(invitation, display_code(code))
    if with_qr:
        try:
            issued.qr_png = get_unlimited_wxacode(scene_for(code))
        except AppError as exc:
            issued.qr_error = exc.message
    return issued


def accept_invitation(user: User, code: str) -> tuple[Invitation, RoleGrant]:
    """Join the invitation's community with its role, exactly once per code. Unknown codes are
    404, expired or revoked 410, used 409; any refusal leaves the invitation unused."""
    bare = normalise_code(code)
    invitation = (
        db.session.scalar(select(Invitation).where(Invitation.code_hash == _hash(bare)))
        if bare
        else None
    )
    if invitation is None:
        raise InvitationNotFound()
    inviter = db.session.get(User, invitation.created_by) if invitation.created_by else None
    if inviter is not None and not has_role(inviter, invitation.community_id, "admin"):
        # An admin who lost the role cannot hand out roles through invitations made before.
        raise InvitationRevoked("邀请人已不再是社区管理员，该邀请已失效")
    now = utcnow()
    gate = (
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .values(accepted_by=user.id, accepted_at=now)
        .returning(Invitation.id)
        .execution_options(synchronize_session=False)
    )
    if db.session.execute(gate).scalar() is None:
        db.session.refresh(invitation)
        raise _why_not_acceptable(invitation, now)
    db.session.refresh(invitation)
    admit_member(user, invitation.community_id)
    grant = add_grant(
        invitation.created_by,
        invitation.community_id,
        user.id,
        invitation.role,
        grid_id=invitation.grid_id,
        merchant_id=invitation.merchant_id,
        organisation_id=invitation.organisation_id,
        party_kind=invitation.party_kind,
    )
    record_audit(
        actor_id=user.id,
        action="invitation.accept",
        target_type="invitation",
        target_id=invitation.id,
        community_id=invitation.community_id,
        before={"status": "pending"},
        after={"status": "accepted", "accepted_by": user.id, "role_grant_id": grant.id},
    )
    db.session.commit()
    return invitation, grant


def _why_not_acceptable(invitation: Invitation, now: datetime) -> AppError:
    status = status_of(invitation, now)
    if status == "accepted":
        return InvitationUsed()
    if status == "revoked":
        return InvitationRevoked()
    return InvitationExpired(details={"expired_at": invitation.expires_at.isoformat()})


def revoke_invitation(actor: User, community_id: int, invitation_id: int) -> Invitation:
    """Withdraw an invitation nobody has accepted yet (admins of its community; audited)."""
    community = get_community(community_id)
    require_admin(actor, community.id)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.community_id != community.id:
        raise NotFound("邀请不存在", code="invitation_not_found")
    before = jsonable(invitation_view(invitation))
    gate = (
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_by=actor.id, revoked_at=utcnow())
        .returning(Invitation.id)
        .execution_options(synchronize_session=False)
    )
    revoked = db.session.execute(gate).scalar() is not None
    db.session.refresh(invitation)
    if not revoked:
        if invitation.accepted_at is not None:
            raise InvitationUsed("该邀请已被接受，无法撤销；如需收回请撤销对应的角色")
        raise Conflict("该邀请已经撤销过了", code="invitation_already_revoked")
    record_audit(
        actor_id=actor.id,
        action="invitation.revoke",
        target_type="invitation",
        target_id=invitation.id,
        community_id=community.id,
        before=before,
        after=jsonable(invitation_view(invitation)),
    )
    db.session.commit()
    return invitation


def list_invitations(
    actor: User, community_id: int, limit: int, cursor: str | None, status: str | None = None
):
    """The community's invitations, newest first, optionally by status (admins only)."""
    community = get_community(community_id)
    require_admin(actor, community.id)
    now = utcnow()
    stmt = select(Invitation).where(Invitation.community_id == community.id)
    open_ = (Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
    if status == "accepted":
        stmt = stmt.where(Invitation.accepted_at.is_not(None))
    elif status == "revoked":
        stmt = stmt.where(Invitation.revoked_at.is_not(None))
    elif status == "pending":
        stmt = stmt.where(*open_, Invitation.expires_at > now)
    elif status == "expired":
        stmt = stmt.where(*open_, Invitation.expires_at <= now)
    page = paginate_by_id(db.session, stmt, Invitation.id, limit, cursor)
    page.items = [invitation_view(item, now) for item in page.items]
    return page
