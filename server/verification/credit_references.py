"""Credit references (信用证明): a holder issues one, sees every check of it, revokes it at
once; a bank checks it by serial and check code. Nothing is shown without an unexpired,
unrevoked reference and the right code, and every refusal looks the same."""

import hashlib
import hmac
import ipaddress
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from server.auth.models import User
from server.db.audit import record_audit
from server.db.session import db, get_by_id
from server.db.types import utcnow
from server.http.errors import Forbidden, NotFound, Unprocessable
from server.http.pagination import Page, paginate_by_id
from server.outbox.emit import emit_event
from server.platform.localtime import local_date, local_year
from server.platform.serials import new_code, new_serial, normalise
from server.points.holders import STAFF, readable_holder, staffs
from server.verification.credit_figures import holder_figures
from server.verification.credit_models import (
    MAX_CLIENT,
    MAX_DAYS,
    MIN_DAYS,
    SERIAL_PREFIX,
    CreditCheck,
    CreditReference,
)

SHOWN_CHECKS = 20  # the newest checks listed with each reference; check_count counts them all
MAX_CODE = 16


def now():
    """The current UTC time (tests monkeypatch this seam)."""
    return utcnow()


def code_digest(serial: str, code: str) -> str:
    """Keyed by the app's secret, so a copy of the table alone cannot test guesses offline."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{serial}:{code}".encode(), hashlib.sha256).hexdigest()


def client_label(address: str | None) -> str:
    """A coarse label of a checker's address: its /24 (IPv4) or /48 (IPv6) network."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "未知"
    prefix = 24 if ip.version == 4 else 48
    network = ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
    if ip.version == 4:
        return str(network.network_address).rsplit(".", 1)[0] + ".*"
    return f"{network}"[:MAX_CLIENT]


def _own_holder(actor: User, organisation_id: int | None, merchant_id: int | None):
    """The account the caller may issue for: their own, or one they are staff of (a community
    admin may read an organisation's account, but only its staff speak for it to a bank)."""
    community_id, holder_type, holder_id = readable_holder(actor, organisation_id, merchant_id)
    if not staffs(actor, community_id, holder_type, holder_id):
        name = STAFF[holder_type][3]
        raise Forbidden(f"只有该{name}的工作人员可以出具信用证明", code="forbidden")
    return community_id, holder_type, holder_id


def issue_credit_reference(
    actor: User,
    *,
    valid_days: int,
    organisation_id: int | None = None,
    merchant_id: int | None = None,
) -> tuple[CreditReference, str]:
    """Issue a reference valid for `valid_days`; its check code is returned here only."""
    if not MIN_DAYS <= valid_days <= MAX_DAYS:
        raise Unprocessable(
            f"有效期为 {MIN_DAYS} 到 {MAX_DAYS} 天",
            code="invalid_validity",
            details={"min": MIN_DAYS, "max": MAX_DAYS},
        )
    community_id, holder_type, holder_id = _own_holder(actor, organisation_id, merchant_id)
    issued = now()
    figures = holder_figures(community_id, holder_type, holder_id, local_year(issued))
    serial, code = new_serial(SERIAL_PREFIX, figures["year"]), new_code()
    reference = CreditReference(
        serial=serial,
        code_digest=code_digest(serial, code),
        issued_by=actor.id,
        issued_at=issued,
        valid_until=issued + timedelta(days=valid_days),
        **figures,
    )
    db.session.add(reference)
    db.session.flush()
    record_audit(
        actor_id=actor.id,
        action="credit_reference.issue",
        target_type="credit_reference",
        target_id=reference.id,
        community_id=community_id,
        after={"holder_type": holder_type, "holder_id": holder_id, "valid_days": valid_days},
    )
    _event("credit_reference.issued", reference, {"valid_days": valid_days})
    db.session.commit()
    return reference, code


def _event(event_type: str, reference: CreditReference, extra: dict) -> None:
    emit_event(
        event_type,
        aggregate_type="credit_reference",
        aggregate_id=reference.id,
        community_id=reference.community_id,
        payload={
            "reference_id": reference.id,
            "holder_type": reference.holder_type,
            "holder_id": reference.holder_id,
            **extra,
        },
    )


def status_of(reference: CreditReference) -> str:
    if reference.revoked_at is not None:
        return "revoked"
    return "expired" if reference.valid_until <= now() else "active"


def check_view(check: CreditCheck) -> dict:
    return {"checked_at": check.checked_at, "outcome": check.outcome, "client": check.client}


def reference_view(reference: CreditReference, checks: list, check_count: int) -> dict:
    """What the holder sees: the figures, the state and the checks; never the code."""
    minutes = reference.volunteer_minutes
    return {
        "id": reference.id,
        "serial": reference.serial,
        "holder_type": reference.holder_type,
        "holder_id": reference.holder_id,
        "holder_name": reference.holder_name,
        "year": reference.year,
        "points_year": reference.points_year,
        "points_total": reference.points_total,
        "volunteer_hours": None if minutes is None else round(minutes / 60, 2),
        "rank_band": reference.rank_band,
        "member_since": reference.member_since,
        "issued_at": reference.issued_at,
        "valid_until": reference.valid_until,
        "revoked_at": reference.revoked_at,
        "status": status_of(reference),
        "check_count": check_count,
        "checks": [check_view(c) for c in checks],
    }


def _checks_of(reference_ids: list[int]) -> tuple[dict, dict]:
    counts = dict(
        db.session.execute(
            select(CreditCheck.reference_id, func.count())
            .where(CreditCheck.reference_id.in_(reference_ids))
            .group_by(CreditCheck.reference_id)
        ).all()
    )
    newest: dict[int, list] = {rid: [] for rid in reference_ids}
    for rid in reference_ids:
        newest[rid] = list(
            db.session.scalars(
                select(CreditCheck)
                .where(CreditCheck.reference_id == rid)
                .order_by(CreditCheck.id.desc())
                .limit(SHOWN_CHECKS)
            )
        )
    return newest, counts


def viewed(reference: CreditReference) -> dict:
    newest, counts = _checks_of([reference.id])
    return reference_view(reference, newest[reference.id], counts.get(reference.id, 0))


def list_credit_references(
    actor: User,
    limit: int,
    cursor: str | None,
    organisation_id: int | None = None,
    merchant_id: int | None = None,
) -> Page:
    """The holder's references, newest first, each with its newest checks."""
    community_id, holder_type, holder_id = _own_holder(actor, organisation_id, merchant_id)
    stmt = select(CreditReference).where(
        CreditReference.community_id == community_id,
        CreditReference.holder_type == holder_type,
        CreditReference.holder_id == holder_id,
    )
    page = paginate_by_id(db.session, stmt, CreditReference.id, limit, cursor)
    newest, counts = _checks_of([r.id for r in page.items])
    page.items = [reference_view(r, newest[r.id], counts.get(r.id, 0)) for r in page.items]
    return page


def revoke_credit_reference(actor: User, reference_id: int) -> CreditReference:
    """Revoke at once: the next check is refused. 404 alike for absent and others' references."""
    reference = get_by_id(CreditReference, reference_id)
    if reference is None or not staffs(
        actor, reference.community_id, reference.holder_type, reference.holder_id
    ):
        raise NotFound("信用证明不存在", code="credit_reference_not_found")
    revoked = db.session.execute(
        update(CreditReference)
        .where(CreditReference.id == reference.id, CreditReference.revoked_at.is_(None))
        .values(revoked_at=now())
    ).rowcount
    if revoked:
        record_audit(
            actor_id=actor.id,
            action="credit_reference.revoke",
            target_type="credit_reference",
            target_id=reference.id,
            community_id=reference.community_id,
            before={"active": True},
            after={"active": False},
        )
        _event("credit_reference.revoked", reference, {})
    db.session.commit()
    db.session.refresh(reference)
    return reference


def check_credit_reference(serial: str | None, code: str | None, address: str | None):
    """The public view of a valid reference, or None for anything else (unknown serial,
    wrong code, expired, revoked: the checker cannot tell which). Every check of an
    existing serial is logged for its holder, with its outcome."""
    serial = normalise(serial)
    code = normalise(code)[:MAX_CODE]
    digest = code_digest(serial, code)  # computed for unknown serials too: the same work
    reference = db.session.scalar(select(CreditReference).where(CreditReference.serial == serial))
    if reference is None:
        return None
    if not hmac.compare_digest(digest, reference.code_digest):
        outcome = "wrong_code"
    elif reference.revoked_at is not None:
        outcome = "revoked"
    elif reference.valid_until <= now():
        outcome = "expired"
    else:
        outcome = "ok"
    db.session.add(
        CreditCheck(
            reference_id=reference.id,
            checked_at=now(),
            outcome=outcome,
            client=client_label(address),
        )
    )
    _event("credit_reference.checked", reference, {"outcome": outcome})
    db.session.commit()
    if outcome != "ok":
        return None
    minutes = reference.volunteer_minutes
    return {
        "serial": reference.serial,
        "holder_name": reference.holder_name,
        "holder_kind": {"user": "个人", "organisation": "驻区单位", "merchant": "信用店铺"}[
            reference.holder_type
        ],
        "community": reference.community_name,
        "year": reference.year,
        "points_year": reference.points_year,
        "points_total": reference.points_total,
        "hours": None if minutes is None else round(minutes / 60, 2),
        "rank_band": reference.rank_band,
        "member_since": reference.member_since.isoformat() if reference.member_since else None,
        "issued_on": local_date(reference.issued_at).isoformat(),
        "valid_until": local_date(reference.valid_until).isoformat(),
    }
