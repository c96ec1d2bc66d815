"""Admin adjustments: bonuses and deductions (扣分) with a reason, and reversing entries."""

import uuid

from sqlalchemy import select

from server.auth.models import User
from server.community.authz import authorize, grants_of, membership_of
from server.community.models import Merchant, Organisation
from server.db.audit import jsonable, record_audit
from server.db.session import db
from server.http.errors import Forbidden, NotFound, Unprocessable
from server.outbox.emit import emit_event
from server.points import ledger
from server.points.balance import entry_view
from server.points.holders import staffs
from server.points.ledger_models import Account, LedgerEntry

# Entries an admin may correct here. Settlements are undone through their redemption.
REVERSIBLE_KINDS = ("credit", "bonus", "import", "deduction")


def _snapshot(account: Account) -> dict:
    return {
        "account_id": account.id,
        "balance": account.balance,
        "held": account.held,
        "earned": account.earned,
    }


def account_view(account: Account) -> dict:
    return {
        **_snapshot(account),
        "available": account.available,
        "holder_type": account.holder_type,
        "holder_id": account.holder_id,
    }


def _require_some_admin(actor: User) -> None:
    # Checked first so a non-admin learns nothing about which ids exist.
    if not any(g.role == "admin" for g in grants_of(actor)):
        raise Forbidden("只有社区管理员可以调整积分")


def _target_account(
    actor: User, user_id: int | None, organisation_id: int | None, merchant_id: int | None
) -> Account:
    if sum(x is not None for x in (user_id, organisation_id, merchant_id)) != 1:
        raise Unprocessable("请指定一位居民、一个单位或一家店铺", code="holder_required")
    if user_id is not None:
        target = db.session.get(User, user_id)
        membership = membership_of(target) if target is not None else None
        if membership is None:
            raise NotFound("该用户不存在或未加入社区", code="holder_not_found")
        authorize(actor, community_id=membership.community_id, roles=("admin",))
        return ledger.account_for_user(membership.community_id, target.id)
    if organisation_id is not None:
        holder = db.session.get(Organisation, organisation_id)
        open_account = ledger.account_for_organisation
    else:
        holder = db.session.get(Merchant, merchant_id)
        open_account = ledger.account_for_merchant
    if holder is None:
        raise NotFound("单位或店铺不存在", code="holder_not_found")
    authorize(actor, community_id=holder.community_id, roles=("admin",))
    return open_account(holder.community_id, holder.id)


class CannotCreditSelf(Forbidden):
    code, message = "cannot_credit_self", "不能给自己或本人所在单位、店铺加分，请由其他管理员操作"


def refuse_self_credit(actor: User, account: Account, amount: int) -> None:
    """Nobody earns points on a decision of their own: an adjustment or reversal that would
    credit the actor's own account, or an organisation they are staff of, is left to another
    admin. Deductions (amount <= 0) earn nothing and stay allowed."""
    if amount <= 0:
        return
    if staffs(actor, account.community_id, account.holder_type, account.holder_id):
        raise CannotCreditSelf()


def _existing(key: str) -> LedgerEntry | None:
    return db.session.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == key))


def adjust(
    actor: User,
    *,
    amount: int,
    reason: str,
    user_id: int | None = None,
    organisation_id: int | None = None,
    merchant_id: int | None = None,
    request_key: str | None = None,
) -> tuple[LedgerEntry, Account]:
    """Grant a bonus (amount > 0) or a deduction (amount < 0); audited; once per request key."""
    _require_some_admin(actor)
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise Unprocessable("调整积分不能为 0", code="invalid_amount")
    account = _target_account(actor, user_id, organisation_id, merchant_id)
    refuse_self_credit(actor, account, amount)
    key = f"adjustment:{actor.id}:{request_key or uuid.uuid4().hex}"
    replayed = _existing(key) is not None
    db.session.refresh(account)
    before = _snapshot(account)
    common = {
        "reason": reason,
        "idempotency_key": key,
        "cause_type": "adjustment",
        "cause_id": key[-64:],
        "actor_id": actor.id,
    }
    if amount > 0:
        entry = ledger.credit(account, amount, kind="bonus", **common)
    else:
        try:
            entry = ledger.debit(account, -amount, kind="deduction", **common)
        except ledger.InsufficientPoints as exc:
            available = exc.details.get("available")
            raise ledger.InsufficientPoints(
                f"扣分超过该账户可用积分（当前可用 {available} 分）", details=exc.details
            ) from None
    if not replayed:
        record_audit(
            actor_id=actor.id,
            action="points.adjust",
            target_type="point_account",
            target_id=account.id,
            community_id=account.community_id,
            before=before,
            after={
                **_snapshot(account),
                "entry_id": entry.id,
                "amount": amount,
                "reason": entry.reason,
            },
        )
        emit_event(
            "points.adjusted",
            aggregate_type="point_account",
            aggregate_id=account.id,
            community_id=account.community_id,
            payload={
                "entry_id": entry.id,
                "holder_type": account.holder_type,
                "holder_id": account.holder_id,
                "amount": amount,
                "reason": entry.reason,
            },
        )
    db.session.commit()
    return entry, account


def reverse_entry(actor: User, entry_id: int, *, reason: str) -> tuple[LedgerEntry, Account]:
    """Correct an entry with a reversing entry (admins of its community; once; audited)."""
    _require_some_admin(actor)
    original = db.session.get(LedgerEntry, entry_id)
    if original is None:
        raise NotFound("积分记录不存在", code="entry_not_found")
    account = db.session.get(Account, original.account_id)
    authorize(actor, community_id=account.community_id, roles=("admin",))
    if original.kind not in REVERSIBLE_KINDS:
        raise ledger.EntryNotReversible(
            "只能冲正积分发放、奖励或扣分记录",
            details={"entry_id": original.id, "kind": original.kind},
        )
    refuse_self_credit(actor, account, -original.amount)
    key = f"reversal:{original.id}"
    previous = _existing(key)
    if previous is not None:
        raise ledger.AlreadyReversed(details={"entry_id": original.id, "reversal_id": previous.id})
    db.session.refresh(account)
    before = _snapshot(account)
    try:
        reversal = ledger.reverse(original, reason=reason, idempotency_key=key, actor_id=actor.id)
    except ledger.InsufficientPoints as exc:
        raise ledger.InsufficientPoints(
            "该账户可用积分不足以冲正这笔积分（可能已被使用）", details=exc.details
        ) from None
    record_audit(
        actor_id=actor.id,
        action="points.reverse",
        target_type="ledger_entry",
        target_id=original.id,
        community_id=account.community_id,
        before={**before, "entry": jsonable(entry_view(original))},
        after={**_snapshot(account), "reversal_id": reversal.id, "reason": reversal.reason},
    )
    emit_event(
        "points.reversed",
        aggregate_type="point_account",
        aggregate_id=account.id,
        community_id=account.community_id,
        payload={"entry_id": original.id, "reversal_id": reversal.id, "amount": reversal.amount},
    )
    db.session.commit()
    return reversal, account
