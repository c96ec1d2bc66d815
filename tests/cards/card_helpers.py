"""Shared helpers for the point-card tests (no tests here)."""

import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from server.cards.models import PointCard
from server.cards.numbers import qr_text
from server.community.card_holder_models import CardHolder

HOLDERS = "/api/v1/card-holders"
SCAN = "/api/v1/merchant/card-scan"
REDEEM = "/api/v1/merchant/card-redemptions"
PIN = "2580"


def register(api, as_="grid-1", **over):
    body = {"real_name": "刘桂兰", "building": "3栋", "unit": "2单元201", "pin": PIN, **over}
    return api.post(HOLDERS, as_, json=body)


def registered(api, as_="grid-1", **over) -> dict:
    resp = register(api, as_, **over)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def acting(holder_id: int, **headers) -> dict:
    return {"X-Acting-For": str(holder_id), **headers}


def card_qr(query, holder_id: int) -> str:
    """The QR text of the holder's active card, as printed."""
    number = query(
        lambda s: s.scalar(
            select(PointCard.number).where(
                PointCard.holder_id == holder_id, PointCard.status == "active"
            )
        )
    )
    return query(lambda s: qr_text(number))


def holder_row(query, holder_id: int) -> CardHolder:
    return query(lambda s: s.get(CardHolder, holder_id))


def decode_pdf_qr_codes(pdf: bytes, tmp_path: Path) -> list[str]:
    """Render every page with pdftoppm and read every QR code on it with zbarimg."""
    for tool in ("pdftoppm", "zbarimg"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: scripts/test installs poppler-utils and zbar-tools")
    source = tmp_path / "cards.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", str(source), str(tmp_path / "page")], check=True
    )
    found = []
    for page in sorted(tmp_path.glob("page*.png")):
        out = subprocess.run(
            ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(page)],
            capture_output=True,
            text=True,
        )
        found += [line for line in out.stdout.splitlines() if line]
    return found
