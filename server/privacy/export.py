"""What a resident's data export holds: one section per kind of record, only their own rows.

Each section is one bounded SELECT (export_rows.ROW_CAP rows at most, newest first; `capped`
says when more exist). Other people appear only as masked names (a reviewer is 李*英), never by id,
phone or full name. Photos are listed by id and size, not embedded.
"""

from sqlalchemy import func, select

from server.auth.models import User
from server.cards.models import PointCard
from server.community.card_holder_models import ActOnBehalf, CardHolder
from server.community.models import Community, Grid, Membership, Merchant, RoleGrant
from server.db.session import db
from server.db.types import utcnow
from server.grid.report_models import Report
from server.grid.service_log_models import ServiceItem, ServiceLog
from server.grid.wish_models import Wish
from server.points.claim_models import PointClaim
from server.points.ledger_models import Account, LedgerEntry
from server.points.models import PointItem
from server.privacy.export_rows import Section, plain, row_cap, section
from server.rewards.models import Offer, Redemption
from server.tasks.models import Task, TaskAttendance, TaskSignup
from server.uploads.models import Upload


def _account_ids(user_id: int):
    return select(Account.id).where(Account.holder_type == "user", Account.holder_id == user_id)


def collect(user: User) -> dict:
    """The whole export of `user`'s own data: {generated_at, row_cap, sections}."""
    uid = user.id
    profile = {
        "id": user.id,
        "nickname": user.nickname,
        "real_name": user.real_name,
        "phone": user.phone,
        "avatar_url": user.avatar_url,
        "created_at": user.created_at,
        "last_login_at": user.last_login_at,
        "wechat_bound": user.openid is not None,
    }
    holder = db.session.get(CardHolder, uid)
    if holder is not None:
        profile |= {"card_building": holder.building, "card_unit": holder.unit}
    profile_section = Section(
        "profile", "个人资料", list(profile), [{k: plain(v) for k, v in profile.items()}]
    )
    sections = [profile_section, *(build(uid) for build in SECTIONS)]
    return {
        "generated_at": utcnow(),
        "row_cap": row_cap(),
        "sections": [vars(s) for s in sections],
    }


def _memberships(uid: int) -> Section:
    stmt = (
        select(
            Community.name.label("community"),
            Grid.name.label("grid"),
            Membership.joined_at,
        )
        .select_from(Membership)
        .join(Community, Community.id == Membership.community_id)
        .outerjoin(Grid, Grid.id == Membership.grid_id)
        .where(Membership.user_id == uid)
    )
    return section("memberships", "所属社区", stmt)


def _roles(uid: int) -> Section:
    stmt = (
        select(RoleGrant.role, RoleGrant.party_kind, RoleGrant.created_at)
        .where(RoleGrant.user_id == uid)
        .order_by(RoleGrant.id)
    )
    return section("roles", "角色", stmt)


def _accounts(uid: int) -> Section:
    stmt = (
        select(Community.name.label("community"), Account.balance, Account.held, Account.earned)
        .join(Community, Community.id == Account.community_id)
        .where(Account.id.in_(_account_ids(uid)))
        .order_by(Account.id)
    )
    return section("accounts", "积分账户", stmt)


def _ledger(uid: int) -> Section:
    e = LedgerEntry
    stmt = (
        select(e.id, e.created_at, e.amount, e.balance_after, e.kind, e.reason, e.cause_type)
        .where(e.account_id.in_(_account_ids(uid)))
        .order_by(e.id.desc())
    )
    return section("ledger", "积分明细", stmt)


def _claims(uid: int) -> Section:
    c = PointClaim
    stmt = (
        select(
            c.id,
            c.created_at,
            c.occurred_on,
            PointItem.name.label("item"),
            c.description,
            c.status,
            c.points,
            c.decided_by,
            c.decided_at,
            c.decision_reason,
            c.photo_ids,
        )
        .join(PointItem, PointItem.id == c.item_id)
        .where(c.claimant_id == uid)
        .order_by(c.id.desc())
    )
    return section("claims", "积分申报", stmt, {"decided_by": "reviewer"})


def _signups(uid: int) -> Section:
    s = TaskSignup
    stmt = (
        select(s.task_id, Task.title, s.status, s.outcome, s.signed_up_at, s.cancelled_at)
        .join(Task, Task.id == s.task_id)
        .where(s.user_id == uid)
        .order_by(s.id.desc())
    )
    return section("signups", "活动报名", stmt)


def _attendance(uid: int) -> Section:
    a = TaskAttendance
    stmt = (
        select(
            a.task_id,
            Task.title,
            a.method,
            a.checkin_at,
            a.checkout_at,
            a.checkin_latitude,
            a.checkin_longitude,
            a.minutes,
            a.points,
            a.credited_at,
        )
        .join(Task, Task.id == a.task_id)
        .where(a.user_id == uid)
        .order_by(a.id.desc())
    )
    return section("attendance", "签到记录", stmt)


def _redemptions(uid: int) -> Section:
    r = Redemption
    stmt = (
        select(
            r.id,
            Offer.title.label("offer"),
            Merchant.name.label("merchant"),
            r.points,
            r.status,
            r.created_at,
            r.redeemed_at,
            r.closed_at,
        )
        .join(Offer, Offer.id == r.offer_id)
        .join(Merchant, Merchant.id == r.merchant_id)
        .where(r.user_id == uid)
        .order_by(r.id.desc())
    )
    return section("redemptions", "积分兑换", stmt)


def _reports(uid: int) -> Section:
    r = Report
    stmt = (
        select(
            r.id,
            r.created_at,
            r.text,
            r.place,
            r.latitude,
            r.longitude,
            r.status,
            r.photo_ids,
            r.resolution_note,
            r.rating,
            r.feedback,
        )
        .where(r.reporter_id == uid)
        .order_by(r.id.desc())
    )
    return section("reports", "随手拍", stmt)


def _wishes(uid: int) -> Section:
    w = Wish
    stmt = (
        select(
            w.id,
            w.created_at,
            w.title,
            w.details,
            w.needed_by,
            w.place,
            w.beneficiary,
            w.status,
            w.points,
            w.photo_ids,
            w.thanks,
        )
        .where(w.resident_id == uid)
        .order_by(w.id.desc())
    )
    return section("wishes", "微心愿", stmt)


def _service_logs(uid: int) -> Section:
    s = ServiceLog
    stmt = (
        select(
            s.id,
            s.served_at,
            ServiceItem.name.label("item"),
            s.worker_id,
            s.duration_minutes,
            s.notes,
            s.place,
            s.status,
        )
        .join(ServiceItem, ServiceItem.id == s.item_id)
        .where(s.resident_id == uid)
        .order_by(s.id.desc())
    )
    return section("service_logs", "网格服务记录", stmt, {"worker_id": "worker"})


def _acts(uid: int) -> Section:
    a = ActOnBehalf
    stmt = (
        select(a.id, a.created_at, a.actor_id, a.action, a.target_type, a.target_id)
        .where(a.holder_id == uid)
        .order_by(a.id.desc())
    )
    return section("acts_on_behalf", "代办记录", stmt, {"actor_id": "actor"})


def _cards(uid: int) -> Section:
    c = PointCard
    stmt = (
        select(
            func.substr(c.number, func.length(c.number) - 3).label("number_last4"),
            c.status,
            c.issued_at,
            c.retired_at,
            c.retired_reason,
        )
        .where(c.holder_id == uid)
        .order_by(c.id.desc())
    )
    return section("cards", "积分卡", stmt)


def _photos(uid: int) -> Section:
    u = Upload
    stmt = (
        select(u.id, u.created_at, u.content_type, u.size, u.width, u.height, u.attached_type)
        .where(u.owner_id == uid)
        .order_by(u.id.desc())
    )
    return section("photos", "照片", stmt)


# The sections after the profile, in the order the export shows them.
SECTIONS = (
    _memberships,
    _roles,
    _accounts,
    _ledger,
    _claims,
    _signups,
    _attendance,
    _redemptions,
    _reports,
    _wishes,
    _service_logs,
    _cards,
    _acts,
    _photos,
)
