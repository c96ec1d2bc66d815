"""The console's sidebar, in one place: a page adds itself with one `nav_link(...)` line below.
Only links whose endpoint exists and whose roles the user holds are shown."""

from dataclasses import dataclass

from flask import current_app, url_for

# RuoYi-like sections, in sidebar order.
SECTIONS = (
    "工作台", "积分审核", "社区设置", "任务", "商家", "问题与心愿", "公示", "日志", "定时任务",
)  # fmt: skip


@dataclass(frozen=True)
class NavLink:
    section: str
    label: str
    endpoint: str
    roles: tuple[str, ...]  # empty: every console user


NAV: list[NavLink] = []


def nav_link(section: str, label: str, endpoint: str, roles: tuple[str, ...] = ()) -> None:
    if section not in SECTIONS:
        raise ValueError(f"unknown console section {section!r}; add it to SECTIONS")
    NAV.append(NavLink(section, label, endpoint, tuple(roles)))


def sidebar(roles: tuple[str, ...]) -> list[tuple[str, list[dict]]]:
    """[(section, [{label, url, endpoint}])] for the user's roles, sections in order."""
    endpoints = current_app.view_functions
    shown = [
        link
        for link in NAV
        if link.endpoint in endpoints and (not link.roles or set(link.roles) & set(roles))
    ]
    return [
        (section, [
            {"label": link.label, "url": url_for(link.endpoint), "endpoint": link.endpoint}
            for link in shown if link.section == section
        ])
        for section in SECTIONS
        if any(link.section == section for link in shown)
    ]  # fmt: skip


# The registry: one line per page.
nav_link("工作台", "工作台", "console.home")
# 积分审核 (console_claims.py)
nav_link("积分审核", "申报审核", "console.claims", roles=("admin", "reviewer"))
nav_link("日志", "登录日志", "console.login_log", roles=("admin",))

# 任务, 商家, 问题与心愿, 公示
nav_link("任务", "志愿任务", "console.tasks", roles=("admin", "reviewer", "grid_worker"))
nav_link("问题与心愿", "随手拍问题", "console.reports", roles=("admin", "reviewer", "grid_worker"))
nav_link("问题与心愿", "心愿审核", "console.wishes_queue", roles=("admin", "reviewer"))
nav_link("公示", "积分公示", "console.notices", roles=("admin", "reviewer"))

# 社区设置, 群机器人, 操作日志, 定时任务
nav_link("社区设置", "网格", "console.grids_page", roles=("admin",))
nav_link("社区设置", "积分目录", "console.catalogue_page", roles=("admin",))
nav_link("社区设置", "群机器人", "console.channels_page", roles=("admin",))
nav_link("日志", "推送记录", "console.deliveries_page", roles=("admin",))
nav_link("社区设置", "成员与角色", "console.members_page", roles=("admin",))
nav_link("日志", "操作日志", "console.audit_log", roles=("admin", "reviewer"))
nav_link("定时任务", "定时任务", "console.jobs_page", roles=("admin",))
nav_link("日志", "导出任务", "console.exports_page")

# 商家 (console_merchants.py)
nav_link("商家", "商家", "console.merchants_page", roles=("admin", "merchant_staff"))
