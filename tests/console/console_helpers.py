"""Shared helpers for the console tests (no tests here): start a login as a browser would,
confirm it as the mini-program would, and move a login or a session back in time."""

import re
from datetime import timedelta

from sqlalchemy import select, update

from server.admin.console_models import ConsoleLogin, ConsoleLoginLog, ConsoleSession

LOGINS = "/api/v1/console-logins"
UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"


def scene_of(html: str) -> str:
    return re.search(r'data-scene="([^"]+)"', html).group(1)


def start(client) -> str:
    """Open the login page in `client` (its cookie jar is the browser's); the code's scene."""
    resp = client.get("/console/login", headers={"User-Agent": UA})
    assert resp.status_code == 200, resp.data[:300]
    return scene_of(resp.get_data(as_text=True))


def poll(client):
    return client.get("/console/login/status", headers={"HX-Request": "true"})


def log_in(client, api, identity: str) -> None:
    """The whole scan login: start, confirm as `identity`, poll into a session."""
    scene = start(client)
    resp = api.post(f"{LOGINS}/{scene}/confirm", identity)
    assert resp.status_code == 200, resp.get_json()
    assert poll(client).status_code == 204


def cookie(client, name: str):
    return client.get_cookie(name, path="/console")


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def age_login(query, scene: str, seconds: int) -> None:
    def fn(s):
        login = s.scalar(select(ConsoleLogin).where(ConsoleLogin.scene == scene))
        s.execute(
            update(ConsoleLogin)
            .where(ConsoleLogin.id == login.id)
            .values(expires_at=login.expires_at - timedelta(seconds=seconds))
        )
        s.commit()

    query(fn)


def age_sessions(query, **deltas: timedelta) -> None:
    """Move every session's created_at / last_seen_at back by the given amounts."""

    def fn(s):
        for row in s.scalars(select(ConsoleSession)):
            for column, delta in deltas.items():
                setattr(row, column, getattr(row, column) - delta)
        s.commit()

    query(fn)


def outcomes(query) -> list[tuple[int | None, str]]:
    return query(
        lambda s: [
            (row.user_id, row.outcome)
            for row in s.scalars(select(ConsoleLoginLog).order_by(ConsoleLoginLog.id))
        ]
    )


def revoked(query) -> list[bool]:
    return query(lambda s: [r.revoked_at is not None for r in s.scalars(select(ConsoleSession))])
