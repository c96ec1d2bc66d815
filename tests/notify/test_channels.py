"""Group channels: registering a WeCom robot (a test message first), its key never shown."""

from sqlalchemy import func, select

from server.db.audit import AuditLog
from server.notify.channel_models import GroupChannel
from tests.conftest import error_code
from tests.notify.channel_helpers import CHANNELS, WEBHOOK, new_robot, received, register


def channel_count(query) -> int:
    return query(lambda s: s.scalar(select(func.count(GroupChannel.id))))


def test_an_admin_registers_a_robot_from_a_pasted_url_and_the_group_hears_it(
    api, seeded, query, emulator
):
    channel, key = register(api, emulator)
    assert channel["key_hint"] == f"…{key[-4:]}" and channel["active"] is True
    assert channel["grid"] is None
    messages = received(emulator, key)
    assert len(messages) == 1 and "已接入" in messages[0]["content"]
    listed = api.get(CHANNELS, "admin").get_json()["items"]
    assert [c["id"] for c in listed] == [channel["id"]]
    assert key not in str(listed) and key not in str(channel)
    audit = query(
        lambda s: s.scalars(select(AuditLog).where(AuditLog.action == "group_channel.create")).one()
    )
    assert audit.after["key_hint"] == f"…{key[-4:]}" and key not in str(audit.after)


def test_refusals_store_nothing(api, seeded, query, emulator):
    key = new_robot(emulator)
    body = {"key": WEBHOOK.format(key), "name": "志愿者群"}
    resp = api.post(CHANNELS, "resident-1", json=body)
    assert resp.status_code == 403
    unknown = api.post(CHANNELS, "admin", json={**body, "key": WEBHOOK.format("0" * 36)})
    assert unknown.status_code == 422 and error_code(unknown) == "robot_key_rejected"
    nonsense = api.post(CHANNELS, "admin", json={**body, "key": "请粘贴地址"})
    assert nonsense.status_code == 422
    assert channel_count(query) == 0
    assert api.post(CHANNELS, "admin", json=body).status_code == 201
    again = api.post(CHANNELS, "admin", json={**body, "key": key})
    assert again.status_code == 409 and error_code(again) == "channel_exists"
    assert channel_count(query) == 1


def test_deactivating_a_channel_is_for_its_own_community_admin(api, seeded, query, emulator):
    channel, _key = register(api, emulator)
    url = f"{CHANNELS}/{channel['id']}/deactivate"
    assert api.post(url, "reviewer").status_code == 403
    resp = api.post(url, "admin")
    assert resp.status_code == 200 and resp.get_json()["active"] is False
