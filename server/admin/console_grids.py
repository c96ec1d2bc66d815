"""网格 (grids) in the console: the community's grids, add one, rename one (admins)."""

from flask import g, render_template, request

from server.admin import console_form_input as form
from server.admin.console import bp, console_page, page_args, xlsx_response
from server.community import grids, service
from server.community.setup import NAME_MAX

EXPORT_ROWS = 5000


def _page(outcome=None):
    limit, cursor = page_args()
    page = service.list_grids(g.console.community_id, limit, cursor)
    body = render_template(
        "console/grids/index.html", page=page, args=request.args, outcome=outcome
    )
    return body, outcome.status if outcome else 200


@bp.get("/grids")
@console_page(roles=("admin",))
def grids_page():
    return _page()


@bp.get("/grids/export")
@console_page(roles=("admin",))
def grids_export():
    page = service.list_grids(g.console.community_id, EXPORT_ROWS, None)
    rows = [(grid.id, grid.code, grid.name) for grid in page.items]
    return xlsx_response(rows, ["序号", "网格编码", "网格名称"], "网格.xlsx")


@bp.post("/grids")
@console_page(roles=("admin",))
def grids_add():
    outcome = form.act(
        lambda: grids.add_grid(
            g.console.user,
            g.console.community_id,
            code=form.text("code", "网格编码", 32),
            name=form.text("name", "网格名称", NAME_MAX),
        ),
        "网格已添加",
    )
    return _page(outcome)


@bp.post("/grids/<int:grid_id>/rename")
@console_page(roles=("admin",))
def grids_rename(grid_id):
    outcome = form.act(
        lambda: grids.rename_grid(
            g.console.user, g.console.community_id, grid_id, form.text("name", "网格名称", NAME_MAX)
        ),
        "网格已改名",
    )
    return _page(outcome)
