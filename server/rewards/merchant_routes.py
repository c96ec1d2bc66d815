"""The rewards routes merchant staff use: verification (核销), history and the monthly statement."""

from flask import Response
from flask_smorest import Blueprint

from server.auth.current import current_user, current_user_id
from server.http.idempotency import IDEMPOTENCY_HEADER_DOC, idempotent
from server.http.rate_limits import rate_limited
from server.http.schemas import BEARER
from server.rewards import merchant_statements, verify
from server.rewards.periods import current_month
from server.rewards.schemas import (
    MerchantHistoryQuerySchema,
    MerchantRedemptionPageSchema,
    PreviewSchema,
    StatementExportQuerySchema,
    StatementQuerySchema,
    StatementSchema,
    TokenSchema,
    binary_response,
)
from server.rewards.settings import setting

merchant_blp = Blueprint(
    "rewards_merchant", __name__, url_prefix="/api/v1/merchant", description="商家核销与结算"
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Verify parses with one schema instance: a class would be instantiated (its fields
# deep-copied) on every request. Loading keeps no state on the instance.
_TOKEN = TokenSchema()


def _verify_limit() -> str:
    return setting("REDEMPTION_VERIFY_RATE_LIMIT")


def _staff_key() -> str:
    """The rate-limit key of verify and preview: the token's user, read without the database.

    That user is not yet known to be active: verify.py refuses a deactivated one (401) from
    the SELECT that reads the scanned redemption, one read less per request. So for a
    deactivated caller the rate limit (429) and body validation (422) come before the 401;
    nothing is written for them either way.
    """
    return str(current_user_id())


@merchant_blp.route("/verify/preview", methods=["POST"])
@rate_limited("verify_preview", _verify_limit, _staff_key)
@merchant_blp.doc(security=BEARER)
@merchant_blp.arguments(TokenSchema)
@merchant_blp.response(200, PreviewSchema)
def preview(body):
    """What the scanned code redeems: offer, points and the resident's masked name."""
    return verify.preview(current_user_id(), body["token"])


@merchant_blp.route("/verify", methods=["POST"])
@rate_limited("verify", _verify_limit, _staff_key)
@merchant_blp.doc(security=BEARER, parameters=[IDEMPOTENCY_HEADER_DOC])
@idempotent("rewards.verify", caller=current_user)
@merchant_blp.arguments(_TOKEN)
@merchant_blp.response(200, PreviewSchema)
def verify_code(body):
    """Verify (核销) once: the held points are debited; a repeat gets 409 already_redeemed."""
    return verify.preview_view(verify.verify(current_user_id(), body["token"]))


@merchant_blp.route("/redemptions", methods=["GET"])
@merchant_blp.doc(security=BEARER)
@merchant_blp.arguments(MerchantHistoryQuerySchema, location="query")
@merchant_blp.response(200, MerchantRedemptionPageSchema)
def merchant_history(args):
    """The merchant's redemption history, newest first."""
    return merchant_statements.history(
        current_user(),
        args["merchant_id"],
        args["limit"],
        args["cursor"],
        status=args["status"],
        month=args["month"],
    ).as_dict()


@merchant_blp.route("/statement", methods=["GET"])
@merchant_blp.doc(security=BEARER)
@merchant_blp.arguments(StatementQuerySchema, location="query")
@merchant_blp.response(200, StatementSchema)
def merchant_statement(args):
    """Verified redemptions of a month (default: this month), per offer, with totals."""
    return merchant_statements.statement(
        current_user(),
        args["merchant_id"],
        args["month"] or current_month(),
        args["limit"],
        args["cursor"],
    )


@merchant_blp.route("/statement.xlsx", methods=["GET"])
@merchant_blp.doc(security=BEARER, responses=binary_response(XLSX, "月度结算单（xlsx）"))
@merchant_blp.arguments(StatementExportQuerySchema, location="query")
@merchant_blp.response(200)
def merchant_statement_xlsx(args):
    """The monthly statement as an xlsx file, for settling with the community."""
    data, filename = merchant_statements.statement_xlsx(
        current_user(), args["merchant_id"], args["month"] or current_month()
    )
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
