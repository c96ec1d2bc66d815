"""Masking for anything shown beyond its owner: names as 张*明, phones as 138****5678."""

# A deleted account's name (server/privacy/deletion.py): shown as it is, it names nobody.
DELETED_PREFIX = "已注销用户#"


def pseudonym(user_id: int) -> str:
    return f"{DELETED_PREFIX}{user_id}"


def mask_name(name: str | None) -> str:
    if not name:
        return "匿名用户"
    if name.startswith(DELETED_PREFIX):
        return name
    name = name.strip()
    if len(name) == 1:
        return name + "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return None
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
