"""Card numbers and the signed QR text printed on a card.

A card number is 12 random characters from an alphabet without look-alikes (about 58 bits),
so numbers cannot be counted through or guessed. The QR carries `RPC1.<number>.<signature>`:
an HMAC of the number under a key derived from SECRET_KEY for this purpose alone, cut to 16
characters (80 bits). The signature only proves the server printed it; whether the card is
still good is the database's answer (a replaced card is refused at once).
"""

import base64
import hashlib
import hmac
import re
import secrets

from flask import current_app

from server.cards.models import NUMBER_LENGTH
from server.http.errors import AppError, BadRequest

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
PREFIX = "RPC1"
SIGNATURE_LENGTH = 16
MAX_QR_LENGTH = 64
_QR = re.compile(
    rf"^{PREFIX}\.([{ALPHABET}]{{{NUMBER_LENGTH}}})\.([A-Z2-7]{{{SIGNATURE_LENGTH}}})$"
)


class CardInvalid(BadRequest):
    code, message = "card_invalid", "积分卡二维码无效，请确认是社区发放的积分卡"


class CardReplaced(AppError):
    status, code, message = 410, "card_replaced", "此卡已挂失补办，不能再使用，请使用新卡"


def new_number() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(NUMBER_LENGTH))


def _signature(number: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    key = hmac.new(secret, b"redpoints/card-qr/v1", hashlib.sha256).digest()
    digest = hmac.new(key, number.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:SIGNATURE_LENGTH]


def qr_text(number: str) -> str:
    """What the card's QR code encodes."""
    return f"{PREFIX}.{number}.{_signature(number)}"


def number_from_qr(text: str) -> str:
    """The card number a scanned QR names; CardInvalid when it is malformed or forged."""
    match = (
        _QR.match(text.strip()) if isinstance(text, str) and len(text) <= MAX_QR_LENGTH else None
    )
    if match is None:
        raise CardInvalid()
    number, signature = match.groups()
    if not hmac.compare_digest(signature, _signature(number)):
        raise CardInvalid()
    return number
