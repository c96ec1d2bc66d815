"""HTTP routes of a resident's data rights: export (JSON, xlsx) and account deletion."""

from flask import Response
from flask_smorest import Blueprint

from server.auth.current import current_user, current_user_id
from server.http.rate_limits import rate_limited
from server.http.schemas import BEARER
from server.privacy import deletion, export, export_files
from server.privacy.schemas import DataExportSchema, DeleteAccountSchema, DeletionResultSchema
from server.rewards.schemas import binary_response

blp = Blueprint("privacy", __name__, url_prefix="/api/v1", description="个人数据导出与注销账号")

# An export reads every domain for one person: a few a minute is plenty for a human.
EXPORT_LIMIT = "5 per 10 minutes"


def _caller_key() -> str:
    return str(current_user_id())


def _export_limit() -> str:
    return EXPORT_LIMIT


@blp.route("/me/data-export", methods=["GET"])
@rate_limited("data_export", _export_limit, _caller_key)
@blp.doc(security=BEARER)
@blp.response(200, DataExportSchema)
def data_export():
    """All of the caller's own data, one section per kind of record (others' names masked)."""
    return export.collect(current_user())


@blp.route("/me/data-export.xlsx", methods=["GET"])
@rate_limited("data_export", _export_limit, _caller_key)
@blp.doc(security=BEARER, responses=binary_response(export_files.XLSX, "我的数据（xlsx）"))
@blp.response(200)
def data_export_xlsx():
    """The same export as an xlsx workbook, one sheet per section."""
    data, filename = export_files.export_xlsx(current_user())
    response = Response(data, mimetype=export_files.XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/me/delete", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(DeleteAccountSchema)
@blp.response(200, DeletionResultSchema)
def delete_me(body):
    """Delete the caller's account (confirm with 注销账号); the token stops working at once."""
    return vars(deletion.delete_account(current_user()))
