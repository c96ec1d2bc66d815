"""Rewards settings: app config first, then the environment, then the documented default.

(The keys belong in server/platform/config.py; until the lead moves them there, they are read here.)
"""

import os

from flask import current_app

DEFAULTS = {
    "REDEMPTION_EXPIRY_DAYS": "7",  # reservation lifetime
    "REDEMPTION_CODE_TTL": "60",  # seconds a QR code stays valid
    "REDEMPTION_VERIFY_RATE_LIMIT": "30 per minute",  # per staff member, preview and verify
}


def setting(name: str) -> str:
    value = current_app.config.get(name)
    if value in (None, ""):
        value = os.environ.get(name) or DEFAULTS[name]
    return str(value)
