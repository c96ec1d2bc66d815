"""What a notice shows, as plain data: the poster, the A4 PDF and the display page draw from
this one shape, so they cannot disagree about what was published."""

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class SheetRow:
    rank: int
    name: str  # masked (张*明): a sheet is public
    points: int


@dataclass(frozen=True)
class Star:
    """A yearly notice's 积分之星: the first of one account kind."""

    kind_label: str  # 个人 / 党员 / 网格员 / 驻区单位 / 信用店铺
    name: str  # masked
    points: int


@dataclass(frozen=True)
class NoticeSheet:
    community_name: str
    title: str  # 2026年11月 红色积分公示
    period_label: str  # 2026年11月 · 2026年第四季度 · 2026年度
    kind_label: str  # whose ranking the rows are: 个人
    published_on: date
    rows: tuple[SheetRow, ...]  # the top 10 at most
    stars: tuple[Star, ...] = field(default=())
    correction_note: str | None = None  # 更正：本公示更正 2026年11月 的公示（原因）
    link: str | None = None  # the notice's page, drawn as a QR code where there is room
