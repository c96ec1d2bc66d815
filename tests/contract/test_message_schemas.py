"""schemas/events.json and schemas/qr.json describe what the code really writes.

Every test's outbox events are checked against events.json when it ends (tests/conftest.py);
these tests check the documents themselves and the two QR codes.
"""

from types import SimpleNamespace

import jwt
import pytest
from jsonschema import Draft202012Validator

from server.community.models import PARTY_KINDS, ROLES
from tests.message_contract import document, outbox_event_problems, validator


@pytest.mark.parametrize("name", ["events.json", "qr.json"])
def test_documents_are_valid_json_schemas(name):
    Draft202012Validator.check_schema(document(name))


def test_event_enums_follow_the_code():
    defs = document("events.json")["$defs"]
    assert defs["role"]["enum"] == list(ROLES)
    assert defs["party_kind"]["enum"] == list(PARTY_KINDS)
    listed = document("events.json")["properties"]["event_type"]["enum"]
    assert sorted(listed) == sorted(defs["payloads"])


def _event(event_type, payload, aggregate_type="task"):
    return SimpleNamespace(
        event_type=event_type,
        aggregate_type=aggregate_type,
        aggregate_id="7",
        community_id=1,
        payload=payload,
    )


def test_the_event_check_catches_unknown_types_and_drifted_payloads():
    good = {"task_id": 7, "user_id": 3, "title": "垃圾分类志愿督导"}
    assert outbox_event_problems([_event("task.signup.confirmed", good)]) == []
    assert outbox_event_problems([_event("task.signup.exploded", good)])
    assert outbox_event_problems([_event("task.signup.confirmed", {**good, "phone": "138"})])
    assert outbox_event_problems([_event("task.signup.confirmed", {**good, "user_id": "3"})])
    assert outbox_event_problems([_event("task.signup.confirmed", good, "redemption")])


def test_the_redemption_code_matches_its_schema(ctx):
    from server.rewards.codes import sign_code

    token = sign_code(42)["token"]
    validator("qr.json", "redemption_code_text").validate(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    validator("qr.json", "redemption_code_claims").validate(claims)
    assert claims["rid"] == 42
    assert not validator("qr.json", "redemption_code_text").is_valid(token + " ")


def test_the_checkin_code_matches_its_schema(ctx):
    from server.tasks.checkin_codes import issue_code

    token = issue_code(11)["token"]
    text = f"RPCHECKIN:11:{token}"  # what the organiser's screen draws (miniprogram/utils/tasks.js)
    validator("qr.json", "checkin_code_text").validate(text)
    claims = jwt.decode(token, options={"verify_signature": False})
    validator("qr.json", "checkin_code_claims").validate(claims)
    assert claims["aud"] == "task:11"
    assert not validator("qr.json", "checkin_code_text").is_valid(f"RPCHECKIN:0:{token}")


def test_the_point_card_code_matches_its_schema(ctx):
    from server.cards.numbers import new_number, qr_text

    text = qr_text(new_number())
    validator("qr.json", "point_card_text").validate(text)
    assert not validator("qr.json", "point_card_text").is_valid(text[:-1])
    assert not validator("qr.json", "point_card_text").is_valid(text.replace("RPC1", "RPC2"))
