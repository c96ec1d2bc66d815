"""HTTP routes: balance, history, admin adjustments and rankings (thin: parse, call, dump)."""

from flask_smorest import Blueprint

from server.auth.current import current_user
from server.community.acting import ACTING_DOC, acting_allowed
from server.http.idempotency import IDEMPOTENCY_HEADER_DOC, idempotent, request_key
from server.http.schemas import BEARER
from server.points import adjustments, balance, rankings
from server.points.ledger_schemas import (
    AdjustmentCreateSchema,
    AdjustmentResultSchema,
    BalanceSchema,
    HolderQuerySchema,
    LedgerPageSchema,
    LedgerQuerySchema,
    RankingPageSchema,
    RankingQuerySchema,
    ReverseSchema,
)

blp = Blueprint(
    "points_ledger", __name__, url_prefix="/api/v1", description="积分余额、明细、调整与排行"
)


@blp.route("/points/balance", methods=["GET"])
@blp.doc(security=BEARER, **ACTING_DOC)
@acting_allowed
@blp.arguments(HolderQuerySchema, location="query")
@blp.response(200, BalanceSchema)
def get_balance(args):
    """The caller's balance (or their organisation's or shop's, for its staff)."""
    return balance.balance_of(current_user(), args.get("organisation_id"), args.get("merchant_id"))


@blp.route("/points/ledger", methods=["GET"])
@blp.doc(security=BEARER, **ACTING_DOC)
@acting_allowed
@blp.arguments(LedgerQuerySchema, location="query")
@blp.response(200, LedgerPageSchema)
def get_ledger(args):
    """The caller's point history, newest first; each entry says why."""
    page = balance.history_of(
        current_user(),
        args["limit"],
        args["cursor"],
        args.get("organisation_id"),
        args.get("merchant_id"),
    )
    return page.as_dict()


def _result(entry, account) -> dict:
    return {"entry": balance.entry_view(entry), "account": adjustments.account_view(account)}


@blp.route("/points/adjustments", methods=["POST"])
@blp.doc(security=BEARER, parameters=[IDEMPOTENCY_HEADER_DOC])
@idempotent("points.adjustments", caller=current_user)
@blp.arguments(AdjustmentCreateSchema)
@blp.response(201, AdjustmentResultSchema)
def create_adjustment(body):
    """A bonus or a deduction (扣分) for a resident, organisation or shop (admins; audited)."""
    entry, account = adjustments.adjust(
        current_user(),
        amount=body["amount"],
        reason=body["reason"],
        user_id=body.get("user_id"),
        organisation_id=body.get("organisation_id"),
        merchant_id=body.get("merchant_id"),
        request_key=request_key(),
    )
    return _result(entry, account)


@blp.route("/points/adjustments/<int:entry_id>/reverse", methods=["POST"])
@blp.doc(security=BEARER, parameters=[IDEMPOTENCY_HEADER_DOC])
@idempotent("points.reverse", caller=current_user)
@blp.arguments(ReverseSchema)
@blp.response(201, AdjustmentResultSchema)
def reverse_entry(body, entry_id):
    """Correct a ledger entry with a reversing entry (admins; audited)."""
    entry, account = adjustments.reverse_entry(current_user(), entry_id, reason=body["reason"])
    return _result(entry, account)


@blp.route("/rankings", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(RankingQuerySchema, location="query")
@blp.response(200, RankingPageSchema)
def get_rankings(args):
    """The community ranking for a month, quarter or year, with the caller's own rank."""
    return rankings.ranking(
        current_user(),
        period=args["period"],
        kind=args["kind"],
        limit=args["limit"],
        cursor=args["cursor"],
    )
