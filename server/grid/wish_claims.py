"""Taking a wish on: claim (exactly one claimer), hand back, fulfil, and the resident's
confirmation, which credits the fulfiller once.

The claim gate is one conditional UPDATE (`status = 'published' AND claimer_id IS NULL AND
needed_by >= today`): of many claimers at the same moment one changes the row; on PostgreSQL
the others wait for its transaction and then match nothing. The credit carries the key
`wish:<id>:fulfil` and commits with the confirmation, so a retry never posts twice.
"""

from server.auth.models import User
from server.community.models import Merchant, Organisation
from server.db.session import db, get_by_id
from server.db.types import utcnow
from server.grid.wish_access import WishViewer, visible_wish
from server.grid.wish_models import Wish
from server.grid.wishes import WishNotOpen, WishPastNeededBy, emit, gate, refuse
from server.http.errors import Conflict, Forbidden, Unprocessable
from server.platform.localtime import local_today
from server.uploads import service as uploads

CLAIMER_COLUMNS = ("claimer_id", "claimer_kind", "claimer_organisation_id", "claimer_merchant_id")


class WishAlreadyClaimed(Conflict):
    code, message = "wish_already_claimed", "该心愿已被认领"


class WishNotClaimed(Conflict):
    code, message = "wish_not_claimed", "该心愿不在认领中，不能进行此操作"


class WishNotFulfilled(Conflict):
    code, message = "wish_not_fulfilled", "该心愿尚未完成或已确认"


class NotClaimer(Forbidden):
    code, message = "not_wish_claimer", "只有认领人可以进行此操作"


def _claimer_of(viewer: WishViewer, wish: Wish, organisation_id, merchant_id) -> dict:
    """Who claims: the caller as a party member, or the organisation or shop they staff."""
    if organisation_id is not None and merchant_id is not None:
        raise Unprocessable("只能以一个单位或店铺的名义认领", code="one_claimer_only")
    if organisation_id is not None:
        org = get_by_id(Organisation, organisation_id)
        if org is None or org.community_id != wish.community_id:
            raise Unprocessable(
                "单位不存在",
                code="unknown_organisation",
                details={"organisation_id": organisation_id},
            )
        if org.id not in viewer.organisation_ids:
            raise Forbidden("您不是该单位的工作人员", code="not_organisation_staff")
        return {"claimer_kind": "organisation", "claimer_organisation_id": org.id}
    if merchant_id is not None:
        shop = get_by_id(Merchant, merchant_id)
        if shop is None or shop.community_id != wish.community_id:
            raise Unprocessable(
                "店铺不存在", code="unknown_merchant", details={"merchant_id": merchant_id}
            )
        if shop.id not in viewer.merchant_ids:
            raise Forbidden("您不是该店铺的工作人员", code="not_merchant_staff")
        if shop.status != "approved":
            raise Forbidden("店铺尚未通过审核或已暂停", code="merchant_not_approved")
        return {"claimer_kind": "merchant", "claimer_merchant_id": shop.id}
    if not viewer.is_party_member:
        raise Forbidden(
            "只有党员或驻区单位、信用店铺的工作人员可以认领心愿", code="not_a_party_member"
        )
    return {"claimer_kind": "person"}


def _claimer_payload(wish: Wish) -> dict:
    return {name: getattr(wish, name) for name in CLAIMER_COLUMNS}


def claim_wish(
    user: User, wish_id: int, *, organisation_id: int | None = None, merchant_id: int | None = None
) -> Wish:
    """Take a published wish on, for oneself (a party member), an organisation or a shop."""
    viewer = WishViewer(user)
    wish = visible_wish(viewer, wish_id)
    if wish.resident_id == user.id:
        raise Forbidden("不能认领自己发布的心愿", code="cannot_claim_own_wish")
    if not viewer.reaches(wish):
        raise Forbidden("该心愿仅向指定网格发布", code="not_in_wish_audience")
    if wish.reviewed_by == user.id:  # they set its points: nobody earns on their own decision
        raise Forbidden("不能认领自己审核发布的心愿", code="cannot_claim_own_review")
    claimer = _claimer_of(viewer, wish, organisation_id, merchant_id)
    today = local_today()
    if not gate(
        wish,
        Wish.status == "published",
        Wish.claimer_id.is_(None),
        Wish.needed_by >= today,
        status="claimed",
        claimer_id=user.id,
        claimed_at=utcnow(),
        **claimer,
    ):
        db.session.refresh(wish)
        if wish.claimer_id is not None:
            raise WishAlreadyClaimed(details={"status": wish.status})
        refuse(wish, WishNotOpen, due_in=("published",), today=today)
    emit("wish.claimed", wish, **_claimer_payload(wish))
    db.session.commit()
    return wish


def _acting_claimer(user: User, wish_id: int) -> Wish:
    viewer = WishViewer(user)
    wish = visible_wish(viewer, wish_id)
    if not viewer.acts_for_claimer(wish):
        raise NotClaimer()
    return wish


def hand_back(user: User, wish_id: int, reason: str | None = None) -> Wish:
    """The claimer gives a wish back before its needed_by day ends; it is published again."""
    wish = _acting_claimer(user, wish_id)
    before = _claimer_payload(wish)
    today = local_today()
    if not gate(
        wish,
        Wish.status == "claimed",
        Wish.claimer_id == wish.claimer_id,
        Wish.needed_by >= today,
        status="published",
        claimed_at=None,
        **dict.fromkeys(CLAIMER_COLUMNS),
    ):
        db.session.refresh(wish)
        if wish.status == "claimed" and wish.needed_by < today:
            raise WishPastNeededBy(
                "已过期望完成日期，不能再退回，请尽快完成", details={"status": wish.status}
            )
        raise WishNotClaimed(details={"status": wish.status})
    reason = (reason or "").strip() or None
    emit("wish.handed_back", wish, reason=reason, handed_back_by=user.id, **before)
    db.session.commit()
    return wish


def fulfil_wish(user: User, wish_id: int, *, note: str, photo_ids: list[int]) -> Wish:
    """The claimer reports the wish done, with at least one photo and a note."""
    note = (note or "").strip()
    if not note:
        raise Unprocessable("请填写完成情况", code="note_required")
    if not photo_ids:
        raise Unprocessable("请上传至少一张完成照片", code="photo_required")
    wish = _acting_claimer(user, wish_id)
    uploads.check_attachable(user, photo_ids)
    if not gate(
        wish,
        Wish.status == "claimed",
        Wish.claimer_id == wish.claimer_id,
        status="fulfilled",
        fulfil_note=note,
        fulfil_photo_ids=list(photo_ids),
        fulfilled_at=utcnow(),
    ):
        db.session.refresh(wish)
        raise WishNotClaimed(details={"status": wish.status})
    uploads.attach(user, photo_ids, "wish_fulfilment", wish.id)
    emit("wish.fulfilled", wish, fulfilled_by=user.id, **_claimer_payload(wish))
    db.session.commit()
    return wish


def credit_fulfiller(wish: Wish, actor_id: int | None):
    """Credit the fulfiller once (key `wish:<id>:fulfil`): the organisation's or the shop's
    own account for their claim (ranked among their own kind), else the person's."""
    from server.points import ledger

    if wish.claimer_kind == "organisation":
        account = ledger.account_for_organisation(wish.community_id, wish.claimer_organisation_id)
    elif wish.claimer_kind == "merchant":
        account = ledger.account_for_merchant(wish.community_id, wish.claimer_merchant_id)
    else:
        account = ledger.account_for_user(wish.community_id, wish.claimer_id)
    return ledger.credit(
        account,
        wish.points,
        reason=f"微心愿：{wish.title}"[:200],
        idempotency_key=f"wish:{wish.id}:fulfil",
        cause_type="wish",
        cause_id=wish.id,
        actor_id=actor_id,
    )


def confirm_wish(user: User, wish_id: int, thanks: str | None = None) -> Wish:
    """The resident confirms the fulfilment (and may thank); the fulfiller is credited once."""
    wish = visible_wish(WishViewer(user), wish_id)
    if wish.resident_id != user.id:
        raise Forbidden("只有发布人可以确认心愿完成", code="not_wish_owner")
    thanks = (thanks or "").strip() or None
    now = utcnow()
    if not gate(
        wish,
        Wish.status == "fulfilled",
        Wish.resident_id == user.id,
        status="confirmed",
        thanks=thanks,
        confirmed_at=now,
        closed_at=now,
    ):
        db.session.refresh(wish)
        raise WishNotFulfilled(details={"status": wish.status})
    entry = credit_fulfiller(wish, actor_id=user.id)
    wish.ledger_entry_id = entry.id
    db.session.flush()
    emit(
        "wish.confirmed",
        wish,
        points=wish.points,
        ledger_entry_id=entry.id,
        thanked=thanks is not None,
        **_claimer_payload(wish),
    )
    db.session.commit()
    return wish
