"""商家 in the console: the merchants a staff member manages (admins: the community's; merchant
staff: their own shops), one merchant's offers, staff and monthly statement with its xlsx,
approving or suspending a merchant and changing an offer's stock or shelf state. Thin: the
rewards services decide who may do what."""

import marshmallow as ma
from flask import g, make_response, render_template, request

from server.admin import console_form_input as form
from server.admin.console import bp, console_page, page_args, xlsx_response
from server.admin.console_display import local_minute
from server.community.models import MERCHANT_KINDS, MERCHANT_STATUSES
from server.http.errors import BadRequest
from server.http.pagination import MAX_LIMIT
from server.rewards import merchant_queries, merchant_statements, merchants, offers
from server.rewards.periods import current_month
from server.rewards.schemas import MAX_POINTS, MONTH, OfferPatchSchema

ROLES = ("admin", "merchant_staff")
EXPORT_ROWS = 5000
KIND_LABELS = {"partner": "商居联盟", "supermarket": "积分超市"}
STATUS_LABELS = {"pending": "待审核", "approved": "已通过", "suspended": "已暂停"}
PERIOD_LABELS = {"month": "每月", "quarter": "每季度"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters() -> dict:
    return {
        "status": form.choice_arg("status", MERCHANT_STATUSES),
        "kind": form.choice_arg("kind", MERCHANT_KINDS),
        "name": (request.args.get("q") or "").strip()[: merchant_queries.MAX_NAME_FILTER] or None,
    }


def _row(merchant) -> dict:
    return {
        **merchants.merchant_view(merchant),
        "kind_label": KIND_LABELS[merchant.kind],
        "status_label": STATUS_LABELS[merchant.status],
        "created": local_minute(merchant.created_at),
    }


def _managed(limit: int, cursor: str | None):
    console = g.console
    return merchant_queries.list_managed_merchants(
        console.user, console.community_id, limit, cursor, **_filters()
    )


@bp.get("/merchants")
@console_page(roles=ROLES)
def merchants_page():
    limit, cursor = page_args()
    page = _managed(limit, cursor)
    page.items = [_row(m) for m in page.items]
    return render_template(
        "console/merchants/list.html",
        page=page,
        args=request.args,
        kinds=KIND_LABELS,
        statuses=STATUS_LABELS,
    )


@bp.get("/merchants/export")
@console_page(roles=ROLES)
def merchants_export():
    rows = [_row(m) for m in _managed(EXPORT_ROWS, None).items]
    return xlsx_response(
        [(r["id"], r["name"], r["kind_label"], r["status_label"], r["address"], r["created"])
         for r in rows],
        ["编号", "商家名称", "类型", "状态", "地址", "登记时间"],
        "商家.xlsx",
    )  # fmt: skip


def _month() -> str:
    month = request.args.get("month") or current_month()
    try:
        MONTH(month)
    except ma.ValidationError:
        raise BadRequest("月份格式应为 YYYY-MM", code="invalid_month") from None
    return month


def _offer_row(offer: dict) -> dict:
    limit = offer["limit_per_person"]
    return {
        **offer,
        "limit_label": f"{PERIOD_LABELS[offer['limit_period']]} {limit} 次" if limit else "不限",
        "valid_label": " 至 ".join(
            str(day) if day else "不限" for day in (offer["valid_from"], offer["valid_until"])
        )
        if offer["valid_from"] or offer["valid_until"]
        else "长期",
    }


def _detail(merchant_id: int, outcome=None):
    user = g.console.user
    merchant = merchant_queries.managed_merchant(user, merchant_id)
    limit, cursor = page_args()
    offer_page = offers.list_offers(
        user, limit, cursor, merchant_id=merchant.id, include_inactive=True
    )
    offer_page.items = [_offer_row(offers.offer_view(o)) for o in offer_page.items]
    month = _month()
    body = render_template(
        "console/merchants/detail.html",
        merchant=_row(merchant),
        offers=offer_page,
        staff=merchant_queries.list_merchant_staff(user, merchant.id, MAX_LIMIT, None),
        month=month,
        statement=merchant_statements.statement(user, merchant.id, month, MAX_LIMIT, None),
        args=request.args,
        outcome=outcome,
    )
    return body, outcome.status if outcome else 200


@bp.get("/merchants/<int:merchant_id>")
@console_page(roles=ROLES)
def merchant_detail(merchant_id):
    return _detail(merchant_id)


@bp.get("/merchants/<int:merchant_id>/statement.xlsx")
@console_page(roles=ROLES)
def merchant_statement_xlsx(merchant_id):
    merchant = merchant_queries.managed_merchant(g.console.user, merchant_id)
    data, filename = merchant_statements.statement_xlsx(g.console.user, merchant.id, _month())
    response = make_response(data)
    response.headers["Content-Type"] = XLSX
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _set_status(merchant_id: int, status: str, done: str):
    merchant_queries.managed_merchant(g.console.user, merchant_id)  # another's: 404
    outcome = form.act(
        lambda: merchants.set_merchant_status(g.console.user, merchant_id, status), done
    )
    return _detail(merchant_id, outcome)


@bp.post("/merchants/<int:merchant_id>/approve")
@console_page(roles=("admin",))
def merchant_approve(merchant_id):
    return _set_status(merchant_id, "approved", "商家已通过审核")


@bp.post("/merchants/<int:merchant_id>/suspend")
@console_page(roles=("admin",))
def merchant_suspend(merchant_id):
    return _set_status(merchant_id, "suspended", "商家已暂停，其商品不再展示")


def _offer_changes() -> dict:
    """The offer form: 上架 / 下架 (`active`) or a signed stock change (`add_stock`)."""
    if "active" in request.form:
        return {"active": form.choice("active", "上架状态", ("1", "0")) == "1"}
    raw = (request.form.get("add_stock") or "").strip()
    try:
        change = int(raw)
    except ValueError:
        raise form.FormInvalid("库存增减应为整数", details={"field": "add_stock"}) from None
    if change == 0 or abs(change) > MAX_POINTS:
        raise form.FormInvalid("库存增减应为非零整数", details={"field": "add_stock"})
    return {"add_stock": change}


@bp.post("/merchants/<int:merchant_id>/offers/<int:offer_id>")
@console_page(roles=ROLES)
def merchant_offer_change(merchant_id, offer_id):
    offer = merchant_queries.managed_offer(g.console.user, merchant_id, offer_id)

    def change():
        body = form.validated(OfferPatchSchema(), _offer_changes())
        return offers.update_offer(g.console.user, offer.id, body)

    return _detail(merchant_id, form.act(change, f"已更新商品：{offer.title}"))
