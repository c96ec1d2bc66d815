"""Rewards settings: app config first, then the environment, then the documented default.

(The keys belong in server/platform/config.py; until the lead moves them there, they are read here.)
"""

import os

from flask import current_app

DEFAULTS = {
    "REDEMPTION_EXPIRY_DAYS": "7",  # reservation lifetime
    "REDEMPTION_CODE_TTL": "60",  # seconds a QR code stays valid
    "REDEMPTION_VERIFY_RATE_LIMIT": "30 per minute",  # per staff member, preview and verify
    # Typed codes (数字码) tried against one redemption, by anyone: guessing its 6 check digits
    # must not add up over a day (two right answers in a million per minute).
    "REDEMPTION_MANUAL_CODE_RATE_LIMIT": "10 per hour",
}


def setting(name: str) -> str:
    value = current_app.config.get(name)
    if value in (None, ""):
        value = os.environ.get(name) or DEFAULTS[name]
    return str(value)
