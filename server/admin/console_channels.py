"""群机器人 in the console: the community's group robots (audience, grid, key hint), register
one by pasting its webhook, deactivate one; recent deliveries by status and the dead letters
with 重试 (admins). The same channel and delivery services as the API; keys never shown."""

from flask import g, render_template, request

from server.admin import console_form_input as form
from server.admin.console import bp, console_page, page_args, xlsx_response
from server.admin.console_display import shanghai_time
from server.admin.console_exports import each_item, export_kind, respond
from server.community import service as community
from server.http.errors import BadRequest
from server.http.pagination import MAX_LIMIT
from server.notify import channels, deliveries
from server.notify.channel_models import AUDIENCES, DELIVERY_STATUSES, MAX_CHANNEL_NAME
from server.notify.schemas import ChannelCreateSchema

EXPORT_ROWS = 5000
AUDIENCE_LABELS = {"residents": "居民群", "staff": "工作群"}
STATUS_LABELS = {"pending": "待发送", "sent": "已发送", "dead": "失败"}


def _channels_page(outcome=None):
    limit, cursor = page_args()
    body = render_template(
        "console/channels/index.html",
        page=channels.list_channels(g.console.user, limit, cursor),
        grids=community.list_grids(g.console.community_id, MAX_LIMIT, None).items,
        audiences=AUDIENCE_LABELS,
        args=request.args,
        outcome=outcome,
    )
    return body, outcome.status if outcome else 200


@bp.get("/channels")
@console_page(roles=("admin",))
def channels_page():
    return _channels_page()


@bp.get("/channels/export")
@console_page(roles=("admin",))
def channels_export():
    page = channels.list_channels(g.console.user, EXPORT_ROWS, None)
    rows = [
        (
            c["name"],
            AUDIENCE_LABELS[c["audience"]],
            c["grid"]["name"] if c["grid"] else "全社区",
            c["key_hint"],
            "启用" if c["active"] else "已停用",
            shanghai_time(c["created_at"]),
        )
        for c in page.items
    ]
    return xlsx_response(
        rows, ["群名称", "群类型", "范围", "Key", "状态", "登记时间"], "群机器人.xlsx"
    )


@bp.post("/channels")
@console_page(roles=("admin",))
def channels_register():
    def register():
        data = {
            "key": form.text("key", "Webhook 地址", 300),
            "name": form.text("name", "群名称", MAX_CHANNEL_NAME),
            "grid_id": form.number("grid_id", "网格", required=False),
            "audience": form.choice("audience", "群类型", AUDIENCES),
        }
        body = form.validated(ChannelCreateSchema(), data)
        return channels.register_channel(g.console.user, **body)

    return _channels_page(form.act(register, "群机器人已接入，测试消息已发送到群里"))


@bp.post("/channels/<int:channel_id>/deactivate")
@console_page(roles=("admin",))
def channels_deactivate(channel_id):
    outcome = form.act(
        lambda: channels.deactivate_channel(g.console.user, channel_id), "群机器人已停用"
    )
    return _channels_page(outcome)


def _status_filter() -> str | None:
    status = request.args.get("status") or None
    if status is not None and status not in DELIVERY_STATUSES:
        raise BadRequest("推送状态无效", code="invalid_status")
    return status


def _deliveries_page(outcome=None):
    limit, cursor = page_args()
    page = deliveries.list_deliveries(g.console.user, _status_filter(), limit, cursor)
    body = render_template(
        "console/channels/deliveries.html",
        page=page,
        statuses=STATUS_LABELS,
        args=request.args,
        outcome=outcome,
    )
    return body, outcome.status if outcome else 200


@bp.get("/deliveries")
@console_page(roles=("admin",))
def deliveries_page():
    return _deliveries_page()


DELIVERY_HEADERS = ("序号", "群", "事件", "状态", "尝试次数", "最近错误", "创建时间")


@export_kind("deliveries", "推送记录", DELIVERY_HEADERS, ("admin",))
def _delivery_rows():
    status = _status_filter()
    fetch = lambda limit, cursor: deliveries.list_deliveries(  # noqa: E731
        g.console.user, status, limit, cursor
    )
    for d in each_item(fetch):
        yield (
            d["id"],
            d["channel"]["name"],
            d["event_type"],
            STATUS_LABELS[d["status"]],
            d["attempts"],
            d["last_error"] or "",
            d["created_at"],
        )


@bp.get("/deliveries/export")
@console_page(roles=("admin",))
def deliveries_export():
    return respond(_delivery_rows)


@bp.post("/deliveries/<int:delivery_id>/retry")
@console_page(roles=("admin",))
def deliveries_retry(delivery_id):
    outcome = form.act(
        lambda: deliveries.retry_dead(g.console.user, delivery_id), "已重新排队，稍后发送"
    )
    return _deliveries_page(outcome)
