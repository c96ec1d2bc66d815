"""Balance and history of the caller's own account (or of an organisation or shop they staff)."""

from sqlalchemy import func, select

from server.auth.models import User
from server.db.session import db
from server.http.pagination import Page, paginate_by_id
from server.platform.localtime import local_year
from server.points.holders import readable_holder
from server.points.ledger import find_account
from server.points.ledger_models import OWN_KIND, Account, LedgerEntry, PeriodTotal

KIND_LABELS = {
    "credit": "获得积分",
    "bonus": "奖励加分",
    "import": "历史积分",
    "debit": "使用积分",
    "deduction": "扣分",
    "settle": "兑换扣减",
    "reversal": "冲正",
}


def year_earned(account: Account, year: int) -> int:
    """Points earned in a Shanghai calendar year, from the monthly totals (a dozen rows)."""
    kind = OWN_KIND[account.holder_type]
    total = db.session.scalar(
        select(func.sum(PeriodTotal.points)).where(
            PeriodTotal.account_id == account.id,
            PeriodTotal.kind == kind,
            PeriodTotal.month >= f"{year}-01",
            PeriodTotal.month <= f"{year}-12",
        )
    )
    return int(total or 0)


def balance_of(
    user: User, organisation_id: int | None = None, merchant_id: int | None = None
) -> dict:
    """Balance, held, available, lifetime earned and this year's earned points."""
    community_id, holder_type, holder_id = readable_holder(user, organisation_id, merchant_id)
    account = find_account(community_id, holder_type, holder_id)
    year = local_year()
    view = {
        "community_id": community_id,
        "holder_type": holder_type,
        "holder_id": holder_id,
        "account_id": None,
        "balance": 0,
        "held": 0,
        "available": 0,
        "earned": 0,
        "year": year,
        "year_earned": 0,
    }
    if account is not None:
        view.update(
            account_id=account.id,
            balance=account.balance,
            held=account.held,
            available=account.available,
            earned=account.earned,
            year_earned=year_earned(account, year),
        )
    return view


def entry_view(entry: LedgerEntry) -> dict:
    return {
        "id": entry.id,
        "amount": entry.amount,
        "balance_after": entry.balance_after,
        "kind": entry.kind,
        "kind_label": KIND_LABELS.get(entry.kind, entry.kind),
        "reason": entry.reason,
        "cause_type": entry.cause_type,
        "reverses_entry_id": entry.reverses_entry_id,
        "created_at": entry.created_at,
    }


def history_of(
    user: User,
    limit: int,
    cursor: str | None,
    organisation_id: int | None = None,
    merchant_id: int | None = None,
) -> Page:
    """The account's entries, newest first, each with its Chinese reason."""
    community_id, holder_type, holder_id = readable_holder(user, organisation_id, merchant_id)
    account = find_account(community_id, holder_type, holder_id)
    account_id = account.id if account is not None else -1
    stmt = select(LedgerEntry).where(LedgerEntry.account_id == account_id)
    page = paginate_by_id(db.session, stmt, LedgerEntry.id, limit, cursor)
    page.items = [entry_view(e) for e in page.items]
    return page
