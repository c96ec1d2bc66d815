"""Subscribe-message data within WeChat's limits (counted in characters), and the emulator's
subscribeMessage.send answering like WeChat."""

from datetime import UTC, date, datetime

import pytest
import requests

from server.wechat.emulator import stable_id
from server.wechat.subscribe_templates import DEV_TEMPLATE_IDS, TEMPLATES, build_data, fit
from tests.conftest import APPID

TITLE_30 = "社区红色志愿服务队周末清洁家园美化环境共建文明幸福小区活动日"  # 30 characters
OPENID = stable_id(APPID, "resident-1", "openid")


def test_a_thirty_character_title_is_cut_to_twenty_characters_ending_with_an_ellipsis():
    assert len(TITLE_30) == 30
    data = build_data(
        "task_reminder",
        {"thing1": TITLE_30, "time2": datetime(2026, 6, 2, 1, 0, tzinfo=UTC), "thing3": "幸福里",
         "thing4": "请准时参加"},
    )  # fmt: skip
    assert data["thing1"]["value"] == TITLE_30[:19] + "…"
    assert len(data["thing1"]["value"]) == 20
    assert data["time2"]["value"] == "2026-06-02 09:00"  # Shanghai time
    assert data["thing3"]["value"] == "幸福里"


def test_each_type_is_fitted_to_its_limit():
    assert fit("phrase", "候补转为正式") == "候补转为…"
    assert fit("phrase", "已通过") == "已通过"
    assert fit("number", 20) == "20" and fit("number", None) == "0"
    assert fit("character_string", "R" + "9" * 40) == "R" + "9" * 31
    assert fit("character_string", "编号R12") == "R12"  # letters, digits and symbols only
    assert fit("thing", "") == "无" and fit("thing", "两行\n文字") == "两行 文字"
    assert fit("date", date(2026, 6, 2)) == "2026年6月2日"
    assert fit("time", "2026-06-01T16:30:00+00:00") == "2026-06-02 00:30"


def test_a_kind_without_one_of_its_values_is_a_programming_error():
    with pytest.raises(KeyError):
        build_data("wish_progress", {"thing1": "修水龙头", "phrase2": "已认领"})


def send(emulator, body: dict, token: str | None = None) -> dict:
    if token is None:
        token = requests.post(
            emulator.base + "cgi-bin/stable_token",
            json={"grant_type": "client_credential", "appid": APPID, "secret": "test-secret"},
        ).json()["access_token"]
    url = emulator.base + f"cgi-bin/message/subscribe/send?access_token={token}"
    return requests.post(url, json=body).json()


def message(**over) -> dict:
    body = {
        "touser": OPENID,
        "template_id": DEV_TEMPLATE_IDS["wish_progress"],
        "page": "pages/wish-detail/index?id=3",
        "data": {"thing1": {"value": "修水龙头"}, "phrase2": {"value": "已认领"},
                 "thing3": {"value": "请保持联系"}},
    }  # fmt: skip
    body.update(over)
    return body


def received(emulator, openid=OPENID) -> list[dict]:
    resp = requests.get(emulator.base + "_emulator/subscribe/messages", params={"openid": openid})
    return resp.json()["messages"]


def test_the_emulator_delivers_a_message_that_fits_and_records_it(emulator):
    assert send(emulator, message())["errcode"] == 0
    (got,) = received(emulator)
    assert got["page"] == "pages/wish-detail/index?id=3"
    assert got["data"]["phrase2"] == {"value": "已认领"}
    emulator.reset()
    assert received(emulator) == []


@pytest.mark.parametrize(
    ("over", "errcode", "names"),
    [
        ({"touser": "not-an-openid"}, 40003, None),
        ({"template_id": "RP-no-such-template"}, 40037, None),
        ({"page": "pages/nowhere/index?id=3"}, 41030, None),
        (
            {"data": {"thing1": {"value": "修水龙头"}, "phrase2": {"value": "已认领"}}},
            47003,
            "thing3",
        ),
        ({"data": {**message()["data"], "thing1": {"value": TITLE_30}}}, 47003, "thing1"),
        (
            {"data": {**message()["data"], "phrase2": {"value": "已经被认领" + "了"}}},
            47003,
            "phrase2",
        ),
        ({"data": {**message()["data"], "number9": {"value": "1"}}}, 47003, "number9"),
    ],
)
def test_the_emulator_refuses_what_wechat_refuses(emulator, over, errcode, names):
    answer = send(emulator, message(**over))
    assert answer["errcode"] == errcode
    if names:
        assert f"data.{names}" in answer["errmsg"]
    assert received(emulator) == []


def test_a_bad_token_is_40001_and_a_refusal_is_43101(emulator):
    assert send(emulator, message(), token="forged")["errcode"] == 40001
    requests.post(
        emulator.base + "_emulator/subscribe/refuse",
        json={"openid": OPENID, "template_id": DEV_TEMPLATE_IDS["wish_progress"]},
    ).raise_for_status()
    assert send(emulator, message())["errcode"] == 43101
    other = message(
        template_id=DEV_TEMPLATE_IDS["claim_result"],
        page="pages/my-claims/index",
        data={"thing1": {"value": "志愿服务"}, "phrase2": {"value": "已通过"},
              "number3": {"value": "10"}, "thing4": {"value": "积分已到账"}},
    )  # fmt: skip
    assert send(emulator, other)["errcode"] == 0  # the refusal is of one template only
    emulator.reset()
    assert send(emulator, message())["errcode"] == 0


def test_every_template_has_typed_fields_the_emulator_knows():
    for kind, template in TEMPLATES.items():
        assert template.dev_id == DEV_TEMPLATE_IDS[kind]
        assert set(template.types().values()) <= {"thing", "phrase", "number", "time",
                                                  "character_string"}  # fmt: skip
