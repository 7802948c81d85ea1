"""Keeps every order and entitlement event it is told about, in order, in ``RECEIVED``."""

from datamarket_sdk import EntitlementEvent, Manifest, OrderPaid, hookimpl

RECEIVED: list[tuple[str, dict]] = []


@hookimpl
def datamarket_plugin_manifest() -> Manifest:
    return Manifest(name="order_listener", version="1.0", merchant="", sdk=">=0.1,<0.2")


@hookimpl
def datamarket_order_paid(event: OrderPaid) -> None:
    RECEIVED.append(("order_paid", event.to_wire()))


@hookimpl
def datamarket_entitlement_granted(event: EntitlementEvent) -> None:
    RECEIVED.append(("entitlement_granted", event.to_wire()))


@hookimpl
def datamarket_entitlement_revoked(event: EntitlementEvent) -> None:
    RECEIVED.append(("entitlement_revoked", event.to_wire()))
