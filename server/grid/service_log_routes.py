"""HTTP routes for grid service: the catalogue, logs, their review and workers' performance."""

from flask_smorest import Blueprint

import server.grid.service_log_models  # noqa: F401 - the tables, for metadata and Alembic
from server.auth.current import current_user
from server.grid import (
    service_log_items,
    service_log_performance,
    service_log_queue,
    service_log_review,
    service_logs,
)
from server.grid.service_log_schemas import (
    GridWorkerPerformanceMeQuerySchema,
    GridWorkerPerformancePageSchema,
    GridWorkerPerformanceQuerySchema,
    GridWorkerPerformanceSchema,
    ServiceItemCreateSchema,
    ServiceItemPageSchema,
    ServiceItemPatchSchema,
    ServiceItemQuerySchema,
    ServiceItemSchema,
    ServiceLogApproveSchema,
    ServiceLogCreateSchema,
    ServiceLogPageSchema,
    ServiceLogPersonPageSchema,
    ServiceLogQuerySchema,
    ServiceLogRejectSchema,
    ServiceLogResidentQuerySchema,
    ServiceLogSchema,
)
from server.http.idempotency import IDEMPOTENCY_HEADER_DOC, idempotent
from server.http.schemas import BEARER

blp = Blueprint(
    "grid_service_logs", __name__, url_prefix="/api/v1", description="网格服务记录与网格员绩效"
)


def _one(log):
    return service_log_queue.log_views([log])[0]


# --- catalogue ------------------------------------------------------------------------------


@blp.route("/grid/service-items", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(ServiceItemQuerySchema, location="query")
@blp.response(200, ServiceItemPageSchema)
def list_service_items(args):
    """The grid-service items of the caller's community."""
    page = service_log_items.list_items(
        current_user(), args["limit"], args["cursor"], include_inactive=args["include_inactive"]
    )
    return page.as_dict()


@blp.route("/admin/grid/service-items", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(ServiceItemCreateSchema)
@blp.response(201, ServiceItemSchema)
def create_service_item(body):
    """Add a grid-service item with its points and rule (admins; audited)."""
    return service_log_items.item_view(service_log_items.create_item(current_user(), **body))


@blp.route("/admin/grid/service-items/<int:item_id>", methods=["PATCH"])
@blp.doc(security=BEARER)
@blp.arguments(ServiceItemPatchSchema)
@blp.response(200, ServiceItemSchema)
def patch_service_item(body, item_id):
    """Change a grid-service item; logs already recorded keep their points (admins; audited)."""
    item = service_log_items.update_item(current_user(), item_id, body)
    return service_log_items.item_view(item)


# --- logs -----------------------------------------------------------------------------------


@blp.route("/grid/residents", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(ServiceLogResidentQuerySchema, location="query")
@blp.response(200, ServiceLogPersonPageSchema)
def search_residents(args):
    """Residents of the worker's own grid by name: ids and masked names only (grid workers)."""
    page = service_logs.search_residents(
        current_user(), args["q"], args["limit"], args["cursor"], grid_id=args["grid_id"]
    )
    return page.as_dict()


@blp.route("/grid/service-logs", methods=["POST"])
@blp.doc(security=BEARER, parameters=[IDEMPOTENCY_HEADER_DOC])
@idempotent("grid.service_logs", caller=current_user)
@blp.arguments(ServiceLogCreateSchema)
@blp.response(201, ServiceLogSchema)
def record_service(body):
    """Record a service with up to 9 photos; `auto` items are credited at once (grid workers)."""
    return _one(service_logs.record_service(current_user(), **body))


@blp.route("/grid/service-logs", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(ServiceLogQuerySchema, location="query")
@blp.response(200, ServiceLogPageSchema)
def list_service_logs(args):
    """The caller's logs, or with `scope=queue` the community's review queue."""
    limit, cursor, scope = args.pop("limit"), args.pop("cursor"), args.pop("scope")
    page = service_log_queue.list_logs(current_user(), limit, cursor, scope=scope, **args)
    return page.as_dict()


@blp.route("/grid/service-logs/<int:log_id>", methods=["GET"])
@blp.doc(security=BEARER)
@blp.response(200, ServiceLogSchema)
def get_service_log(log_id):
    """One log, for its worker and the community's reviewers and admins."""
    return _one(service_log_queue.get_log(current_user(), log_id))


@blp.route("/grid/service-logs/<int:log_id>/approve", methods=["POST"])
@blp.doc(security=BEARER, parameters=[IDEMPOTENCY_HEADER_DOC])
@idempotent("grid.service_logs.approve", caller=current_user)
@blp.arguments(ServiceLogApproveSchema)
@blp.response(200, ServiceLogSchema)
def approve_service_log(body, log_id):
    """Approve a pending log and credit its worker once (reviewers; never one's own log)."""
    log = service_log_review.decide_log(current_user(), log_id, "approve", body.get("reason"))
    return _one(log)


@blp.route("/grid/service-logs/<int:log_id>/reject", methods=["POST"])
@blp.doc(security=BEARER, parameters=[IDEMPOTENCY_HEADER_DOC])
@idempotent("grid.service_logs.reject", caller=current_user)
@blp.arguments(ServiceLogRejectSchema)
@blp.response(200, ServiceLogSchema)
def reject_service_log(body, log_id):
    """Reject a pending log with a reason (reviewers; never one's own log)."""
    log = service_log_review.decide_log(current_user(), log_id, "reject", body["reason"])
    return _one(log)


# --- performance ----------------------------------------------------------------------------


@blp.route("/grid/performance/me", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(GridWorkerPerformanceMeQuerySchema, location="query")
@blp.response(200, GridWorkerPerformanceSchema)
def my_performance(args):
    """The grid worker's own month: services, hours, kinds, residents reached."""
    return service_log_performance.my_performance(current_user(), args["month"])


@blp.route("/grid/performance", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(GridWorkerPerformanceQuerySchema, location="query")
@blp.response(200, GridWorkerPerformancePageSchema)
def community_performance(args):
    """Grid workers' months in the community, by grid or worker (reviewers, admins)."""
    page = service_log_performance.community_performance(
        current_user(),
        args["limit"],
        args["cursor"],
        args["month"],
        grid_id=args["grid_id"],
        worker_id=args["worker_id"],
    )
    return page.as_dict()
