"""HTTP routes of 随手拍 reports (thin: parse, call one service function, dump)."""

from flask_smorest import Blueprint

from server.auth.current import current_user
from server.grid import (
    report_categories,
    report_closure,
    report_handling,
    report_models,  # noqa: F401 - the tables, for metadata
    report_queue,
    reports,
)
from server.grid.report_schemas import (
    ConfirmSchema,
    DuplicateSchema,
    GridStatsSchema,
    ReasonSchema,
    ReportCategoryCreateSchema,
    ReportCategoryPageSchema,
    ReportCategoryPatchSchema,
    ReportCategoryQuerySchema,
    ReportCategorySchema,
    ReportCreateSchema,
    ReportPageSchema,
    ReportQuerySchema,
    ReportSchema,
    ReportSettingsSchema,
    ResolveSchema,
    ResumeSchema,
    TransferSchema,
)
from server.http.idempotency import IDEMPOTENCY_HEADER_DOC, idempotent
from server.http.pagination import PageArgsSchema
from server.http.schemas import BEARER

blp = Blueprint(
    "grid_reports", __name__, url_prefix="/api/v1/grid", description="随手拍问题上报与处置"
)
admin_blp = Blueprint(
    "grid_reports_admin",
    __name__,
    url_prefix="/api/v1/admin/grid",
    description="随手拍设置（管理员）",
)
blueprints = (blp, admin_blp)


def _one(report):
    return report_queue.report_views(current_user(), [report])[0]


# --- categories and settings ----------------------------------------------------------------


@blp.route("/report-categories", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(ReportCategoryQuerySchema, location="query")
@blp.response(200, ReportCategoryPageSchema)
def list_categories(args):
    """The problem categories of the caller's community."""
    return report_categories.list_categories(
        current_user(), args["limit"], args["cursor"], args["include_inactive"]
    ).as_dict()


@admin_blp.route("/report-categories", methods=["POST"])
@admin_blp.doc(security=BEARER)
@admin_blp.arguments(ReportCategoryCreateSchema)
@admin_blp.response(201, ReportCategorySchema)
def create_category(body):
    """Add a category with its photo rule and working-day SLAs (audited)."""
    return report_categories.create_category(current_user(), **body)


@admin_blp.route("/report-categories/<int:category_id>", methods=["PATCH"])
@admin_blp.doc(security=BEARER)
@admin_blp.arguments(ReportCategoryPatchSchema)
@admin_blp.response(200, ReportCategorySchema)
def patch_category(body, category_id):
    """Change a category; reports already posted keep their SLA (audited)."""
    return report_categories.update_category(current_user(), category_id, body)


@admin_blp.route("/report-settings", methods=["GET"])
@admin_blp.doc(security=BEARER)
@admin_blp.response(200, ReportSettingsSchema)
def get_settings():
    """The points a validated report earns its reporter."""
    return report_categories.get_settings(current_user())


@admin_blp.route("/report-settings", methods=["PUT"])
@admin_blp.doc(security=BEARER)
@admin_blp.arguments(ReportSettingsSchema)
@admin_blp.response(200, ReportSettingsSchema)
def put_settings(body):
    """Set the points a validated report earns its reporter (audited)."""
    return report_categories.update_settings(current_user(), **body)


# --- reports --------------------------------------------------------------------------------


@blp.route("/reports", methods=["POST"])
@blp.doc(security=BEARER, parameters=[IDEMPOTENCY_HEADER_DOC])
@idempotent("grid.reports", caller=current_user)
@blp.arguments(ReportCreateSchema)
@blp.response(201, ReportSchema)
def submit_report(body):
    """Post a problem with up to 9 photos; flagged texts wait for a reviewer."""
    return _one(reports.submit_report(current_user(), **body))


@blp.route("/reports", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, ReportPageSchema)
def list_reports(args):
    """My reports, my grid's queue (`scope=grid`) or the community's (`scope=community`)."""
    limit, cursor, scope = args.pop("limit"), args.pop("cursor"), args.pop("scope")
    return report_queue.list_reports(current_user(), limit, cursor, scope=scope, **args).as_dict()


@blp.route("/reports/stats", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, GridStatsSchema)
def grid_stats(args):
    """Open and overdue reports per grid and in the community queue (reviewers, admins)."""
    return report_queue.grid_stats(current_user(), args["limit"], args["cursor"])


@blp.route("/reports/<int:report_id>", methods=["GET"])
@blp.doc(security=BEARER)
@blp.response(200, ReportSchema)
def get_report(report_id):
    """One report, for its reporter and its handlers."""
    return _one(report_queue.visible_report(current_user(), report_id))


def _step(name, schema, call, idempotency_scope=None):
    """A POST /reports/<id>/<name> route calling `call(user, report_id, **body)`, documented
    with the service function's own docstring."""

    def view(*args, report_id):
        body = args[0] if args else {}
        return _one(call(current_user(), report_id, **body))

    view.__name__ = f"report_{name}"
    view.__doc__ = call.__doc__
    view = blp.response(200, ReportSchema)(view)
    if schema is not None:
        view = blp.arguments(schema)(view)
    parameters = []
    if idempotency_scope:
        view = idempotent(idempotency_scope, caller=current_user)(view)
        parameters = [IDEMPOTENCY_HEADER_DOC]
    view = blp.doc(security=BEARER, parameters=parameters)(view)
    blp.route(f"/reports/<int:report_id>/{name}", methods=["POST"])(view)


_step("release", None, reports.release_report)
_step("reject", ReasonSchema, reports.reject_report)
_step("accept", None, report_handling.accept_report, "grid.reports.accept")
_step("wait", ReasonSchema, report_handling.wait_for_reporter)
_step("resume", ResumeSchema, report_handling.resume_report)
_step("resolve", ResolveSchema, report_handling.resolve_report)
_step("transfer", TransferSchema, report_handling.transfer_report)
_step("escalate", ReasonSchema, report_handling.escalate_report)
_step("duplicate", DuplicateSchema, report_handling.mark_duplicate)
_step("confirm", ConfirmSchema, report_closure.confirm_report)
_step("reopen", ReasonSchema, report_closure.reopen_report)
