"""HTTP routes for the point catalogue and point claims (thin: parse, call the service, dump)."""

from flask_smorest import Blueprint

from server.auth.current import current_user
from server.community.acting import ACTING_DOC, acting_actor, acting_allowed
from server.http.idempotency import IDEMPOTENCY_HEADER_DOC, idempotent
from server.http.pagination import PageArgsSchema
from server.http.schemas import BEARER, response_links
from server.points import catalogue, claim_queue, claim_review, claims
from server.points.schemas import (
    PointCategoryCreateSchema,
    PointCategoryPageSchema,
    PointCategorySchema,
    PointClaimApproveSchema,
    PointClaimBatchDecideSchema,
    PointClaimBatchResultsSchema,
    PointClaimCreateSchema,
    PointClaimPageSchema,
    PointClaimQuerySchema,
    PointClaimRejectSchema,
    PointClaimResubmitSchema,
    PointClaimSchema,
    PointItemCreateSchema,
    PointItemPageSchema,
    PointItemPatchSchema,
    PointItemQuerySchema,
    PointItemSchema,
    PointItemVersionCreateSchema,
    PointItemVersionPageSchema,
    PointItemVersionSchema,
)

catalogue_blp = Blueprint(
    "points_catalogue", __name__, url_prefix="/api/v1/points", description="积分项目目录"
)
claims_blp = Blueprint(
    "points_claims", __name__, url_prefix="/api/v1/points", description="积分申报与审核"
)
admin_blp = Blueprint(
    "points_catalogue_admin",
    __name__,
    url_prefix="/api/v1/admin/points",
    description="积分目录管理（管理员）",
)
blueprints = (catalogue_blp, claims_blp, admin_blp)


# --- catalogue ------------------------------------------------------------------------------


@catalogue_blp.route("/categories", methods=["GET"])
@catalogue_blp.doc(security=BEARER)
@catalogue_blp.arguments(PageArgsSchema, location="query")
@catalogue_blp.response(200, PointCategoryPageSchema)
def list_categories(args):
    """The categories of the caller's community."""
    return catalogue.list_categories(current_user(), args["limit"], args["cursor"]).as_dict()


@catalogue_blp.route("/items", methods=["GET"])
@catalogue_blp.doc(
    security=BEARER,
    **response_links(200, Claim=("POST /points/claims", {"item_id": "$response.body#/items/0/id"})),
)
@catalogue_blp.arguments(PointItemQuerySchema, location="query")
@catalogue_blp.response(200, PointItemPageSchema)
def list_items(args):
    """The caller's community catalogue with the points each item is worth today."""
    page = catalogue.list_items(
        current_user(),
        args["limit"],
        args["cursor"],
        category_id=args.get("category_id"),
        include_inactive=args["include_inactive"],
    )
    return page.as_dict()


@admin_blp.route("/categories", methods=["POST"])
@admin_blp.doc(security=BEARER)
@admin_blp.arguments(PointCategoryCreateSchema)
@admin_blp.response(201, PointCategorySchema)
def create_category(body):
    """Add a category to the admin's community (audited)."""
    return catalogue.create_category(current_user(), **body)


@admin_blp.route("/items", methods=["POST"])
@admin_blp.doc(security=BEARER)
@admin_blp.arguments(PointItemCreateSchema)
@admin_blp.response(201, PointItemSchema)
def create_item(body):
    """Add an item with its first value (audited)."""
    return catalogue.item_view(catalogue.create_item(current_user(), **body))


@admin_blp.route("/items/<int:item_id>", methods=["PATCH"])
@admin_blp.doc(security=BEARER)
@admin_blp.arguments(PointItemPatchSchema)
@admin_blp.response(200, PointItemSchema)
def patch_item(body, item_id):
    """Change an item's name, category, caps, account kinds or active flag (audited)."""
    return catalogue.item_view(catalogue.update_item(current_user(), item_id, body))


@admin_blp.route("/items/<int:item_id>/versions", methods=["GET"])
@admin_blp.doc(security=BEARER)
@admin_blp.arguments(PageArgsSchema, location="query")
@admin_blp.response(200, PointItemVersionPageSchema)
def list_versions(args, item_id):
    """The value history of an item, oldest first."""
    page = catalogue.list_versions(current_user(), item_id, args["limit"], args["cursor"])
    return page.as_dict()


@admin_blp.route("/items/<int:item_id>/versions", methods=["POST"])
@admin_blp.doc(security=BEARER)
@admin_blp.arguments(PointItemVersionCreateSchema)
@admin_blp.response(201, PointItemVersionSchema)
def add_version(body, item_id):
    """Give an item a new value from a date on (today or later; audited)."""
    return catalogue.add_version(current_user(), item_id, **body)


# --- claims ---------------------------------------------------------------------------------


@claims_blp.route("/claims", methods=["POST"])
@claims_blp.doc(security=BEARER, parameters=[IDEMPOTENCY_HEADER_DOC], **ACTING_DOC)
@acting_allowed
@idempotent("points.claims", caller=current_user)
@claims_blp.arguments(PointClaimCreateSchema)
@claims_blp.response(201, PointClaimSchema)
def submit_claim(body):
    """Submit a claim with up to 9 photos; flagged texts wait for a reviewer's look."""
    claim = claims.submit_claim(current_user(), **body, acted_by=acting_actor())
    return claim_queue.claim_views([claim])[0]


@claims_blp.route("/claims", methods=["GET"])
@claims_blp.doc(security=BEARER, **ACTING_DOC)
@acting_allowed
@claims_blp.arguments(PointClaimQuerySchema, location="query")
@claims_blp.response(200, PointClaimPageSchema)
def list_claims(args):
    """The caller's claims, or with `scope=queue` the community's review queue."""
    limit, cursor, scope = args.pop("limit"), args.pop("cursor"), args.pop("scope")
    return claim_queue.list_claims(current_user(), limit, cursor, scope=scope, **args).as_dict()


@claims_blp.route("/claims/<int:claim_id>", methods=["GET"])
@claims_blp.doc(security=BEARER)
@claims_blp.response(200, PointClaimSchema)
def get_claim(claim_id):
    """One claim, for its claimant and the community's reviewers."""
    return claim_queue.claim_views([claim_queue.get_claim(current_user(), claim_id)])[0]


@claims_blp.route("/claims/<int:claim_id>/approve", methods=["POST"])
@claims_blp.doc(security=BEARER, parameters=[IDEMPOTENCY_HEADER_DOC])
@idempotent("points.claims.approve", caller=current_user)
@claims_blp.arguments(PointClaimApproveSchema)
@claims_blp.response(200, PointClaimSchema)
def approve_claim(body, claim_id):
    """Approve a claim and credit its points once (reviewers; never one's own claim)."""
    claim = claim_review.decide_claim(current_user(), claim_id, "approve", body.get("reason"))
    return claim_queue.claim_views([claim])[0]


@claims_blp.route("/claims/<int:claim_id>/reject", methods=["POST"])
@claims_blp.doc(security=BEARER, parameters=[IDEMPOTENCY_HEADER_DOC])
@idempotent("points.claims.reject", caller=current_user)
@claims_blp.arguments(PointClaimRejectSchema)
@claims_blp.response(200, PointClaimSchema)
def reject_claim(body, claim_id):
    """Reject a claim with a reason (reviewers; never one's own claim)."""
    claim = claim_review.decide_claim(current_user(), claim_id, "reject", body["reason"])
    return claim_queue.claim_views([claim])[0]


@claims_blp.route("/claims/<int:claim_id>/resubmit", methods=["POST"])
@claims_blp.doc(security=BEARER, parameters=[IDEMPOTENCY_HEADER_DOC], **ACTING_DOC)
@acting_allowed
@idempotent("points.claims.resubmit", caller=current_user)
@claims_blp.arguments(PointClaimResubmitSchema)
@claims_blp.response(201, PointClaimSchema)
def resubmit_claim(body, claim_id):
    """Correct a rejected claim and file it again as a new claim, once (its holder only)."""
    claim = claims.resubmit_claim(current_user(), claim_id, **body, acted_by=acting_actor())
    return claim_queue.claim_views([claim])[0]


@claims_blp.route("/claims/batch-decide", methods=["POST"])
@claims_blp.doc(security=BEARER, parameters=[IDEMPOTENCY_HEADER_DOC])
@idempotent("points.claims.batch_decide", caller=current_user)
@claims_blp.arguments(PointClaimBatchDecideSchema)
@claims_blp.response(200, PointClaimBatchResultsSchema)
def batch_decide(body):
    """Approve or reject up to 50 claims; the result of each is reported by id."""
    results = claim_review.batch_decide(
        current_user(), body["ids"], body["decision"], body.get("reason")
    )
    return {"results": results}
