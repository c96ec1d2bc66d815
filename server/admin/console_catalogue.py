"""积分目录 in the console: categories and items with the value in force, each item's value
history, adding an item or a category and giving an item a new value (admins). The same
catalogue services as the API's admin routes; they audit every change."""

from flask import g, render_template, request

from server.admin import console_form_input as form
from server.admin.console import bp, console_page, page_args, xlsx_response
from server.http.errors import BadRequest
from server.http.pagination import MAX_LIMIT
from server.points import catalogue
from server.points.models import ACCOUNT_KINDS, DIRECTIONS
from server.points.schemas import (
    PointCategoryCreateSchema,
    PointItemCreateSchema,
    PointItemVersionCreateSchema,
)

EXPORT_ROWS = 5000
KIND_LABELS = {
    "person": "居民",
    "party_member": "党员",
    "organisation": "驻区单位",
    "grid_worker": "网格员",
    "merchant": "商家",
}
DIRECTION_LABELS = {"earn": "加分", "deduct": "扣分"}


def _category_filter() -> int | None:
    raw = request.args.get("category_id") or None
    if raw is not None and not raw.isdecimal():
        raise BadRequest("类别参数无效", code="invalid_category")
    return int(raw) if raw else None


def _categories():
    # A community keeps a handful of categories; the first page of the largest size is all.
    return catalogue.list_categories(g.console.user, MAX_LIMIT, None).items


def _page(outcome=None):
    limit, cursor = page_args()
    page = catalogue.list_items(
        g.console.user, limit, cursor, category_id=_category_filter(), include_inactive=True
    )
    body = render_template(
        "console/catalogue/index.html",
        page=page,
        categories=_categories(),
        kinds=KIND_LABELS,
        directions=DIRECTION_LABELS,
        args=request.args,
        outcome=outcome,
    )
    return body, outcome.status if outcome else 200


@bp.get("/catalogue")
@console_page(roles=("admin",))
def catalogue_page():
    return _page()


@bp.get("/catalogue/export")
@console_page(roles=("admin",))
def catalogue_export():
    page = catalogue.list_items(
        g.console.user, EXPORT_ROWS, None, category_id=_category_filter(), include_inactive=True
    )
    rows = [
        (
            item["code"],
            item["name"],
            item["category"]["name"],
            DIRECTION_LABELS[item["direction"]],
            item["points"],
            str(item["effective_from"] or ""),
            item["daily_cap"],
            item["monthly_cap"],
            "启用" if item["active"] else "停用",
        )
        for item in page.items
    ]
    headers = [
        "编码",
        "名称",
        "类别",
        "方向",
        "当前分值",
        "生效日期",
        "每日上限",
        "每月上限",
        "状态",
    ]
    return xlsx_response(rows, headers, "积分目录.xlsx")


def _new_item():
    data = {
        "category_id": form.number("category_id", "类别"),
        "code": form.text("code", "项目编码", 32),
        "name": form.text("name", "项目名称", 64),
        "points": form.number("points", "分值", hi=1000),
        "direction": form.choice("direction", "方向", DIRECTIONS),
        "account_kinds": form.checked("account_kinds") or list(ACCOUNT_KINDS),
        "daily_cap": form.number("daily_cap", "每日上限", required=False, hi=1000),
        "monthly_cap": form.number("monthly_cap", "每月上限", required=False, hi=1000),
        "effective_from": form.text("effective_from", "生效日期", 10, required=False) or None,
    }
    return catalogue.create_item(g.console.user, **form.validated(PointItemCreateSchema(), data))


@bp.post("/catalogue/items")
@console_page(roles=("admin",))
def catalogue_add_item():
    return _page(form.act(_new_item, "积分项目已添加"))


@bp.post("/catalogue/categories")
@console_page(roles=("admin",))
def catalogue_add_category():
    def add():
        data = {
            "code": form.text("code", "类别编码", 32),
            "name": form.text("name", "类别名称", 32),
            "sort_order": form.number("sort_order", "排序", required=False, lo=0, hi=10_000) or 0,
        }
        return catalogue.create_category(
            g.console.user, **form.validated(PointCategoryCreateSchema(), data)
        )

    return _page(form.act(add, "积分类别已添加"))


def _item_page(item_id: int, outcome=None):
    limit, cursor = page_args()
    versions = catalogue.list_versions(g.console.user, item_id, limit, cursor)
    item = catalogue.item_view(catalogue.item_in(g.console.community_id, item_id))
    body = render_template(
        "console/catalogue/item.html",
        item=item,
        versions=versions,
        kinds=KIND_LABELS,
        directions=DIRECTION_LABELS,
        args=request.args,
        outcome=outcome,
    )
    return body, outcome.status if outcome else 200


@bp.get("/catalogue/items/<int:item_id>")
@console_page(roles=("admin",))
def catalogue_item(item_id):
    return _item_page(item_id)


@bp.post("/catalogue/items/<int:item_id>/versions")
@console_page(roles=("admin",))
def catalogue_add_version(item_id):
    def change():
        data = {
            "points": form.number("points", "新分值", hi=1000),
            "effective_from": form.text("effective_from", "生效日期", 10),
        }
        body = form.validated(PointItemVersionCreateSchema(), data)
        return catalogue.add_version(g.console.user, item_id, **body)

    # Another community's item: the page itself is then a 404, as on GET.
    return _item_page(item_id, form.act(change, "分值已调整"))
