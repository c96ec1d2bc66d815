"""The emulator's wxacode.getUnlimited: a PNG like WeChat's, refusals with WeChat's errcodes.

WeChat draws a round mini-program code; the emulator draws a plain QR code (segno) of the
same request and writes the scene and page into PNG text chunks, so tests can read them back.
"""

import io
import re

import segno
from flask import Flask, Response, request
from PIL import Image
from PIL.PngImagePlugin import PngInfo

# WeChat's rules: a scene of at most 32 visible characters from this set; a page path without
# a leading slash; a width from 280 to 1280 pixels.
SCENE = re.compile(r"^[A-Za-z0-9!#$&'()*+,/:;=?@._~-]{1,32}$")
PAGE = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")


def wxacode_png(scene: str, page: str, width: int) -> bytes:
    qr = segno.make(f"wxacode:{page}?scene={scene}", error="m")
    drawn = io.BytesIO()
    qr.save(drawn, kind="png", scale=max(1, width // qr.symbol_size()[0]), border=2)
    image = Image.open(io.BytesIO(drawn.getvalue()))
    info = PngInfo()
    info.add_text("scene", scene)
    info.add_text("page", page)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def register_wxacode(app: Flask, *, error, apply_fault, check_token) -> None:
    """Add POST /wxa/getwxacodeunlimit to the emulator, using its fault and token checks."""

    @app.post("/wxa/getwxacodeunlimit")
    def getwxacodeunlimit():
        if (failed := apply_fault("getwxacodeunlimit")) is not None:
            return failed
        if (failed := check_token()) is not None:
            return failed
        body = request.get_json(force=True, silent=True) or {}
        scene = body.get("scene")
        if not isinstance(scene, str) or not SCENE.match(scene):
            return error(40129, "invalid scene")
        page = body.get("page") or "pages/index/index"
        if not isinstance(page, str) or not PAGE.match(page):
            return error(41030, "invalid page")
        width = body.get("width", 430)
        if not isinstance(width, int) or isinstance(width, bool) or not 280 <= width <= 1280:
            return error(40097, "invalid args, width")
        return Response(wxacode_png(scene, page, width), mimetype="image/png")
