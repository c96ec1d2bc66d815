"""How often one can log in: per address, per device and per WeChat identity.

A community hall's shared Wi-Fi or a carrier NAT puts hundreds of residents behind one
address, so the per-address limit (LOGIN_RATE_LIMIT, 600 a minute) only stops floods; the
tight limits are per device (LOGIN_DEVICE_RATE_LIMIT, 10 a minute, keyed by the X-Device-Id the
mini-program sends) and per identity (LOGIN_IDENTITY_RATE_LIMIT, 10 a minute, keyed by the
openid WeChat returns, so a fresh code does not start a fresh count). A refusal is 429
`rate_limited` with a Retry-After that admits the client that waits it.
"""

import hashlib

from flask import current_app

from server.http.rate_limits import hit


def limit_client(address: str, device_id: str | None) -> None:
    """Count a login attempt of an address and, when it sent one, a device (before WeChat)."""
    cfg = current_app.config
    hit("login", cfg["LOGIN_RATE_LIMIT"], address)
    if device_id:
        hit("login_device", cfg["LOGIN_DEVICE_RATE_LIMIT"], device_id)


def limit_identity(openid: str) -> None:
    """Count a login of the WeChat identity behind the code (after WeChat named it)."""
    # Hashed: counter keys (Redis) need not spell out who logs in.
    who = hashlib.sha256(openid.encode()).hexdigest()[:32]
    hit("login_identity", current_app.config["LOGIN_IDENTITY_RATE_LIMIT"], who)
