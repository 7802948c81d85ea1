"""Settings: embedded defaults for development, explicit settings required in production."""

from __future__ import annotations

import pytest

from marketplace.config import ConfigurationError, load_settings

# Production also needs real Stripe keys (tests/unit/commerce/test_payments_config.py).
STRIPE_LIVE_KEYS = {"STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_PUBLISHABLE_KEY": "pk_live_x",
                    "STRIPE_WEBHOOK_SECRET": "whsec_x"}


def test_development_defaults_use_the_instance_folder(tmp_path):
    settings = load_settings(tmp_path / "instance", environ={})
    assert settings["DATABASE_URL"] == f"sqlite:///{tmp_path / 'instance' / 'datamarket.db'}"
    key_file = tmp_path / "instance" / "secret_key"
    assert settings["SECRET_KEY"] == key_file.read_text()
    assert len(settings["SECRET_KEY"]) >= 48
    assert key_file.stat().st_mode & 0o077 == 0, "the key file must not be readable by others"
    assert settings["SESSION_COOKIE_SECURE"] is False


def test_the_generated_secret_key_is_kept_across_starts(tmp_path):
    first = load_settings(tmp_path, environ={})["SECRET_KEY"]
    second = load_settings(tmp_path, environ={})["SECRET_KEY"]
    assert first == second


def test_environment_variables_win(tmp_path):
    settings = load_settings(
        tmp_path,
        environ={"SECRET_KEY": "k" * 40, "DATABASE_URL": "postgresql+psycopg://a:b@h/d",
                 "SMTP_HOST": "mail.example.com", "SMTP_PORT": "2525"},
    )
    assert settings["SECRET_KEY"] == "k" * 40
    assert settings["DATABASE_URL"] == "postgresql+psycopg://a:b@h/d"
    assert (settings["SMTP_HOST"], settings["SMTP_PORT"]) == ("mail.example.com", 2525)
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    ("environ", "missing"),
    [
        ({}, "SECRET_KEY and DATABASE_URL"),
        ({"SECRET_KEY": "k" * 40}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql+psycopg://a:b@h/d"}, "SECRET_KEY"),
    ],
)
def test_production_refuses_to_start_without_explicit_settings(tmp_path, environ, missing):
    with pytest.raises(ConfigurationError, match=f"needs {missing} set"):
        load_settings(tmp_path, environ={"DATAMARKET_ENV": "production", **environ})
    assert not (tmp_path / "secret_key").exists()


def test_production_sets_secure_cookies(tmp_path):
    settings = load_settings(
        tmp_path,
        environ={"DATAMARKET_ENV": "production", "SECRET_KEY": "k" * 40,
                 "DATABASE_URL": "postgresql+psycopg://a:b@h/d", **STRIPE_LIVE_KEYS},
    )
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["REMEMBER_COOKIE_SECURE"] is True


def test_an_unknown_mode_is_an_error(tmp_path):
    with pytest.raises(ConfigurationError, match="'development' or 'production'"):
        load_settings(tmp_path, environ={"DATAMARKET_ENV": "staging"})
