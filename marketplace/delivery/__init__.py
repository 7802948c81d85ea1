"""Delivery: what a buyer may use, and (with the gateway) every call and download made under it.

- :mod:`.models` — entitlements and usage records;
- :mod:`.entitlements` — granting, extending, suspending and revoking, each audited;
- :mod:`.announce` — telling plugins about grants and revocations after the commit.

Commerce grants entitlements when an order is paid; delivery never imports commerce.
"""
