"""Serial numbers printed on documents that anyone may check (VS… records, CR… references).

Random from the OS's CSPRNG, never derived from ids or content, so a serial says nothing about
whose it is and its neighbours cannot be guessed. The alphabet leaves out 0/O, 1/I/L and U so
a serial read off paper and typed back is unambiguous.
"""

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # 30 symbols: 12 of them are ~59 bits
GROUPS, GROUP_LEN = 3, 4
MAX_SERIAL = 32  # longer input cannot be one of ours (ours are 21 characters)


def new_serial(prefix: str, year: int) -> str:
    """E.g. VS2026-7KQ4-M2XH-9PZC."""
    groups = ("".join(secrets.choice(ALPHABET) for _ in range(GROUP_LEN)) for _ in range(GROUPS))
    return f"{prefix}{year}-" + "-".join(groups)


def new_code(length: int = 8) -> str:
    """A check code (about 39 bits) to keep beside a serial; only its digest is stored."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalise(text: str | None) -> str:
    """What a person typed, as we store it: upper case, no spaces, at most MAX_SERIAL long."""
    cleaned = "".join((text or "").split()).upper()
    return cleaned[:MAX_SERIAL]
