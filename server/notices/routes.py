"""HTTP routes: notices for members, publishing and correcting for admins (thin)."""

from flask import Response, url_for
from flask_smorest import Blueprint

from server.auth.current import current_user
from server.http.schemas import BEARER
from server.notices import corrections, queries, snapshot
from server.notices.notice_print import notice_pdf
from server.notices.notice_xlsx import notice_xlsx
from server.notices.schemas import (
    NoticeCorrectionSchema,
    NoticeDetailQuerySchema,
    NoticeDetailSchema,
    NoticePageSchema,
    NoticePublishSchema,
    NoticeQuerySchema,
)
from server.rewards.schemas import binary_response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"

blp = Blueprint("notices", __name__, url_prefix="/api/v1/notices", description="积分公示")
admin_blp = Blueprint(
    "notices_admin", __name__, url_prefix="/api/v1/admin/notices", description="积分公示（管理员）"
)


@blp.route("", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(NoticeQuerySchema, location="query")
@blp.response(200, NoticePageSchema)
def list_notices(args):
    """The community's published notices, newest first."""
    return queries.list_notices(
        current_user(), args["period_type"], args["limit"], args["cursor"]
    ).as_dict()


@blp.route("/<int:notice_id>", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(NoticeDetailQuerySchema, location="query")
@blp.response(200, NoticeDetailSchema)
def get_notice(args, notice_id):
    """One notice: the ranks of every kind, stars of a yearly notice, correction links."""
    return queries.notice_detail(current_user(), notice_id, args["limit"])


@blp.route("/<int:notice_id>/xlsx", methods=["GET"])
@blp.doc(security=BEARER, responses=binary_response(XLSX, "公示（xlsx）"))
@blp.response(200)
def get_notice_xlsx(notice_id):
    """The notice as an xlsx workbook, one sheet per kind."""
    data, filename = notice_xlsx(current_user(), notice_id)
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/<int:notice_id>/pdf", methods=["GET"])
@blp.doc(security=BEARER, responses=binary_response(PDF, "公示栏用的 A4 PDF"))
@blp.response(200)
def get_notice_pdf(notice_id):
    """The notice as one A4 page for the notice board, with a QR code to its public page."""
    public_url = url_for("display.public_notice", notice_id=notice_id, _external=True)
    data, filename = notice_pdf(current_user(), notice_id, public_url)
    response = Response(data, mimetype=PDF)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@admin_blp.route("", methods=["POST"])
@admin_blp.doc(security=BEARER)
@admin_blp.arguments(NoticePublishSchema)
@admin_blp.response(200, NoticeDetailSchema)
def publish_notice(body):
    """Publish a finished period now; the notice already published if there is one."""
    notice = snapshot.publish_notice(current_user(), body["period"])
    return queries.detail_view(notice, 10)


@admin_blp.route("/<int:notice_id>/corrections", methods=["POST"])
@admin_blp.doc(security=BEARER)
@admin_blp.arguments(NoticeCorrectionSchema)
@admin_blp.response(201, NoticeDetailSchema)
def correct_notice(body, notice_id):
    """Publish a correction: a new snapshot of the period that refers to this notice."""
    notice = corrections.correct_notice(current_user(), notice_id, body["reason"])
    return queries.detail_view(notice, 10)
