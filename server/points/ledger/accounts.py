"""Point accounts: found or opened empty, and kept in step with the ledger's UPDATEs."""

from sqlalchemy import inspect, select
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from server.db.session import db
from server.db.types import utcnow
from server.http.errors import NotFound
from server.platform import profile_versions
from server.points.ledger.checks import InsufficientPoints
from server.points.ledger.statements import ACCOUNTS, session_statements
from server.points.ledger_models import Account


def find_account(community_id: int, holder_type: str, holder_id: int) -> Account | None:
    """The holder's account in the community, or None when it was never opened."""
    return db.session.scalar(
        select(Account).where(
            Account.community_id == community_id,
            Account.holder_type == holder_type,
            Account.holder_id == holder_id,
        )
    )


def _get_or_create(community_id: int, holder_type: str, holder_id: int) -> Account:
    account = find_account(community_id, holder_type, holder_id)
    if account is not None:
        return account
    conn, st = session_statements()
    now = utcnow()
    # ON CONFLICT DO NOTHING: a concurrent first use opened it already; both read that one.
    conn.execute(
        st.new_account,
        {
            "community_id": community_id,
            "holder_type": holder_type,
            "holder_id": holder_id,
            "balance": 0,
            "held": 0,
            "earned": 0,
            "created_at": now,
            "updated_at": now,
        },
    )
    return find_account(community_id, holder_type, holder_id)


def account_for_user(community_id: int, user_id: int) -> Account:
    """The user's account in the community, created empty on first use."""
    return _get_or_create(community_id, "user", user_id)


def account_for_organisation(community_id: int, organisation_id: int) -> Account:
    """The organisation's account in the community, created empty on first use."""
    return _get_or_create(community_id, "organisation", organisation_id)


def account_for_merchant(community_id: int, merchant_id: int) -> Account:
    """The shop's (信用店铺) account in the community, created empty on first use."""
    return _get_or_create(community_id, "merchant", merchant_id)


def account_id_of(account: Account | int) -> int:
    """The account id, without reloading an object expired by the caller's last commit."""
    if isinstance(account, Account):
        identity = inspect(account).identity
        return identity[0] if identity else account.id
    if isinstance(account, bool) or not isinstance(account, int):
        raise NotFound("积分账户不存在", code="account_not_found")
    return account


def sync(account_id: int, row) -> None:
    """Put the state an UPDATE returned on the in-session account (if any), not dirtying it.

    Every balance change passes here, so here the holder's cached profile is marked stale.
    """
    if row.holder_type == "user":
        profile_versions.touch(row.holder_id)
    account = db.session.identity_map.get(identity_key(Account, account_id))
    if account is None:
        return
    set_committed_value(account, "balance", row.balance)
    set_committed_value(account, "held", row.held)
    set_committed_value(account, "earned", row.earned)


def refuse_uncovered(account_id: int, amount: int):
    """The cover gate refused: say why - no such account, or not enough available."""
    current = db.session.execute(
        select(ACCOUNTS.c.balance, ACCOUNTS.c.held).where(ACCOUNTS.c.id == account_id)
    ).one_or_none()
    if current is None:
        raise NotFound("积分账户不存在", code="account_not_found")
    raise InsufficientPoints(
        details={"available": current.balance - current.held, "requested": amount}
    )
