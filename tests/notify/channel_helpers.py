"""Shared helpers for the group-channel and delivery tests (no tests here)."""

import requests

CHANNELS = "/api/v1/admin/group-channels"
DELIVERIES = "/api/v1/admin/deliveries"
WEBHOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={}"


def new_robot(emulator) -> str:
    """A robot the emulator knows; its key."""
    resp = requests.post(emulator.base + "_emulator/robots", json={})
    resp.raise_for_status()
    return resp.json()["key"]


def received(emulator, key: str) -> list[dict]:
    resp = requests.get(emulator.base + f"_emulator/robots/{key}/messages")
    resp.raise_for_status()
    return resp.json()["messages"]


def register(api, emulator, name="幸福社区志愿者群", grid_id=None, as_="admin") -> tuple[dict, str]:
    key = new_robot(emulator)
    body = {"key": WEBHOOK.format(key), "name": name, "grid_id": grid_id}
    resp = api.post(CHANNELS, as_, json=body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json(), key
