"""Sheets to draw and ways to look at what was drawn: ink in a poster's band, a PDF's text,
pages and QR codes through poppler-utils and zbar-tools (installed by scripts/test)."""

import io
import shutil
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from server.notices.sheet import NoticeSheet, SheetRow, Star
from server.platform.masking import mask_name

FULL_NAMES = (
    "王小华",
    "李娜",
    "张建明",
    "陈淑芳",
    "刘洋",
    "赵国强",
    "孙玉兰",
    "周杰",
    "吴平安",
    "郑彩霞",
)
LINK = "https://redpoints.example.cn/notices/42"


def sheet(count: int = 10, **over) -> NoticeSheet:
    base = NoticeSheet(
        community_name="测试街道和平里社区",
        title="2026年11月 红色积分公示",
        period_label="2026年11月",
        kind_label="个人",
        published_on=date(2026, 12, 1),
        rows=tuple(
            SheetRow(rank=i + 1, name=mask_name(FULL_NAMES[i]), points=300 - 17 * i)
            for i in range(count)
        ),
    )
    return replace(base, **over)


STARS = (
    Star("个人", "王*华", 2860),
    Star("党员", "林*东", 2410),
    Star("网格员", "何*", 1980),
    Star("驻区单位", "示范***中心", 3120),
    Star("信用店铺", "幸福*超市", 1650),
)


def image(jpeg: bytes) -> Image.Image:
    return Image.open(io.BytesIO(jpeg)).convert("RGB")


def pixels(img: Image.Image, box: tuple[int, int, int, int]):
    data = img.crop(box).tobytes()  # RGB: three bytes a pixel
    return zip(data[0::3], data[1::3], data[2::3], strict=True)


def ink(img: Image.Image, box: tuple[int, int, int, int]) -> int:
    """Dark grey/black pixels (the names' colour) in box; the red and the paper are not ink."""
    return sum(1 for r, g, b in pixels(img, box) if max(r, g, b) < 120)


def red(img: Image.Image, box: tuple[int, int, int, int]) -> int:
    return sum(1 for r, g, b in pixels(img, box) if r > 150 and g < 90 and b < 110)


def _need(*tools: str) -> None:
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: scripts/test installs poppler-utils and zbar-tools")


def pdf_pages(pdf: bytes, tmp_path: Path) -> list[Path]:
    _need("pdftoppm")
    source = tmp_path / "notice.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", str(source), str(tmp_path / "page")], check=True
    )
    return sorted(tmp_path.glob("page*.png"))


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    _need("pdftotext")
    source = tmp_path / "text.pdf"
    source.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-layout", str(source), "-"], capture_output=True, check=True
    )
    return out.stdout.decode("utf-8")


def pdf_fonts(pdf: bytes, tmp_path: Path) -> str:
    _need("pdffonts")
    source = tmp_path / "fonts.pdf"
    source.write_bytes(pdf)
    return subprocess.run(["pdffonts", str(source)], capture_output=True, text=True).stdout


def qr_codes(png: Path) -> list[str]:
    _need("zbarimg")
    out = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)],
        capture_output=True,
        text=True,
    )
    return [line for line in out.stdout.splitlines() if line]
