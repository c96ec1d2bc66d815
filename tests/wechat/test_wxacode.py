"""wxacode.getUnlimited through wechatpy against the emulator, as against WeChat."""

import io

import pytest
import requests
from PIL import Image

from server.http.errors import AppError
from server.wechat.client import get_unlimited_wxacode


def test_the_emulator_draws_a_png_for_the_scene_and_page(ctx):
    png = get_unlimited_wxacode("inv=ABCD2345EFGH6789", page="pages/me/me", width=280)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size[0] >= 280 // 2
    assert image.text == {"scene": "inv=ABCD2345EFGH6789", "page": "pages/me/me"}


def test_an_expired_access_token_is_fetched_again(ctx, emulator):
    get_unlimited_wxacode("inv=1")
    requests.post(emulator.base + "_emulator/expire-tokens").raise_for_status()
    assert get_unlimited_wxacode("inv=2").startswith(b"\x89PNG")


@pytest.mark.parametrize(
    "scene,page",
    [("x" * 33, None), ("空格 不行", None), ("inv=1", "/pages/index/index")],
)
def test_wechat_refusals_are_a_clear_unavailable_not_a_crash(ctx, scene, page):
    with pytest.raises(AppError) as refused:
        get_unlimited_wxacode(scene, page=page)
    assert (refused.value.status, refused.value.code) == (503, "wechat_unavailable")


def test_wechat_rate_limit_is_a_429(ctx, emulator):
    emulator.fault("getwxacodeunlimit", errcode=45011, times=1)
    with pytest.raises(AppError) as refused:
        get_unlimited_wxacode("inv=1")
    assert refused.value.status == 429
