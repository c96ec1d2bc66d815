"""Printing cards: an A4 sheet of up to ten bank-card-sized cards (85.6 x 54 mm), each with
the holder's masked name, the community, the building and unit, the card's last four
characters and its signed QR code (server/cards/numbers.py). Sheets of more holders run on
to further pages. Reprinting prints the current card; a replaced card's QR stays refused."""

import io
import logging
from functools import cache
from pathlib import Path

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from server.auth.models import User
from server.cards.cards import active_card
from server.cards.numbers import qr_text
from server.community.acting import holder_for
from server.community.models import Community
from server.db.audit import record_audit
from server.db.session import db
from server.http.errors import Unprocessable
from server.platform.masking import mask_name

# The font is embedded so any printer shows the names (Debian's fonts-wqy-zenhei, installed by
# scripts/run and scripts/test); without it reportlab's CID font, which viewers must supply.
FONT_FILE = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
FALLBACK_FONT = "STSong-Light"
log = logging.getLogger(__name__)
CARD_W, CARD_H = 85.6 * mm, 54 * mm
COLUMNS, ROWS = 2, 5
RED = colors.HexColor("#C8102E")


def _card_faces(actor: User, holder_ids: list[int]) -> list[dict]:
    faces = []
    for holder_id in dict.fromkeys(holder_ids):  # once each, in the order asked
        holder = holder_for(actor, holder_id)
        card = active_card(holder.user_id)
        if card is None:
            raise Unprocessable("该居民没有有效的积分卡", code="no_active_card")
        user = db.session.get(User, holder.user_id)
        faces.append(
            {
                "holder_id": holder.user_id,
                "name": mask_name(user.real_name),
                "community": db.session.get(Community, holder.community_id).name,
                "address": f"{holder.building} {holder.unit}".strip(),
                "hint": card.number[-4:],
                "qr": qr_text(card.number),
            }
        )
    return faces


def _draw_card(pdf: canvas.Canvas, x: float, y: float, face: dict, font: str) -> None:
    pdf.setStrokeColor(colors.grey)
    pdf.roundRect(x, y, CARD_W, CARD_H, 3 * mm, stroke=1, fill=0)
    pdf.setFillColor(RED)
    pdf.rect(x, y + CARD_H - 11 * mm, CARD_W, 11 * mm, stroke=0, fill=1)
    pdf.setFillColor(colors.white)
    pdf.setFont(font, 12)
    pdf.drawString(x + 4 * mm, y + CARD_H - 7.5 * mm, "红色积分 · 积分卡")
    pdf.setFillColor(colors.black)
    pdf.setFont(font, 14)
    pdf.drawString(x + 4 * mm, y + CARD_H - 20 * mm, face["name"])
    pdf.setFont(font, 8)
    pdf.drawString(x + 4 * mm, y + CARD_H - 27 * mm, face["community"][:16])
    pdf.drawString(x + 4 * mm, y + CARD_H - 32 * mm, face["address"][:18])
    pdf.drawString(x + 4 * mm, y + 5 * mm, f"卡号尾号 {face['hint']} · 凭卡和密码兑换")
    size = 34 * mm
    widget = QrCodeWidget(face["qr"], barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, x + CARD_W - size - 2 * mm, y + 4 * mm)


@cache
def _font() -> str:
    if FONT_FILE.exists():
        pdfmetrics.registerFont(TTFont("WenQuanYiZenHei", str(FONT_FILE), subfontIndex=0))
        return "WenQuanYiZenHei"
    log.warning("CJK font missing; cards use one the viewer must supply: %s", FONT_FILE)
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    return FALLBACK_FONT


def render_sheet(faces: list[dict]) -> bytes:
    """The PDF of `faces`, ten to an A4 page."""
    font = _font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle("红色积分 · 积分卡")
    page_w, page_h = A4
    margin_x = (page_w - COLUMNS * CARD_W - 8 * mm) / 2
    margin_y = (page_h - ROWS * CARD_H - (ROWS - 1) * 3 * mm) / 2
    per_page = COLUMNS * ROWS
    for i, face in enumerate(faces):
        if i and i % per_page == 0:
            pdf.showPage()
        slot = i % per_page
        col, row = slot % COLUMNS, slot // COLUMNS
        x = margin_x + col * (CARD_W + 8 * mm)
        y = page_h - margin_y - (row + 1) * CARD_H - row * 3 * mm
        _draw_card(pdf, x, y, face, font)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def print_cards(actor: User, holder_ids: list[int]) -> bytes:
    """The current cards of holders the actor may act for, as an A4 PDF (audited)."""
    faces = _card_faces(actor, holder_ids)
    for face in faces:
        record_audit(
            actor_id=actor.id,
            action="card.print",
            target_type="user",
            target_id=face["holder_id"],
            after={"hint": face["hint"]},
        )
    db.session.commit()
    return render_sheet(faces)
