"""The CJK font a notice is drawn in. The poster (Pillow) takes any OpenType font, so it uses
Debian's fonts-noto-cjk; the PDF embeds its font and reportlab embeds only TrueType outlines,
which Noto CJK lacks, so the PDF uses fonts-wqy-zenhei (already installed for printed cards).
CJK_FONT_PATH overrides both; a font that cannot be found or read is a clear FontMissing."""

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask import current_app, has_app_context
from PIL import ImageFont
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

NOTO = Path("/usr/share/fonts/opentype/noto")
NOTO_REGULAR = NOTO / "NotoSansCJK-Regular.ttc"
NOTO_BOLD = NOTO / "NotoSansCJK-Bold.ttc"
NOTO_SC = 2  # the collection's faces: JP, KR, SC, TC, HK; the Simplified Chinese one
WQY_ZENHEI = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
HINT = "install fonts-noto-cjk and fonts-wqy-zenhei (scripts/run does) or set CJK_FONT_PATH"


class FontMissing(RuntimeError):
    """No usable CJK font: the notice cannot be drawn."""


@dataclass(frozen=True)
class FontFace:
    path: Path
    index: int  # the face inside a .ttc collection


def configured_path() -> str | None:
    # Rendering also runs outside the app (scripts/sample-poster), where only the environment
    # can say; inside it the app's config is the one source.
    if has_app_context():
        return current_app.config.get("CJK_FONT_PATH")
    return os.environ.get("CJK_FONT_PATH") or None


def _configured() -> FontFace | None:
    raw = configured_path()
    if not raw:
        return None
    path = Path(raw)
    if not path.is_file():
        raise FontMissing(f"CJK_FONT_PATH={raw} does not exist: {HINT}")
    return FontFace(path, 0)


def poster_faces() -> tuple[FontFace, FontFace]:
    """(regular, bold) for Pillow; a configured font serves as both."""
    configured = _configured()
    if configured:
        return configured, configured
    if NOTO_REGULAR.is_file():
        bold = NOTO_BOLD if NOTO_BOLD.is_file() else NOTO_REGULAR
        return FontFace(NOTO_REGULAR, NOTO_SC), FontFace(bold, NOTO_SC)
    raise FontMissing(f"no CJK font for the notice poster: {HINT}")


@cache
def _pillow_font(path: Path, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size, index=index)


def pillow_font(face: FontFace, size: int) -> ImageFont.FreeTypeFont:
    try:
        return _pillow_font(face.path, face.index, size)
    except OSError as exc:
        raise FontMissing(f"{face.path} is not a readable font ({exc}): {HINT}") from None


def pdf_font() -> str:
    """The name of a registered, embeddable reportlab font."""
    configured = _configured()
    face = configured or (FontFace(WQY_ZENHEI, 0) if WQY_ZENHEI.is_file() else None)
    if face is None:
        raise FontMissing(f"no TrueType CJK font for the notice PDF: {HINT}")
    return _registered(face.path, face.index)


@cache
def _registered(path: Path, index: int) -> str:
    name = f"NoticeCJK-{path.stem}-{index}"
    try:
        pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=index))
    except (TTFError, OSError) as exc:
        raise FontMissing(
            f"{path} cannot be embedded in a PDF ({exc}); it needs TrueType outlines: {HINT}"
        ) from None
    return name
