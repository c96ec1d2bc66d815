"""What a notice prints and posts as: the NoticeSheet every drawing uses (poster, PDF, page)
and the markdown text for the community's group chats."""

from server.db.session import db
from server.notices.models import Notice
from server.notices.periods import period_label
from server.notices.queries import KIND_LABELS, community_name, rows_by_kind, stars_of
from server.notices.sheet import NoticeSheet, SheetRow, Star
from server.platform.localtime import local_date
from server.points.rankings import parse_period

TOP = 10  # what a sheet and a group message show of a kind


def correction_note(notice: Notice) -> str | None:
    """更正：本公示更正 2026年11月 的公示（原因）; None for an original."""
    if notice.correction_of is None:
        return None
    label = period_label(parse_period(notice.period))
    return f"更正：本公示更正 {label} 的公示（{notice.correction_reason}）"


def sheet_for(notice: Notice, kind: str = "person", link: str | None = None) -> NoticeSheet:
    """The top 10 of one kind, a yearly notice's stars and the correction note."""
    rows = rows_by_kind(notice.id, TOP).get(kind, [])
    return NoticeSheet(
        community_name=community_name(notice.community_id),
        title=notice.title,
        period_label=period_label(parse_period(notice.period)),
        kind_label=KIND_LABELS[kind],
        published_on=local_date(notice.published_at),
        rows=tuple(SheetRow(r.rank, r.name, r.points) for r in rows),
        stars=tuple(Star(s["kind_label"], s["name"], s["points"]) for s in stars_of(notice)),
        correction_note=correction_note(notice),
        link=link,
    )


def group_markdown(notice: Notice) -> str:
    """WeCom robot markdown: title, community and period, top 10 of 个人, the stars of a
    yearly notice, and a correction mark. Names are the frozen masked ones."""
    sheet = sheet_for(notice)
    lines = [f"## {sheet.title}", f"**{sheet.community_name}** · {sheet.period_label}"]
    if sheet.correction_note:
        lines.append(f'> <font color="warning">{sheet.correction_note}</font>')
    if sheet.stars:
        lines.append("")
        lines.append("**积分之星**")
        lines += [f"> {s.kind_label}：{s.name}　{s.points} 分" for s in sheet.stars]
    lines.append("")
    lines.append(f"**{sheet.kind_label}积分前{TOP}名**")
    if sheet.rows:
        lines += [f"{r.rank}. {r.name}　{r.points} 分" for r in sheet.rows]
    else:
        lines.append("本期暂无积分记录")
    lines.append("")
    lines.append(f'<font color="comment">{sheet.published_on.isoformat()} 发布</font>')
    return "\n".join(lines)


def notice_by_id(notice_id: int) -> Notice | None:
    """For the group-message sender, which has an id from the event."""
    return db.session.get(Notice, notice_id)
