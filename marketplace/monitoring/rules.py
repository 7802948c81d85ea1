"""Who may watch use: buyers their own dashboard (signed in with a session; the usage API
serves keys), merchants their products' (``usage.merchant``, a delivery rule), admins the
platform's dashboard and the alerts of abnormal use."""

from __future__ import annotations

from typing import Any

from marketplace.accounts.rules import is_admin, signed_in
from marketplace.delivery.keys import KeyActor
from marketplace.policy import register, rule


@rule("usage.dashboard")
def _own_dashboard(actor: Any, _resource: Any = None) -> bool:
    """Someone signed in with a session (their own usage; an API key reads the usage API)."""
    return signed_in(actor) and not isinstance(actor, KeyActor)


for _action in ("usage.platform", "usage_alert.view", "usage_alert.close"):
    register(_action, is_admin)
