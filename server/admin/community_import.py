"""Create a community from the set-up workbook: check every row, then write all or nothing.

Every refusal names the sheet, the row and the column with a Chinese reason, and all of them
are reported at once. Nothing is written until the whole file passes; then the community,
its grids, catalogue, merchants and offers are created through their domains' own rules
(audited, announced) in one transaction that commits once.
"""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from server.admin.workbook import (
    CATEGORIES,
    COMMUNITY,
    GRIDS,
    ITEMS,
    MERCHANTS,
    OFFERS,
    Refusal,
    Row,
    read_workbook,
)
from server.community.setup import (
    CODE_PATTERN,
    CommunitySpec,
    GridSpec,
    add_community,
    community_code_taken,
    street_district_conflict,
)
from server.db.session import db
from server.http.errors import AppError, Unprocessable
from server.points.catalogue import add_category, add_item
from server.rewards.merchants import add_merchant
from server.rewards.offers import MAX_STOCK, add_offer

POINT_VALUES = (5, 10, 20)
MAX_CAP = 1000
MAX_COST = 1_000_000
MERCHANT_KINDS = {"积分超市": "supermarket", "商居联盟": "partner"}
LIMIT_PERIODS = {"月": "month", "季度": "quarter"}
MAX_REPORTED = 200
_CODE = re.compile(CODE_PATTERN)


class WorkbookRefused(Unprocessable):
    code, message = "workbook_invalid", "表格未通过检查，没有导入任何内容"

    def __init__(self, refusals: list[Refusal]):
        super().__init__(
            f"表格有 {len(refusals)} 处问题，没有导入任何内容",
            details={
                "errors": [r.as_dict() for r in refusals[:MAX_REPORTED]],
                "total": len(refusals),
            },
        )
        self.refusals = refusals


@dataclass
class _Check:
    """Collects refusals while the rows are checked."""

    refusals: list[Refusal]

    def refuse(self, sheet: str, row: Row, column: str | None, message: str) -> None:
        self.refusals.append(Refusal(sheet, row.number, column, message))

    def unique(self, sheet: str, rows: list[Row], key: str, title: str) -> dict[str, Row]:
        """Rows by `key`; a repeat is refused with the row it repeats."""
        seen: dict[str, Row] = {}
        for row in rows:
            value = row.values[key]
            if value is None:
                continue
            if value in seen:
                self.refuse(sheet, row, title, f"“{value}”与第 {seen[value].number} 行重复")
            else:
                seen[value] = row
        return seen

    def codes(self, sheet: str, rows: list[Row], title: str) -> None:
        for row in rows:
            code = row.values["code"]
            if code is not None and not _CODE.match(code):
                self.refuse(sheet, row, title, "编码只能包含字母、数字、- 或 _")

    def in_range(self, sheet, row: Row, key: str, title: str, low: int, high: int) -> None:
        value = row.values[key]
        if value is not None and not low <= value <= high:
            self.refuse(sheet, row, title, f"应在 {low} 到 {high} 之间")


def _check_community(check: _Check, rows: list[Row]) -> None:
    if len(rows) != 1:
        message = "请填写社区信息" if not rows else "只能填写一个社区（一行）"
        check.refusals.append(Refusal(COMMUNITY, rows[1].number if rows else 2, None, message))
        return
    row = rows[0]
    check.codes(COMMUNITY, rows, "社区编码")
    values = row.values
    if values["code"] and community_code_taken(values["code"]):
        check.refuse(COMMUNITY, row, "社区编码", f"社区编码“{values['code']}”已存在")
    if values["street"] and values["district"]:
        other = street_district_conflict(values["street"], values["district"])
        if other is not None:
            check.refuse(COMMUNITY, row, "区县", f"街道“{values['street']}”已登记在“{other}”")


def _check_catalogue(check: _Check, categories: list[Row], items: list[Row]) -> None:
    check.codes(CATEGORIES, categories, "类别编码")
    known = check.unique(CATEGORIES, categories, "code", "类别编码")
    check.codes(ITEMS, items, "项目编码")
    check.unique(ITEMS, items, "code", "项目编码")
    for row in items:
        values = row.values
        if values["category"] is not None and values["category"] not in known:
            check.refuse(ITEMS, row, "类别编码", f"类别“{values['category']}”不在“积分类别”表中")
        if values["points"] is not None and values["points"] not in POINT_VALUES:
            check.refuse(ITEMS, row, "分值", f"分值只能是 5、10 或 20，不能是 {values['points']}")
        check.in_range(ITEMS, row, "daily_cap", "每日上限", 1, MAX_CAP)
        check.in_range(ITEMS, row, "monthly_cap", "每月上限", 1, MAX_CAP)


def _check_rewards(check: _Check, merchants: list[Row], offers: list[Row]) -> None:
    known = check.unique(MERCHANTS, merchants, "name", "商家名称")
    for row in merchants:
        if row.values["kind"] is not None and row.values["kind"] not in MERCHANT_KINDS:
            check.refuse(MERCHANTS, row, "类型", "类型只能是“积分超市”或“商居联盟”")
    for row in offers:
        values = row.values
        if values["merchant"] is not None and values["merchant"] not in known:
            check.refuse(OFFERS, row, "商家名称", f"商家“{values['merchant']}”不在“商家”表中")
        check.in_range(OFFERS, row, "points_cost", "所需积分", 1, MAX_COST)
        check.in_range(OFFERS, row, "stock", "库存", 0, MAX_STOCK)
        check.in_range(OFFERS, row, "limit_per_person", "每人限兑", 1, MAX_CAP)
        period = values["limit_period"]
        if period is not None and period not in LIMIT_PERIODS:
            check.refuse(OFFERS, row, "限兑周期", "限兑周期只能是“月”或“季度”")


def check_workbook(source: str | Path | IO[bytes]) -> dict[str, list[Row]]:
    """Every sheet's rows when the whole workbook passes; WorkbookRefused otherwise."""
    sheets, refusals = read_workbook(source)
    check = _Check(refusals)
    if sheets.get(COMMUNITY) is not None:
        _check_community(check, sheets[COMMUNITY])
    if sheets.get(GRIDS) is not None:
        check.codes(GRIDS, sheets[GRIDS], "网格编码")
        check.unique(GRIDS, sheets[GRIDS], "code", "网格编码")
    if sheets.get(CATEGORIES) is not None and sheets.get(ITEMS) is not None:
        _check_catalogue(check, sheets[CATEGORIES], sheets[ITEMS])
    if sheets.get(MERCHANTS) is not None and sheets.get(OFFERS) is not None:
        _check_rewards(check, sheets[MERCHANTS], sheets[OFFERS])
    if check.refusals:
        db.session.rollback()
        raise WorkbookRefused(check.refusals)
    return sheets


def import_workbook(source: str | Path | IO[bytes], actor_id: int | None = None) -> dict:
    """Create the community the workbook describes, all or nothing; what was created, counted.

    `actor_id` None is the operator's CLI; the admin console will pass its street admin.
    """
    sheets = check_workbook(source)
    try:
        community = _write(sheets, actor_id)
        db.session.commit()
    except AppError:
        # Someone created the same community or names in the meantime: nothing is kept.
        db.session.rollback()
        raise
    return {
        "community_id": community.id,
        "community_code": community.code,
        "grids": len(sheets[GRIDS]),
        "categories": len(sheets[CATEGORIES]),
        "items": len(sheets[ITEMS]),
        "merchants": len(sheets[MERCHANTS]),
        "offers": len(sheets[OFFERS]),
    }


def _write(sheets: dict[str, list[Row]], actor_id: int | None):
    values = sheets[COMMUNITY][0].values
    grids = tuple(GridSpec(r.values["code"], r.values["name"]) for r in sheets[GRIDS])
    community = add_community(
        actor_id,
        CommunitySpec(values["street"], values["district"], values["name"], values["code"], grids),
    )
    categories = {}
    for sort, row in enumerate(sheets[CATEGORIES]):
        category = add_category(community.id, actor_id, sort_order=sort, **row.values)
        categories[category.code] = category.id
    for row in sheets[ITEMS]:
        item = dict(row.values)
        add_item(community.id, actor_id, category_id=categories[item.pop("category")], **item)
    merchants = {}
    for row in sheets[MERCHANTS]:
        fields = {**row.values, "kind": MERCHANT_KINDS[row.values["kind"]]}
        fields["address"] = fields["address"] or ""
        merchants[row.values["name"]] = add_merchant(community.id, actor_id, **fields)
    for row in sheets[OFFERS]:
        offer = dict(row.values)
        merchant = merchants[offer.pop("merchant")]
        offer["description"] = offer["description"] or ""
        offer["limit_period"] = LIMIT_PERIODS[offer["limit_period"] or "月"]
        add_offer(merchant, actor_id, offer)
    return community
