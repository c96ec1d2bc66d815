"""Production refuses to start with demo WeChat settings, a loopback WeChat or a weak key."""

import logging
import secrets

import pytest

from server import create_app
from server.platform.config import ConfigError, load_config
from server.platform.production import secret_key_bits

GOOD = {
    "REDPOINTS_ENV": "production",
    "SECRET_KEY": "",  # filled per test
    "WECHAT_APPID": "wx1234567890abcdef",
    "WECHAT_SECRET": "0f3a9c1e5b7d2468ace0f3a9c1e5b7d2",
}


@pytest.fixture
def production(monkeypatch):
    for name in ("WECHAT_API_BASE", "WECHAT_EMULATOR_STAND_IN", "DATABASE_URL", "FLASK_ENV"):
        monkeypatch.delenv(name, raising=False)
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(48))
    return monkeypatch


def _refusal(tmp_path) -> str:
    with pytest.raises(ConfigError) as refused:
        load_config(str(tmp_path))
    return str(refused.value)


def test_a_real_configuration_starts_and_talks_to_real_wechat(production, tmp_path):
    cfg = load_config(str(tmp_path))
    assert cfg["WECHAT_API_BASE"] == "https://api.weixin.qq.com/"
    assert cfg["WECHAT_EMULATOR_STAND_IN"] is False


@pytest.mark.parametrize(
    "name, value, named",
    [
        ("WECHAT_APPID", "wxdemo0000000000", "WECHAT_APPID is the demo id"),
        ("WECHAT_SECRET", "demo-secret", "WECHAT_SECRET"),
        ("WECHAT_API_BASE", "http://127.0.0.1:8001/", "WECHAT_API_BASE points at a loopback"),
        ("WECHAT_API_BASE", "http://localhost:8001/", "WECHAT_API_BASE points at a loopback"),
        ("WECHAT_API_BASE", "http://[::1]:8001/", "WECHAT_API_BASE points at a loopback"),
        ("WECHAT_API_BASE", "http://0.0.0.0:8001/", "WECHAT_API_BASE points at a loopback"),
        ("WECHAT_API_BASE", "http://10.0.0.5:8001/", "must be an https:// URL"),
        ("WECOM_ROBOT_BASE", "http://127.0.0.1:8001/", "WECOM_ROBOT_BASE points at a loopback"),
        ("WECOM_ROBOT_BASE", "http://10.0.0.5:8001/", "WECOM_ROBOT_BASE must be an https://"),
        ("SECRET_KEY", "dev-insecure-secret-key-do-not-use-in-production", "SECRET_KEY is not"),
        ("SECRET_KEY", "Sh0rt-but-random-9f8e7d", "shorter than 32"),
        ("SECRET_KEY", "k" * 48, "SECRET_KEY repeats"),
        ("SECRET_KEY", "0123456789abcdef" * 3, "SECRET_KEY repeats"),
        ("SECRET_KEY", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "SECRET_KEY is weak"),
    ],
)
def test_production_refuses_naming_the_setting(production, tmp_path, name, value, named):
    production.setenv(name, value)
    message = _refusal(tmp_path)
    assert named in message and "production refuses to start" in message


def test_every_problem_is_named_at_once(production, tmp_path):
    production.setenv("WECHAT_APPID", "wxdemo0000000000")
    production.setenv("WECHAT_API_BASE", "http://127.0.0.1:8001/")
    production.setenv("SECRET_KEY", "short")
    message = _refusal(tmp_path)
    assert all(n in message for n in ("SECRET_KEY", "WECHAT_APPID", "WECHAT_API_BASE"))


def test_generated_keys_pass_the_strength_rule():
    for _ in range(50):
        assert secret_key_bits(secrets.token_urlsafe(48)) >= 128
        assert secret_key_bits(secrets.token_hex(32)) >= 128


def test_the_emulator_stand_in_is_explicit_loopback_only_and_loud(
    production, tmp_path, database_url, caplog
):
    production.setenv("WECHAT_API_BASE", "http://127.0.0.1:8001/")
    production.setenv("WECHAT_EMULATOR_STAND_IN", "1")
    production.setenv("DATABASE_URL", database_url)
    with caplog.at_level(logging.WARNING, logger="redpoints.config"):
        app = create_app()
    assert app.config["WECHAT_EMULATOR_STAND_IN"] is True
    assert any("NOT WeChat" in r.getMessage() for r in caplog.records)

    production.setenv("WECHAT_API_BASE", "http://10.0.0.5:8001/")
    assert "allows only a loopback" in _refusal(tmp_path)
    production.setenv("WECHAT_API_BASE", "http://127.0.0.1:8001/")
    production.setenv("WECHAT_APPID", "wxdemo0000000000")
    assert "WECHAT_APPID is the demo id" in _refusal(tmp_path)  # the stand-in waives nothing else


def test_create_app_refuses_production_with_emulator_settings(production):
    production.setenv("WECHAT_API_BASE", "http://127.0.0.1:8001/")
    with pytest.raises(ConfigError, match="WECHAT_EMULATOR_STAND_IN"):
        create_app()


def test_an_install_outside_the_checkout_says_it_is_not_supported(monkeypatch, tmp_path):
    from server.platform import config

    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path / "site-packages")
    with pytest.raises(ConfigError, match="pip install -e"):
        load_config(str(tmp_path))
