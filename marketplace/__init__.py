"""Datamarket: a marketplace for authorized public data products.

:func:`create_app` builds the Flask app in a fixed order: settings (and the typed
:class:`~marketplace.settings.Settings` services read), the domains' authorization rules
(:mod:`marketplace.rules`), database, the background jobs' queue, search, translations, sign-in,
CSRF, the authorization guard, the payments adapter, the HTML blueprints, the listeners of the
plugin runtime's and the job runner's signals, the plugins, the JSON API, and error pages."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from marketplace.config import load_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STATIC_FOLDER = PROJECT_ROOT / "static"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the marketplace app.

    :param config: settings that override those read from the environment (tests use this).
    """
    instance_path = os.environ.get("DATAMARKET_INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    if config and config.get("INSTANCE_PATH"):
        instance_path = str(config["INSTANCE_PATH"])
    app = Flask(
        __name__,
        static_folder=str(STATIC_FOLDER),
        static_url_path="/static",
        instance_path=instance_path,
    )
    app.config.update(load_settings(Path(app.instance_path)))
    if config:
        app.config.update(config)
    from marketplace import settings

    settings.init_app(app)

    from marketplace import datasets, db, i18n, jobs, plugins, policy, search, web
    from marketplace import rules as _domain_rules  # noqa: F401  registers every domain's rules
    from marketplace import tasks as _domain_jobs  # noqa: F401  registers every domain's job kinds
    from marketplace.accounts import auth
    from marketplace.api import init_api
    from marketplace.catalog import templating as catalog_templating
    from marketplace.commerce import payments
    from marketplace.delivery import key_auth
    from marketplace.notifications import job_notices, owner_notices, plugin_notices
    from marketplace.notifications import request_hooks as notification_hooks
    from marketplace.plugins.errors import InvocationError
    from marketplace.storefront import cache as storefront_cache

    db.init_app(app)
    datasets.init_app(app)
    jobs.init_app(app)
    search.init_app(app)
    storefront_cache.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    key_auth.init_app(app)  # requests with an API key: the key's actor, and no session
    web.init_app(app)
    # Domains add their own parts to every page; the web package knows none of them.
    catalog_templating.init_app(app)
    notification_hooks.init_app(app)
    web.errors.register_status_error(app, InvocationError)
    policy.init_app(app)
    payments.init_app(app)
    _register_blueprints(app)
    # Plugins after the core blueprints and before the API, as indico does: a plugin that
    # fails to load is recorded as failed and the platform keeps starting. The runtime only
    # announces what happens to plugins; the listeners that tell people are wired here.
    plugin_notices.init_app(app)
    owner_notices.init_app(app)
    job_notices.init_app(app)
    plugins.init_app(app)
    init_api(app)
    policy.declare_public_endpoint(app, "static")

    from marketplace.cli import register_commands

    register_commands(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from marketplace.accounts.password_views import blp as passwords
    from marketplace.accounts.views import blp as accounts
    from marketplace.admin.views import BLUEPRINTS as admin_blueprints
    from marketplace.authorization.views import blp as authorization
    from marketplace.catalog.grant_views import blp as dataset_grants
    from marketplace.catalog.views import blp as merchant
    from marketplace.commerce.account_views import blp as commerce_account
    from marketplace.commerce.merchant_views import blp as commerce_merchant
    from marketplace.commerce.request_views import blp as buyer_requests
    from marketplace.commerce.views import blp as commerce
    from marketplace.commerce.webhook_view import blp as payments_webhook
    from marketplace.datasets.views import blp as datasets
    from marketplace.delivery.download_views import blp as downloads
    from marketplace.delivery.gateway_views import blp as gateway
    from marketplace.delivery.key_views import blp as api_keys
    from marketplace.delivery.views import blp as delivery
    from marketplace.monitoring.views import blp as usage_dashboards
    from marketplace.notifications.views import blp as notifications
    from marketplace.plugins.views import blp as plugin_owners
    from marketplace.reviews.views import blp as reviews
    from marketplace.storefront.views import blp as storefront
    from marketplace.web import csrf

    for blueprint in (storefront, accounts, passwords, notifications, merchant, *admin_blueprints,
                      commerce, commerce_account, commerce_merchant, buyer_requests,
                      payments_webhook, reviews, delivery, authorization, api_keys, gateway,
                      datasets, dataset_grants, usage_dashboards, downloads, plugin_owners):
        app.register_blueprint(blueprint)
    csrf.exempt(gateway)  # API keys only, never the session cookie: nothing to forge
