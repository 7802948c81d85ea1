"""The payment provider's webhook: signature first, then each event handled once.

Views parse the form, ask the policy, call the commerce services and commit; the services in
:mod:`~marketplace.commerce.payments.flow` call the provider and commit themselves.
"""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    jsonify,
    request,
)

from marketplace.commerce.payments import (
    WebhookSignatureError,
    get_payments,
    refunds,
    webhooks,
)
from marketplace.db import get_session
from marketplace.policy import public
from marketplace.web import csrf, text_input
from marketplace.web.errors import problem_response

blp = Blueprint("payments", __name__)
log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------- webhook


@blp.route("/payments/webhook", methods=["POST"])
@public
@text_input.exempt
def webhook():
    """The payment provider's events: verified first (bad signature: 400, nothing changes),
    then handled once each; a failure rolls back and answers 500 so that the provider retries."""
    gateway = get_payments()
    try:
        event = gateway.construct_event(request.get_data(),
                                        request.headers.get("Stripe-Signature"))
    except WebhookSignatureError as exc:
        return problem_response(400, str(exc))
    db = get_session()
    try:
        outcome = webhooks.handle(db, gateway, event)
        db.commit()
    except Exception:
        db.rollback()
        log.exception("webhook event %s (%s) failed; the provider will retry it",
                      event.id, event.type)
        return problem_response(500, "The event could not be handled; send it again later.")
    # A charge for an order that was already paid is returned now that it is recorded; if the
    # provider cannot be reached, reconcile returns it later (the event itself is handled).
    for order_id in sorted(db.info.pop("duplicate_charges", ())):
        try:
            refunds.settle_duplicates(db, gateway, order_id)
        except Exception:
            db.rollback()
            log.exception("the duplicate charge of order %s could not be refunded yet", order_id)
    return jsonify(received=True, outcome=outcome)


csrf.exempt(webhook)
