"""Offer pictures stored as uploads: who may see them, and the demo's drawn pictures.

An offer's picture uploaded to this server is named by `image_url = "/api/v1/uploads/{id}"`;
the mini-program downloads such a URL with the bearer header (an <image> cannot send one).
"""

import io

from flask import current_app
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from server.auth.models import User
from server.community.authz import membership_of
from server.community.models import Community, RoleGrant
from server.db.session import db
from server.rewards.models import Offer
from server.uploads import service as uploads

ATTACHED_TYPE = "offer"
# Noto CJK Bold's Simplified Chinese face, else WenQuanYi Zen Hei (Debian's paths).
FONTS = [
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
]
SIZE = (480, 360)
# Demo offers that get a picture, and its colour.
DEMO_PICTURES = {
    "洗衣液 2kg": (46, 117, 182),
    "东北大米 5kg": (196, 140, 44),
    "食用油 1.8L": (214, 160, 30),
    "纯棉毛巾": (90, 160, 120),
    "免费理发一次": (200, 16, 46),
}


def _visible(user: User, upload) -> bool:
    """An offer's picture is as public as the offer: every member of its community."""
    try:
        offer = db.session.get(Offer, int(upload.attached_id))
    except (TypeError, ValueError):
        return False
    membership = membership_of(user)
    return (
        offer is not None
        and membership is not None
        and (membership.community_id == offer.community_id)
    )


uploads.register_access_check(ATTACHED_TYPE, _visible)


def upload_url(upload_id: int) -> str:
    return f"/api/v1/uploads/{upload_id}"


def _font(size: int):
    """The first CJK font installed (scripts/run installs both); None: no title is drawn."""
    configured = current_app.config.get("CJK_FONT_PATH")
    for path, index in ([(configured, 0)] if configured else []) + FONTS:
        try:
            return ImageFont.truetype(path, size, index=index)
        except OSError:
            continue
    return None


def draw_picture(title: str, colour: tuple[int, int, int]) -> bytes:
    """A plain PNG: the colour, a white card and the title on it (when a CJK font is there)."""
    image = Image.new("RGB", SIZE, colour)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((60, 80, SIZE[0] - 60, SIZE[1] - 80), radius=24, fill="white")
    font = _font(44)
    if font is not None:
        box = draw.textbbox((0, 0), title, font=font)
        x = (SIZE[0] - (box[2] - box[0])) / 2 - box[0]
        y = (SIZE[1] - (box[3] - box[1])) / 2 - box[1]
        draw.text((x, y), title, font=font, fill=colour)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def seed_offer_pictures(community: Community) -> int:
    """Give the demo's offers without a picture one, uploaded by the community's admin.

    Skipped in tests (app.testing) unless SEED_DEMO_OFFER_PICTURES is set, as the grid's demo
    work is, so other suites count no uploads of their own."""
    if not current_app.config.get("SEED_DEMO_OFFER_PICTURES", not current_app.testing):
        return 0
    owner_id = db.session.scalar(
        select(RoleGrant.user_id)
        .where(RoleGrant.community_id == community.id, RoleGrant.role == "admin")
        .order_by(RoleGrant.id)
        .limit(1)
    )
    if owner_id is None:
        return 0
    owner = db.session.get(User, owner_id)
    offers = db.session.scalars(
        select(Offer).where(
            Offer.community_id == community.id,
            Offer.title.in_(list(DEMO_PICTURES)),
            Offer.image_url.is_(None),
        )
    ).all()
    for offer in offers:
        data = draw_picture(offer.title, DEMO_PICTURES[offer.title])
        upload = uploads.save_upload(owner, io.BytesIO(data))  # commits, as any upload
        uploads.attach(owner, [upload.id], ATTACHED_TYPE, offer.id)
        offer.image_url = upload_url(upload.id)
    db.session.flush()
    return len(offers)
