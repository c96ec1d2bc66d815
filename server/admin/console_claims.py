"""积分审核: the community's claim queue with photos, bulk and single decisions, and its export.
Thin: claim_queue lists and shows, claim_review decides (the functions the API calls)."""

import io

from flask import g, render_template, request, send_file

from server.admin.console import bp, console_page, page_args
from server.admin.console_exports import each_item, export_kind, respond
from server.admin.console_form_input import day_arg
from server.http.errors import AppError, BadRequest
from server.points import catalogue, claim_queue, claim_review
from server.points.claim_models import CLAIM_STATUSES
from server.points.schemas import MAX_BATCH
from server.uploads import service as uploads

REVIEWERS = ("admin", "reviewer")
STATUS_LABELS = {
    "pending": "待审核",
    "flagged": "待人工复核",
    "approved": "已通过",
    "rejected": "已驳回",
}
REASON_MAX = 200
NAME_MAX = 50
CLAIM_HEADERS = ("编号", "申报人", "单位", "分类", "积分项目", "发生日期", "积分", "状态",
                 "说明", "提交时间", "审核人", "审核意见")  # fmt: skip


def _int(name: str) -> int | None:
    raw = request.args.get(name) or None
    if raw is None:
        return None
    if not raw.isdecimal() or len(raw) > 15:
        raise BadRequest("参数无效", code=f"invalid_{name}")
    return int(raw)


def _filters() -> dict:
    """The queue's filters from the query string (GET and the bulk form's action alike)."""
    status = request.args.get("status") or None
    if status is not None and status not in CLAIM_STATUSES:
        raise BadRequest("状态无效", code="invalid_status")
    name = (request.args.get("name") or "").strip()
    if len(name) > NAME_MAX:
        raise BadRequest(f"申报人姓名不能超过 {NAME_MAX} 个字", code="invalid_name")
    filters = {
        "status": status,
        "item_id": _int("item_id"),
        "date_from": day_arg("from"),
        "date_to": day_arg("to"),
        "claimant_name": name or None,
    }
    if filters["date_from"] and filters["date_to"] and filters["date_from"] > filters["date_to"]:
        raise BadRequest("开始日期不能晚于结束日期", code="invalid_date_range")
    return filters


def _queue_page(results=None, message=None, kind="ok"):
    limit, cursor = page_args()
    page = claim_queue.list_claims(g.console.user, limit, cursor, scope="queue", **_filters())
    items = catalogue.list_items(g.console.user, 100, None).items
    return render_template(
        "console/claims/list.html",
        page=page,
        args=request.args,
        items=items,
        labels=STATUS_LABELS,
        results=results,
        message=message,
        kind=kind,
        max_batch=MAX_BATCH,
    )


@bp.get("/claims")
@console_page(roles=REVIEWERS)
def claims():
    return _queue_page()


def _ids() -> list[int]:
    raw = request.form.getlist("ids")
    if not raw:
        raise BadRequest("请先勾选申报", code="no_claims_selected")
    if len(raw) > MAX_BATCH:
        raise BadRequest(f"一次最多处理 {MAX_BATCH} 条", code="too_many_claims")
    if not all(value.isdecimal() and len(value) <= 15 for value in raw):
        raise BadRequest("申报编号无效", code="invalid_claim_id")
    return [int(value) for value in raw]


def _decision() -> tuple[str, str | None]:
    decision = request.form.get("decision")
    if decision not in ("approve", "reject"):
        raise BadRequest("请选择通过或驳回", code="invalid_decision")
    reason = (request.form.get("reason") or "").strip() or None
    if reason and len(reason) > REASON_MAX:
        raise BadRequest(f"原因不能超过 {REASON_MAX} 个字", code="reason_too_long")
    return decision, reason


@bp.post("/claims/decide")
@console_page(roles=REVIEWERS)
def claims_decide():
    """批量通过 / 批量驳回: one service call per claim, each claim's own result shown."""
    try:
        decision, reason = _decision()
        results = claim_review.batch_decide(g.console.user, _ids(), decision, reason)
    except AppError as error:
        return _queue_page(message=error.message, kind="error"), error.status
    done = sum(1 for r in results if r["ok"])
    verb = "通过" if decision == "approve" else "驳回"
    message = f"已{verb} {done} 条，未处理 {len(results) - done} 条"
    return _queue_page(results=results, message=message, kind="ok" if done else "error")


def _detail(claim, message=None, kind="ok", status=200):
    view = claim_queue.claim_views([claim])[0]
    body = render_template(
        "console/claims/detail.html", claim=view, labels=STATUS_LABELS, message=message, kind=kind
    )
    return body, status


@bp.get("/claims/<int:claim_id>")
@console_page(roles=REVIEWERS)
def claim_detail(claim_id):
    return _detail(claim_queue.get_claim(g.console.user, claim_id))


@bp.post("/claims/<int:claim_id>/decide")
@console_page(roles=REVIEWERS)
def claim_decide(claim_id):
    """通过 / 驳回 one claim from its detail view (the API's decide_claim)."""
    claim = claim_queue.get_claim(g.console.user, claim_id)  # another community's: 404
    try:
        decision, reason = _decision()
        claim = claim_review.decide_claim(g.console.user, claim_id, decision, reason)
    except AppError as error:
        return _detail(claim_queue.get_claim(g.console.user, claim.id), error.message, "error",
                       error.status)  # fmt: skip
    return _detail(claim, "已通过" if decision == "approve" else "已驳回")


@bp.get("/claims/photos/<int:upload_id>")
@console_page(roles=REVIEWERS)
def claim_photo(upload_id):
    """A claim's photo for the reviewer (the uploads service decides who may see it)."""
    upload = uploads.viewable_upload(g.console.user, upload_id)
    fresh = request.if_none_match.contains(upload.sha256)
    stream = io.BytesIO() if fresh else uploads.open_stored(upload)
    response = send_file(stream, mimetype=upload.content_type, etag=upload.sha256)
    response.headers["Content-Disposition"] = "inline"
    return response


@export_kind("claims", "积分申报", CLAIM_HEADERS, REVIEWERS)
def _claim_rows():
    filters = _filters()
    fetch = lambda limit, cursor: claim_queue.list_claims(  # noqa: E731
        g.console.user, limit, cursor, scope="queue", **filters
    )
    for c in each_item(fetch):
        yield [
            c["id"],
            c["claimant"]["name"],
            c["organisation"]["name"] if c["organisation"] else "",
            c["item"]["category_name"],
            c["item"]["name"],
            c["occurred_on"],
            c["points"],
            STATUS_LABELS[c["status"]],
            c["description"],
            c["created_at"],
            c["decided_by"]["name"] if c["decided_by"] else "",
            c["decision_reason"] or "",
        ]


@bp.get("/claims/export")
@console_page(roles=REVIEWERS)
def claims_export():
    return respond(_claim_rows)
