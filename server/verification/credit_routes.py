"""HTTP: a holder's credit references (thin: parse, call, dump)."""

from flask import url_for
from flask_smorest import Blueprint

from server.auth.current import current_user
from server.http.schemas import BEARER
from server.verification import credit_references as credit
from server.verification.credit_schemas import (
    CreditReferenceCreateSchema,
    CreditReferenceIssuedSchema,
    CreditReferencePageSchema,
    CreditReferenceQuerySchema,
    CreditReferenceSchema,
)

blp = Blueprint(
    "credit_references",
    __name__,
    url_prefix="/api/v1/me/credit-references",
    description="信用证明：出具、查看核验记录、撤销",
)


@blp.route("", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(CreditReferenceCreateSchema)
@blp.response(201, CreditReferenceIssuedSchema)
def issue(body):
    """Issue a credit reference for my account (or my organisation's or shop's); the check
    code is in this response only. Not idempotent by key: a replay would have to store the
    code, which is kept only as a digest; issuing twice gives two references."""
    reference, code = credit.issue_credit_reference(
        current_user(),
        valid_days=body["valid_days"],
        organisation_id=body.get("organisation_id"),
        merchant_id=body.get("merchant_id"),
    )
    return {
        **credit.viewed(reference),
        "check_code": code,
        "check_url": url_for("verification.form", _external=True),
    }


@blp.route("", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(CreditReferenceQuerySchema, location="query")
@blp.response(200, CreditReferencePageSchema)
def list_references(args):
    """My credit references, newest first, each with its checks; never a check code."""
    page = credit.list_credit_references(
        current_user(),
        args["limit"],
        args["cursor"],
        args.get("organisation_id"),
        args.get("merchant_id"),
    )
    return page.as_dict()


@blp.route("/<int:reference_id>/revoke", methods=["POST"])
@blp.doc(security=BEARER)
@blp.response(200, CreditReferenceSchema)
def revoke(reference_id):
    """Revoke a reference at once; every later check is refused. Repeating it changes nothing."""
    return credit.viewed(credit.revoke_credit_reference(current_user(), reference_id))
