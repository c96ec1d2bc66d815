"""公示: the community's notices, one notice with its rows per kind, its poster, PDF and xlsx,
publishing a finished period and correcting a notice. Thin: server/notices decides (members
read, admins publish and correct; another community's notice is not found)."""

from flask import g, make_response, render_template, request, url_for

from server.admin.console import bp, console_page, page_args, xlsx_response
from server.admin.console_display import local_minute
from server.admin.console_form_input import attempt, choice_arg, load_form
from server.notices import corrections, queries, snapshot
from server.notices.models import PERIOD_TYPES
from server.notices.notice_print import notice_pdf, notice_poster
from server.notices.notice_xlsx import notice_xlsx
from server.notices.schemas import NoticeCorrectionSchema, NoticePublishSchema

ROLES = ("admin", "reviewer")
TYPE_LABELS = {"month": "月度", "quarter": "季度", "year": "年度"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_ROWS = 5000


def _row(notice: dict) -> dict:
    return {
        **notice,
        "type_label": TYPE_LABELS[notice["period_type"]],
        "published": local_minute(notice["published_at"]),
        "state": "已更正" if notice["corrected"] else ("更正" if notice["correction_of"] else "—"),
    }


@bp.get("/notices")
@console_page(roles=ROLES)
def notices():
    limit, cursor = page_args()
    period_type = choice_arg("period_type", PERIOD_TYPES)
    page = queries.list_notices(g.console.user, period_type, limit, cursor)
    page.items = [_row(n) for n in page.items]
    return render_template(
        "console/notices/list.html", page=page, args=request.args, types=TYPE_LABELS
    )


@bp.get("/notices/export")
@console_page(roles=ROLES)
def notices_export():
    period_type = choice_arg("period_type", PERIOD_TYPES)
    # Bounded by time: a community publishes about 17 notices a year.
    rows = [
        _row(n) for n in queries.list_notices(g.console.user, period_type, EXPORT_ROWS, None).items
    ]
    return xlsx_response(
        [(r["id"], r["title"], r["period_label"], r["type_label"], r["published"], r["state"])
         for r in rows],
        ["编号", "标题", "周期", "类型", "发布时间", "更正"],
        "积分公示.xlsx",
    )  # fmt: skip


@bp.post("/notices")
@console_page(roles=("admin",))
def notice_publish():
    user = g.console.user
    notice, error = attempt(
        lambda: snapshot.publish_notice(
            user, load_form(NoticePublishSchema(), {"period": request.form.get("period")})["period"]
        )
    )
    if error:
        limit, cursor = page_args()
        page = queries.list_notices(user, None, limit, cursor)
        page.items = [_row(n) for n in page.items]
        body = render_template(
            "console/notices/list.html", page=page, args={}, types=TYPE_LABELS, error=error
        )
        return body, error.status
    return _detail(notice.id, f"已发布：{notice.title}")


def _detail(notice_id: int, message: str | None = None, error=None, status: int = 200):
    notice = queries.notice_detail(g.console.user, notice_id)
    body = render_template(
        "console/notices/detail.html",
        notice=_row(notice),
        message=message,
        error=error,
        kind=choice_arg("kind", queries.KIND_LABELS) or "person",
    )
    return body, status


@bp.get("/notices/<int:notice_id>")
@console_page(roles=ROLES)
def notice_detail(notice_id):
    return _detail(notice_id)


@bp.post("/notices/<int:notice_id>/corrections")
@console_page(roles=("admin",))
def notice_correct(notice_id):
    user = g.console.user
    correction, error = attempt(
        lambda: corrections.correct_notice(
            user,
            notice_id,
            load_form(NoticeCorrectionSchema(), {"reason": request.form.get("reason")})["reason"],
        )
    )
    if error:
        return _detail(notice_id, error=error, status=error.status)
    return _detail(correction.id, f"已发布更正：{correction.title}")


def _file(data: bytes, mimetype: str, filename: str, inline: bool = False):
    response = make_response(data)
    response.headers["Content-Type"] = mimetype
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


@bp.get("/notices/<int:notice_id>/poster.jpg")
@console_page(roles=ROLES)
def notice_poster_image(notice_id):
    kind = choice_arg("kind", queries.KIND_LABELS) or "person"
    data = notice_poster(g.console.user, notice_id, kind)
    return _file(data, "image/jpeg", f"notice-{notice_id}-{kind}.jpg", inline=True)


@bp.get("/notices/<int:notice_id>/pdf")
@console_page(roles=ROLES)
def notice_pdf_file(notice_id):
    public_url = url_for("display.public_notice", notice_id=notice_id, _external=True)
    data, filename = notice_pdf(g.console.user, notice_id, public_url)
    return _file(data, "application/pdf", filename)


@bp.get("/notices/<int:notice_id>/xlsx")
@console_page(roles=ROLES)
def notice_xlsx_file(notice_id):
    data, filename = notice_xlsx(g.console.user, notice_id)
    return _file(data, XLSX, filename)
