"""A demo notice drawn by the real renderers, so the docs show what the project generates:
`python -m server.notices.sample docs/notice-poster.jpg [docs/notice-sample.pdf]`.
Every name here is fictional and masked."""

import sys
from datetime import date
from pathlib import Path

from server.notices.notice_pdf import render_notice_pdf
from server.notices.poster import render_poster
from server.notices.sheet import NoticeSheet, SheetRow, Star

NAMES = ("王*华", "李*", "张*明", "陈*芳", "刘*", "赵*强", "孙*兰", "周*", "吴*平", "郑*霞")
POINTS = (286, 254, 231, 198, 176, 165, 150, 132, 120, 105)


def demo_sheet(yearly: bool = False) -> NoticeSheet:
    rows = tuple(
        SheetRow(rank=i + 1, name=name, points=points)
        for i, (name, points) in enumerate(zip(NAMES, POINTS, strict=True))
    )
    stars = (
        Star("个人", "王*华", 2860),
        Star("党员", "林*东", 2410),
        Star("网格员", "何*", 1980),
        Star("驻区单位", "示范***中心", 3120),
        Star("信用店铺", "幸福*超市", 1650),
    )
    return NoticeSheet(
        community_name="示范街道幸福里社区",
        title="2026年度 红色积分公示" if yearly else "2026年11月 红色积分公示",
        period_label="2026年度" if yearly else "2026年11月",
        kind_label="个人",
        published_on=date(2027, 1, 5) if yearly else date(2026, 12, 1),
        rows=rows,
        stars=stars if yearly else (),
        link="https://redpoints.example.cn/notices/demo",
    )


def main(argv: list[str]) -> None:
    if not argv or len(argv) > 2:
        raise SystemExit("usage: python -m server.notices.sample POSTER.jpg [NOTICE.pdf]")
    Path(argv[0]).write_bytes(render_poster(demo_sheet()))
    if len(argv) == 2:
        Path(argv[1]).write_bytes(render_notice_pdf(demo_sheet()))


if __name__ == "__main__":
    main(sys.argv[1:])
