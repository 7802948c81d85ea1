"""Payment settings: localstripe by default, real keys and real Stripe required in production."""

from __future__ import annotations

import pytest

from marketplace.config import ConfigurationError, load_settings

PRODUCTION = {"DATAMARKET_ENV": "production", "SECRET_KEY": "k" * 40,
              "DATABASE_URL": "postgresql+psycopg://a:b@h/d"}
LIVE_KEYS = {"STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_PUBLISHABLE_KEY": "pk_live_x",
             "STRIPE_WEBHOOK_SECRET": "whsec_live_x"}


def test_development_talks_to_localstripe_on_loopback(tmp_path):
    settings = load_settings(tmp_path, environ={})
    assert settings["STRIPE_API_BASE"] == "http://127.0.0.1:8420"
    assert settings["STRIPE_SECRET_KEY"] == "sk_test_localstripe"
    assert settings["STRIPE_PUBLISHABLE_KEY"] == "pk_test_localstripe"
    assert settings["STRIPE_WEBHOOK_SECRET"] == "whsec_localstripe"
    assert settings["PAYMENTS_CURRENCY"] == "cny"
    assert settings["STRIPE_INSTANCE_TAG"] == "datamarket"


def test_an_empty_api_base_means_real_stripe(tmp_path):
    settings = load_settings(tmp_path, environ={"STRIPE_API_BASE": "", **LIVE_KEYS})
    assert settings["STRIPE_API_BASE"] == ""
    assert settings["STRIPE_SECRET_KEY"] == "sk_live_x"


def test_production_uses_real_stripe_with_the_keys_given(tmp_path):
    settings = load_settings(tmp_path, environ={**PRODUCTION, **LIVE_KEYS,
                                                "STRIPE_INSTANCE_TAG": "dm-prod"})
    assert settings["STRIPE_API_BASE"] == ""
    assert settings["STRIPE_WEBHOOK_SECRET"] == "whsec_live_x"
    assert settings["STRIPE_INSTANCE_TAG"] == "dm-prod"


@pytest.mark.parametrize(("keys", "named"), [
    ({}, "STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET"),
    ({**LIVE_KEYS, "STRIPE_SECRET_KEY": "sk_test_localstripe"}, "STRIPE_SECRET_KEY"),
    ({**LIVE_KEYS, "STRIPE_WEBHOOK_SECRET": "whsec_localstripe"}, "STRIPE_WEBHOOK_SECRET"),
    ({**LIVE_KEYS, "STRIPE_PUBLISHABLE_KEY": ""}, "STRIPE_PUBLISHABLE_KEY"),
])
def test_production_refuses_the_localstripe_defaults(tmp_path, keys, named):
    with pytest.raises(ConfigurationError, match=f"needs {named} set") as caught:
        load_settings(tmp_path, environ={**PRODUCTION, **keys})
    assert "localstripe defaults" in str(caught.value)
