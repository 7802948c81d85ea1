"""``datamarket payments dev-setup``: how ``make run`` points localstripe's webhooks at us."""

from __future__ import annotations

from tests.commerce_support import WebhookReceiver


def test_dev_setup_registers_our_webhook_endpoint_with_localstripe(app, payments):
    receiver = WebhookReceiver()
    try:
        result = app.test_cli_runner().invoke(
            args=["payments", "dev-setup", "--webhook-url", receiver.url, "--wait", "5"])
        assert result.exit_code == 0, result.output
        assert f"sends every event to {receiver.url}" in result.output

        customer = payments.ensure_customer(user_id=3, email="c@example.com", customer_id=None)
        delivery = receiver.wait_for("customer.created", object_id=customer)
        # Signed with the app's own webhook secret, so the adapter accepts it.
        event = payments.construct_event(delivery.body, delivery.headers["Stripe-Signature"])
        assert payments.is_ours(event.object)
    finally:
        receiver.close()


def test_dev_setup_refuses_real_stripe(app):
    app.config["STRIPE_API_BASE"] = ""
    result = app.test_cli_runner().invoke(
        args=["payments", "dev-setup", "--webhook-url", "http://127.0.0.1:1/payments/webhook"])
    assert result.exit_code != 0
    assert "real Stripe" in result.output


def test_dev_setup_says_when_localstripe_does_not_answer(app):
    # Without the localstripe fixture the app points at a closed port.
    result = app.test_cli_runner().invoke(
        args=["payments", "dev-setup", "--webhook-url", "http://127.0.0.1:1/x", "--wait", "0.5"])
    assert result.exit_code != 0
    assert "does not answer" in result.output
