"""The platform admin area under ``/admin``: one blueprint, one module per domain.

- :mod:`.dashboard`: the overview;
- :mod:`.reviews`: the review queue and the decision on a listing;
- :mod:`.listings`: listings on sale, suspended, reinstated or retired;
- :mod:`.product_reviews`: buyers' reviews, hidden or shown again;
- :mod:`.organizations`: merchant organizations verified or refused;
- :mod:`.users`: users and their roles;
- :mod:`.orders`: every order, and refunds;
- :mod:`.commission`: the default commission rate and each merchant's own;
- :mod:`.payouts`: what merchants are owed, and payouts recorded;
- :mod:`.plugins`: plugins enabled, disabled, trusted or isolated;
- :mod:`.audit`: the audit log and its chain verified;
- :mod:`.usage`: the platform's dashboard (GMV, orders, calls, review turnaround);
- :mod:`.alerts`: abnormal-use alerts, with their evidence, closed;
- :mod:`.jobs`: background jobs, the failed ones retried.

Each view also asks the policy for its own action; pages that more than one area shows (the
refund form, for one) come from their domain's page parts, never from another area's views.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort

from marketplace.commerce.pages import commerce_labels
from marketplace.db import get_session
from marketplace.policy import authorize

blp = Blueprint("admin", __name__, template_folder="../templates", url_prefix="/admin")
# The commerce pages keep the endpoint names they had before (``commerce_admin.orders_list``);
# review moderation has its own blueprint because ``reviews`` still names the buyer's review form.
commerce_blp = Blueprint("commerce_admin", __name__, url_prefix="/admin")
reviews_blp = Blueprint("reviews_admin", __name__, url_prefix="/admin")
BLUEPRINTS = (blp, commerce_blp, reviews_blp)
# The orders, commission and payouts pages name commerce values as the merchant's pages do.
commerce_blp.context_processor(commerce_labels)


def _admins_only():
    """The whole area is for platform admins, whatever a page's own action would allow.

    Some actions used here (``listing.retire``, ``order.refund``) are also granted to the owning
    merchant in the merchant area; this gate keeps the admin URLs from becoming a second way in.
    """
    authorize("admin.dashboard")


for _blueprint in BLUEPRINTS:
    _blueprint.before_request(_admins_only)


def get_or_404(model: type, object_id: int) -> Any:
    """The row of ``model`` with this primary key, or a 404 page."""
    found = get_session().get(model, object_id)
    if found is None:
        abort(404)
    return found


# The pages register their routes on these blueprints when imported.
from marketplace.admin.views import (  # noqa: E402, F401
    alerts,
    audit,
    commission,
    dashboard,
    jobs,
    listings,
    orders,
    organizations,
    payouts,
    plugins,
    product_reviews,
    reviews,
    usage,
    users,
)
