"""The set-up workbook: the shipped template imports; a bad file is refused row by row and
changes nothing."""

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from server.admin.community_import import WorkbookRefused, import_workbook
from server.admin.workbook_template import write_template
from server.community.models import Community, Grid, Merchant, Street
from server.db.audit import AuditLog
from server.db.session import db
from server.outbox.models import OutboxEvent
from server.points.models import PointCategory, PointItem, PointItemVersion
from server.rewards.models import Offer
from tests.setup.helpers import TEMPLATE, edited_template, run_cli, table_counts, with_code


def test_shipped_template_imports_everything_it_describes(app, query):
    result = run_cli(app, "import", TEMPLATE)
    assert result.exit_code == 0, result.output
    assert "created community hongqi" in result.output

    community = query(lambda s: s.scalar(select(Community)))
    assert (community.code, community.name) == ("hongqi", "红旗社区")
    assert query(lambda s: s.scalar(select(Street.name))) == "红星街道"
    grids = query(lambda s: s.execute(select(Grid.code, Grid.name).order_by(Grid.id)).all())
    assert [tuple(g) for g in grids] == [("g1", "第一网格（红旗里）"), ("g2", "第二网格（向阳苑）")]
    items = query(
        lambda s: s.execute(
            select(PointItem.code, PointItemVersion.points, PointItem.daily_cap)
            .join(PointItemVersion, PointItemVersion.item_id == PointItem.id)
            .order_by(PointItem.id)
        ).all()
    )
    assert [tuple(i) for i in items][:3] == [("T01", 10, None), ("T02", 20, 1), ("S01", 10, 2)]
    assert {points for _, points, _ in items} <= {5, 10, 20} and len(items) == 6
    assert len(query(lambda s: s.scalars(select(PointCategory)).all())) == 3
    merchants = query(lambda s: s.execute(select(Merchant.name, Merchant.kind, Merchant.status)))
    assert sorted(tuple(m) for m in merchants) == [
        ("向阳理发店", "partner", "approved"),
        ("红旗社区积分超市", "supermarket", "approved"),
    ]
    offers = query(lambda s: s.execute(select(Offer.title, Offer.stock, Offer.limit_period)).all())
    assert ("大米 5 斤", 40, "quarter") in [tuple(o) for o in offers] and len(offers) == 3

    actions = query(lambda s: s.scalars(select(AuditLog.action)).all())
    assert actions.count("community.create") == 1 and actions.count("point_item.create") == 6
    assert actions.count("merchant.create") == 2 and actions.count("offer.create") == 3
    assert query(lambda s: s.scalars(select(AuditLog.actor_id).distinct()).all()) == [None]
    events = query(
        lambda s: s.scalars(select(OutboxEvent.event_type).order_by(OutboxEvent.id)).all()
    )
    assert events == ["merchant.created", "merchant.created"]


def test_the_shipped_template_is_what_setup_template_writes(app, tmp_path):
    result = run_cli(app, "template", tmp_path / "fresh.xlsx")
    assert result.exit_code == 0, result.output

    def cells(path):
        book = load_workbook(path, read_only=True)
        found = {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}
        book.close()
        return found

    assert cells(tmp_path / "fresh.xlsx") == cells(TEMPLATE)


def test_importing_the_same_community_twice_is_refused(app):
    assert run_cli(app, "import", TEMPLATE).exit_code == 0
    before = table_counts(app)
    again = run_cli(app, "import", TEMPLATE)
    assert again.exit_code == 1
    assert "社区 第 2 行 “社区编码”：社区编码“hongqi”已存在" in again.output
    assert table_counts(app) == before


def _drop_points_column(book):
    book["积分项目"].delete_cols(4)


def _duplicate_item(book):
    book["积分项目"]["A5"] = "T01"


def _value_seven(book):
    book["积分项目"]["D3"] = 7


def _empty_name(book):
    book["积分项目"]["B6"] = None


def _unknown_category(book):
    book["积分项目"]["C7"] = "nosuch"


def _bad_offer(book):
    book["兑换商品"]["A3"] = "不存在的商家"
    book["兑换商品"]["G4"] = "年"


def _two_communities(book):
    book["社区"].append(["红星街道", "示范区", "第二社区", "second"])


def _missing_sheet(book):
    del book["商家"]


def _ten_thousand_rows(book):
    sheet = book["积分项目"]
    for n in range(10_000):
        sheet.append([f"X{n:05d}", f"项目{n}", "theory", 10, None, None])


BAD_FILES = {
    "missing column": (_drop_points_column, [("积分项目", 1, "分值", "缺少列“分值”")]),
    "duplicate item": (_duplicate_item, [("积分项目", 5, "项目编码", "“T01”与第 2 行重复")]),
    "value 7": (_value_seven, [("积分项目", 3, "分值", "分值只能是 5、10 或 20，不能是 7")]),
    "empty cell": (_empty_name, [("积分项目", 6, "项目名称", "不能为空")]),
    "unknown category": (
        _unknown_category,
        [("积分项目", 7, "类别编码", "类别“nosuch”不在“积分类别”表中")],
    ),
    "bad offers": (
        _bad_offer,
        [
            ("兑换商品", 3, "商家名称", "商家“不存在的商家”不在“商家”表中"),
            ("兑换商品", 4, "限兑周期", "限兑周期只能是“月”或“季度”"),
        ],
    ),
    "two communities": (_two_communities, [("社区", 3, None, "只能填写一个社区（一行）")]),
    "missing sheet": (_missing_sheet, [("商家", None, None, "缺少工作表“商家”")]),
    "10,000 rows": (
        _ten_thousand_rows,
        [("积分项目", 2002, None, "每个工作表最多 2000 行数据，已超出上限")],
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_workbook_is_refused_with_row_numbers_and_changes_nothing(app, tmp_path, case):
    assert run_cli(app, "import", TEMPLATE).exit_code == 0  # something to leave untouched
    edit, expected = BAD_FILES[case]

    def edit_other(book):
        with_code("other")(book)
        edit(book)

    path = edited_template(tmp_path, edit_other)
    before = table_counts(app)
    with app.app_context(), pytest.raises(WorkbookRefused) as refused:
        import_workbook(path)
    found = [(r.sheet, r.row, r.column, r.message) for r in refused.value.refusals]
    assert found == expected
    assert refused.value.status == 422 and refused.value.code == "workbook_invalid"
    assert refused.value.details["errors"][0]["row"] == expected[0][1]
    assert table_counts(app) == before


def test_the_cli_prints_every_refusal_and_exits_non_zero(app, tmp_path):
    def edit(book):
        _value_seven(book)
        _duplicate_item(book)

    before = table_counts(app)
    result = run_cli(app, "import", edited_template(tmp_path, edit))
    assert result.exit_code == 1
    assert "积分项目 第 3 行 “分值”：分值只能是 5、10 或 20，不能是 7" in result.output
    assert "积分项目 第 5 行 “项目编码”：“T01”与第 2 行重复" in result.output
    assert "表格有 2 处问题，没有导入任何内容" in result.output
    assert table_counts(app) == before


def test_a_file_that_is_not_a_workbook_is_refused(app, tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("name,code\n红旗社区,hongqi\n", encoding="utf-8")
    with app.app_context(), pytest.raises(WorkbookRefused) as refused:
        import_workbook(path)
    assert [r.message for r in refused.value.refusals] == [
        "文件不是有效的 xlsx 表格，请使用项目提供的模板"
    ]


def test_unknown_columns_and_sheets_of_notes(app, tmp_path):
    def edit(book):
        book["网格"]["C1"] = "负责人"
        book.create_sheet("我的备注").append(["随便写点什么"])

    with app.app_context(), pytest.raises(WorkbookRefused) as refused:
        import_workbook(edited_template(tmp_path, edit))
    assert [(r.sheet, r.row, r.message) for r in refused.value.refusals] == [
        ("网格", 1, "未知的列“负责人”")
    ]


def test_numbers_typed_as_text_and_codes_typed_as_numbers_are_read(app, tmp_path):
    def edit(book):
        book["积分项目"]["D2"] = "20"
        book["网格"]["A2"] = 101

    result = run_cli(app, "import", edited_template(tmp_path, edit))
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(Grid.code).order_by(Grid.id)) == "101"
        item = db.session.scalar(select(PointItem).where(PointItem.code == "T01"))
        assert item.versions[0].points == 20


def test_a_workbook_of_headers_only_is_refused_for_its_missing_community(app, tmp_path):
    path = tmp_path / "headers.xlsx"
    write_template(path)
    book = load_workbook(path)
    for name in book.sheetnames[1:]:
        book[name].delete_rows(2, 100)
    book.save(path)
    with app.app_context(), pytest.raises(WorkbookRefused) as refused:
        import_workbook(path)
    assert [(r.sheet, r.message) for r in refused.value.refusals] == [("社区", "请填写社区信息")]
