"""Commerce: orders, payments through one Stripe adapter, entitlements and the ledger."""
