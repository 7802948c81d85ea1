"""Named points where a test can make the process die, to prove that recovery works.

``DATAMARKET_FAILPOINTS=after_payment_confirmed`` makes a server process exit abruptly right
after the payment provider confirmed a payment and before we recorded it: the situation that
``datamarket payments reconcile`` must repair. ``search_apply_start`` kills a process that
committed a catalog change before the search index was touched, and
``search_after_index_commit`` one whose index commit landed before its outbox rows were removed:
the two moments the search outbox must recover from. Unset (always, outside such tests) they do
nothing.
"""

from __future__ import annotations

import os


def hit(name: str) -> None:
    """Exit at once, without cleanup, if the failpoint ``name`` is switched on."""
    if name in os.environ.get("DATAMARKET_FAILPOINTS", "").split(","):
        os._exit(75)
