"""What production refuses to start with: demo WeChat settings, a loopback WeChat or WeCom
robot address, a weak key.

WECHAT_EMULATOR_STAND_IN=1 is the one named escape: it lets a production configuration talk
to the local WeChat emulator on a loopback address (to try the production steps on one
machine), and the app logs a loud warning on every start while it is set.
"""

import ipaddress
import logging
import math
from collections import Counter
from urllib.parse import urlsplit

DEMO_WECHAT_APPID = "wxdemo0000000000"
DEMO_WECHAT_SECRET = "demo-secret"
REAL_WECHAT_API_BASE = "https://api.weixin.qq.com/"
REAL_WECOM_ROBOT_BASE = "https://qyapi.weixin.qq.com/"
SECRET_KEY_MIN_LENGTH = 32
SECRET_KEY_MIN_BITS = 128
STAND_IN_WARNING = (
    "WECHAT_EMULATOR_STAND_IN=1: production is logging in through the local WeChat emulator "
    "at %s, NOT WeChat. Anyone who can reach it can log in as anyone. Remove the setting and "
    "point WECHAT_API_BASE at https://api.weixin.qq.com/ before real residents use this server."
)


def secret_key_bits(key: str) -> float:
    """Estimated strength: length x Shannon entropy of the key's own characters."""
    if not key:
        return 0.0
    counts = Counter(key)
    per_char = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    return per_char * len(key)


def secret_key_problem(key: str, default_key: str) -> str | None:
    if not key or key == default_key:
        return "SECRET_KEY is not set (the development default is refused)"
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"SECRET_KEY is shorter than {SECRET_KEY_MIN_LENGTH} characters"
    if key in (key + key)[1:-1]:  # periodic: "abcabc..." is one short secret repeated
        return "SECRET_KEY repeats a shorter string"
    if secret_key_bits(key) < SECRET_KEY_MIN_BITS:
        return f"SECRET_KEY is weak (under {SECRET_KEY_MIN_BITS} bits estimated)"
    return None


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return True
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def wechat_problems(cfg: dict) -> list[str]:
    problems = []
    if cfg.get("WECHAT_APPID") in (None, "", DEMO_WECHAT_APPID):
        problems.append(f"WECHAT_APPID is the demo id {DEMO_WECHAT_APPID} (set your AppID)")
    if cfg.get("WECHAT_SECRET") in (None, "", DEMO_WECHAT_SECRET):
        problems.append("WECHAT_SECRET is not set (the demo secret is refused)")
    for name, real in (
        ("WECHAT_API_BASE", REAL_WECHAT_API_BASE),
        ("WECOM_ROBOT_BASE", REAL_WECOM_ROBOT_BASE),
    ):
        problems += _base_problems(cfg, name, real)
    return problems


def _base_problems(cfg: dict, name: str, real: str) -> list[str]:
    """A WeChat or WeCom address: https and not loopback, or loopback under the stand-in."""
    base = urlsplit(cfg.get(name) or "")
    if cfg.get("WECHAT_EMULATOR_STAND_IN"):
        if is_loopback_host(base.hostname) or base.geturl() == real:
            return []
        return [
            f"WECHAT_EMULATOR_STAND_IN=1 allows only a loopback {name} "
            f"(got {base.hostname!r}); remove the setting for real WeChat"
        ]
    if is_loopback_host(base.hostname):
        return [
            f"{name} points at a loopback address (the local emulator); use "
            f"{real}, or set WECHAT_EMULATOR_STAND_IN=1 to try production "
            "against the emulator"
        ]
    if base.scheme != "https":
        return [f"{name} must be an https:// URL (the emulator speaks only http)"]
    return []


def production_problems(cfg: dict, default_key: str) -> list[str]:
    """Every reason this configuration must not serve production; empty when it may."""
    problems = wechat_problems(cfg)
    if problem := secret_key_problem(cfg.get("SECRET_KEY") or "", default_key):
        problems.insert(0, problem)
    return problems


def warn_if_stand_in(cfg: dict) -> None:
    if cfg.get("ENV_NAME") == "production" and cfg.get("WECHAT_EMULATOR_STAND_IN"):
        logging.getLogger("redpoints.config").warning(STAND_IN_WARNING, cfg["WECHAT_API_BASE"])
