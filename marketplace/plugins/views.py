"""The merchant's "Your plugins" page (``/merchant/plugins``): every plugin whose manifest names
the organization's credit code, loaded or not and why, with its operations' breakers and the
real errors of its recent incidents, which its buyers only know by id."""

from __future__ import annotations

from flask import Blueprint, render_template

from marketplace.accounts.models import MerchantOrganization
from marketplace.db import get_session
from marketplace.plugins import get_runtime, owners
from marketplace.policy import authorize, current_actor

blp = Blueprint("plugins", __name__, template_folder="templates")


@blp.route("/merchant/plugins")
def your_plugins():
    actor = current_actor()
    db = get_session()
    organization = (db.get(MerchantOrganization, actor.organization_id)
                    if actor is not None and actor.organization_id else None)
    authorize("plugin.view_own", organization)
    runtime = get_runtime()
    runtime.ensure_synced()  # what this start found, failures included
    return render_template(
        "plugins/your_plugins.html",
        organization=organization,
        plugins=owners.owned_plugins(db, runtime.breakers, organization.credit_code),
    )
