"""`flask setup community`: a community and its grids from arguments, checked first."""

from sqlalchemy import select

from server.community.models import Community, Grid, Street
from server.db.audit import AuditLog
from tests.setup.helpers import run_cli, table_counts

ARGS = ["--street", "红星街道", "--district", "示范区", "--name", "东风社区", "--code", "dongfeng"]


def test_creates_the_community_its_street_and_grids_audited(app, query):
    result = run_cli(app, "community", *ARGS, "--grid", "g1:第一网格", "--grid", "g2:第二网格")
    assert result.exit_code == 0, result.output
    assert "created community dongfeng" in result.output
    community = query(lambda s: s.scalar(select(Community)))
    assert (community.name, community.code) == ("东风社区", "dongfeng")
    assert query(lambda s: s.scalar(select(Street.district))) == "示范区"
    grids = query(lambda s: s.execute(select(Grid.code, Grid.name).order_by(Grid.id)).all())
    assert [tuple(g) for g in grids] == [("g1", "第一网格"), ("g2", "第二网格")]
    audit = query(lambda s: s.scalar(select(AuditLog)))
    assert (audit.action, audit.actor_id) == ("community.create", None)
    assert audit.after["grids"] == [
        {"code": "g1", "name": "第一网格"},
        {"code": "g2", "name": "第二网格"},
    ]

    # A second community of the same street shares the street.
    second = ["--street", "红星街道", "--district", "示范区", "--name", "西风社区", "--code", "xf"]
    assert run_cli(app, "community", *second).exit_code == 0
    assert len(query(lambda s: s.scalars(select(Street)).all())) == 1


def test_bad_arguments_are_refused_and_change_nothing(app):
    assert run_cli(app, "community", *ARGS).exit_code == 0
    before = table_counts(app)
    cases = [
        (ARGS, "community_code_exists: 社区编码“dongfeng”已存在"),
        (
            ["--street", "红星街道", "--district", "别区", "--name", "x", "--code", "x1"],
            "street_in_other_district: 街道“红星街道”已登记在“示范区”，请核对区县",
        ),
        (
            ["--street", "s", "--district", "d", "--name", "n", "--code", "bad code"],
            "community_invalid: 社区信息有误",
        ),
        (
            [*ARGS[:-1], "new", "--grid", "g1:一", "--grid", "g1:二"],
            "duplicate_grid_code: 网格编码不能重复",
        ),
        ([*ARGS[:-1], "new2", "--grid", "g1"], "expected CODE:NAME"),
        ([*ARGS[:-1], "new3", "--grid", "g1: "], "网格名称不能为空"),
    ]
    for args, message in cases:
        result = run_cli(app, "community", *args)
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    assert table_counts(app) == before
