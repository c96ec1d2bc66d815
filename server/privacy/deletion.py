"""Deleting one's own account (注销账号): personal fields erased, the points history kept.

What is erased, what is kept and why is in docs/privacy.md. In short: the user row keeps its
id under a pseudonym (已注销用户#<id>), so ledger entries, balances, rankings and the records
other people acted on stay whole; the name, phone, avatar and WeChat identity go, so the old
token is refused and the next WeChat login makes a fresh, empty account; photos are deleted
from the store; reserved rewards are cancelled through rewards' own close(), which releases
their held points through the ledger; seats in upcoming tasks are given up through the tasks'
own cancel, so the waitlist moves up.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from server.auth.models import User
from server.community.card_holder_models import CardHolder
from server.community.models import Membership, RoleGrant
from server.db.audit import record_audit
from server.db.session import db
from server.db.types import utcnow
from server.http.errors import AppError, Conflict
from server.notify.subscribe_models import SubscriptionCount
from server.platform.masking import DELETED_PREFIX, pseudonym
from server.rewards import closing
from server.rewards.models import Redemption
from server.tasks import clock, signup
from server.tasks.models import Task, TaskSignup
from server.uploads import service as uploads

CONFIRM_PHRASE = "注销账号"
# Roles that others rely on: hand them over (an admin revokes them) before deleting.
KEPT_ROLES = {"party_member"}


class StaffRolesHeld(Conflict):
    code = "hand_over_roles_first"
    message = "您仍担任社区工作角色，请先联系社区管理员移交或撤销角色后再注销"


@dataclass(frozen=True)
class Deletion:
    user_id: int
    pseudonym: str
    photos_removed: int
    reservations_cancelled: int
    already_deleted: bool = False


def is_deleted(user: User) -> bool:
    """Deleted (not merely deactivated by staff): inactive under the pseudonym."""
    return not user.is_active and (user.nickname or "").startswith(DELETED_PREFIX)


def delete_account(user: User, *, now: datetime | None = None) -> Deletion:
    """Delete `user`'s account: refuse while they hold staff roles; otherwise cancel their
    reserved rewards, erase their personal fields, remove their photos. Commits.

    Deleting twice is harmless: the second call changes nothing and says so.
    """
    now = now or utcnow()
    uid = user.id
    if user.is_active:
        _refuse_staff(uid)  # before leaving any task: a refused deletion changes nothing
        _leave_upcoming_tasks(uid)
    try:
        # The row lock serialises two deletions of one account; the loser sees it done.
        won = db.session.execute(
            update(User)
            .where(User.id == uid, User.is_active.is_(True))
            .values(is_active=False)
            .returning(User.id)
        ).first()
        if won is None:
            db.session.rollback()
            return Deletion(uid, pseudonym(uid), 0, 0, already_deleted=True)
        _refuse_staff(uid)
        cancelled = _cancel_reservations(uid, now)
        keys = _erase(uid)
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    uploads.forget_files(keys)
    # A reservation whose request read the account as active before this commit may land
    # just after it; sweep once more (the expiry job is the backstop after that).
    cancelled += _sweep_reservations(uid, now)
    return Deletion(uid, pseudonym(uid), len(keys), cancelled)


def _refuse_staff(uid: int) -> None:
    roles = sorted(
        set(db.session.scalars(select(RoleGrant.role).where(RoleGrant.user_id == uid))) - KEPT_ROLES
    )
    if roles:
        raise StaffRolesHeld(details={"roles": roles})


def _leave_upcoming_tasks(uid: int) -> None:
    """Give up seats in tasks not yet started through the tasks' own cancel (which promotes
    the waitlist), each in its own transaction; a seat past its cancel deadline is kept."""
    task_ids = db.session.scalars(
        select(TaskSignup.task_id)
        .join(Task, Task.id == TaskSignup.task_id)
        .where(
            TaskSignup.user_id == uid,
            TaskSignup.status.in_(("confirmed", "waitlisted")),
            Task.status == "published",
            Task.starts_at > clock.now(),
        )
        .order_by(TaskSignup.task_id)
    ).all()
    db.session.rollback()
    for task_id in task_ids:
        try:
            signup.cancel_signup_as(uid, task_id)
        except AppError:
            db.session.rollback()


def _cancel_reservations(uid: int, now: datetime) -> int:
    """Close every still-reserved redemption; one that a cashier verified meanwhile stays."""
    count = 0
    reserved = db.session.scalars(
        select(Redemption)
        .where(Redemption.user_id == uid, Redemption.status == "reserved")
        .order_by(Redemption.id)
    ).all()
    for r in reserved:
        try:
            closing.close(r, "cancelled", reason="账号注销，预约取消", actor_id=uid, now=now)
            count += 1
        except AppError:
            continue  # verified or expired meanwhile: that outcome stands
    return count


def _sweep_reservations(uid: int, now: datetime) -> int:
    try:
        count = _cancel_reservations(uid, now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return count


def _erase(uid: int) -> list[str]:
    """Erase personal fields in place; the storage keys of the deleted photos."""
    user = db.session.get(User, uid, populate_existing=True)
    community_id = db.session.scalar(
        select(Membership.community_id).where(Membership.user_id == uid)
    )
    before = {"had_phone": user.phone is not None, "had_wechat": user.openid is not None}
    user.nickname = pseudonym(uid)
    user.real_name = user.avatar_url = user.phone = user.phone_country_code = None
    # Without its openid the old WeChat login finds nothing and makes a new user.
    user.openid = user.unionid = user.session_key = None
    holder = db.session.get(CardHolder, uid)
    if holder is not None:  # a card holder who bound WeChat: the address and PIN go too
        holder.building, holder.unit, holder.pin_hash = "", "", "!"
        holder.bind_code_hash = holder.bind_code_expires_at = None
    db.session.execute(delete(SubscriptionCount).where(SubscriptionCount.user_id == uid))
    keys = uploads.delete_owned(uid)
    record_audit(
        actor_id=uid,
        action="user.delete",
        target_type="user",
        target_id=uid,
        community_id=community_id,
        before=before,
        after={"pseudonym": user.nickname, "photos_removed": len(keys)},
    )
    return keys
