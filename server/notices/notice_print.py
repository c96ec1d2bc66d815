"""The notice for the paper notice board: an A4 PDF whose QR code opens the notice's public
page (`/n/<id>`; WeChat's "扫普通链接二维码打开小程序" can map that prefix to the 公示 page), and
that public page itself. A notice is public by nature - it hangs on the street - and shows
masked names only."""

from server.db.session import get_by_id
from server.http.errors import AppError, BadRequest, NotFound
from server.notices.access import visible_notice
from server.notices.fonts import FontMissing
from server.notices.models import Notice
from server.notices.notice_pdf import render_notice_pdf
from server.notices.poster import render_poster
from server.notices.queries import KIND_LABELS
from server.notices.renderings import sheet_for
from server.notices.sheet import NoticeSheet


class PrintingUnavailable(AppError):
    status, code = 503, "font_missing"
    message = "服务器缺少中文字体，暂时无法生成公示文件，请联系管理员"


def notice_pdf(actor, notice_id: int, public_url: str) -> tuple[bytes, str]:
    """The A4 PDF (members of the notice's community) and its file name; `public_url` is the
    notice's public page, drawn as the QR code."""
    notice = visible_notice(actor, notice_id)
    try:
        data = render_notice_pdf(sheet_for(notice, link=public_url))
    except FontMissing:  # logged by whoever runs the server: the message names the fix
        raise PrintingUnavailable() from None
    return data, f"notice-{notice.period}-{notice.id}.pdf"


def notice_poster(actor, notice_id: int, kind: str = "person") -> bytes:
    """The poster JPEG the group chats receive (members of the notice's community), of one
    kind's top 10."""
    notice = visible_notice(actor, notice_id)
    if kind not in KIND_LABELS:
        raise BadRequest("公示类别无效", code="invalid_kind")
    try:
        return render_poster(sheet_for(notice, kind))
    except FontMissing:
        raise PrintingUnavailable() from None


def public_sheet(notice_id: int) -> NoticeSheet:
    """What the public page shows: the same sheet as the poster and the PDF."""
    notice = get_by_id(Notice, notice_id)
    if notice is None:
        raise NotFound("公示不存在", code="notice_not_found")
    return sheet_for(notice)
