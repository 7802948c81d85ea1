"""The sample as a buyer receives it: each field masked as its declared sensitivity says.

The masking is the governance tools plugin's own (its ``desensitize`` operation, called through
the plugin runtime like any delivery), so the product page shows what a buyer will get, not the
platform's idea of it. Fields the merchant declares not sensitive are delivered as they are, and
only the sensitive columns are sent to the plugin.

It fails closed: when the plugin is switched off, paused, slow or refuses the rows, the page
says the preview is unavailable and shows no sample rows at all, never the rows as typed.

A published listing never changes, so each listing's preview is made once per server process.
Failures are remembered for a short while, so a failing plugin is not called on every view.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from datamarket_sdk import Scope
from flask_babel import lazy_gettext as _l

from marketplace.catalog.models import Listing, Sensitivity
from marketplace.plugins.errors import InvocationError
from marketplace.plugins.runtime import PluginRuntime

log = logging.getLogger(__name__)

MASKING_PLUGIN, MASKING_OPERATION = "governance_tools", "desensitize"
#: The strategy each declared sensitivity is delivered with (the governance plugin's names).
MASKING_BY_SENSITIVITY: dict[str, dict[str, Any]] = {
    Sensitivity.PERSONAL: {"strategy": "partial_mask"},
    Sensitivity.SENSITIVE_PERSONAL: {"strategy": "partial_mask",
                                     "params": {"keep_first": 1, "keep_last": 1}},
    Sensitivity.CONFIDENTIAL: {"strategy": "full_mask"},
}
MASKING_LABELS = {
    "partial_mask": _l("partly masked"),
    "full_mask": _l("fully masked"),
}
#: Who the plugin is told is asking: the platform itself, for a public page.
PREVIEW_BUYER = "platform:sample-preview"
CACHE_SIZE = 512
RETRY_FAILED_AFTER = 30.0


@dataclass(frozen=True)
class SamplePreview:
    """The masked rows (``None`` when unavailable), and the fields masked with how."""

    rows: list[dict[str, Any]] | None
    masked: dict[str, str]

    @property
    def available(self) -> bool:
        return self.rows is not None


# Per runtime (so per app), by listing id and last change.
_caches: weakref.WeakKeyDictionary[PluginRuntime, OrderedDict] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def policies_for(listing: Listing) -> list[dict[str, Any]]:
    """The masking of each sensitive field of the listing's data dictionary."""
    policies = []
    for field in listing.data_dictionary:
        masking = MASKING_BY_SENSITIVITY.get(field.get("sensitivity") or Sensitivity.NONE)
        if masking is not None:
            policies.append({"field": field["name"], **masking})
    return policies


def _mask(runtime: PluginRuntime, listing: Listing) -> SamplePreview:
    policies = policies_for(listing)
    masked = {policy["field"]: policy["strategy"] for policy in policies}
    rows = [dict(row) for row in listing.sample_rows]
    if not policies or not rows:
        return SamplePreview(rows, masked)
    sensitive = [{name: row.get(name) for name in masked} for row in rows]
    try:
        answer = runtime.invoke(MASKING_PLUGIN, MASKING_OPERATION,
                                {"rows": sensitive, "policies": policies, "output_format": "rows"},
                                buyer=PREVIEW_BUYER, scope=Scope({MASKING_OPERATION}))
    except InvocationError as exc:
        log.info("sample preview of listing %s unavailable: %s", listing.id, exc)
        return SamplePreview(None, masked)
    result = answer.get("rows")
    if not isinstance(result, list) or len(result) != len(rows):
        return SamplePreview(None, masked)
    for row, masked_row in zip(rows, result, strict=True):
        for name in masked:
            row[name] = masked_row.get(name)
    return SamplePreview(rows, masked)


def masked_sample(runtime: PluginRuntime, listing: Listing) -> SamplePreview:
    """The listing's sample rows as delivered (see the module's docstring)."""
    now = time.monotonic()
    key = (listing.id, listing.updated_at)
    with _lock:
        cache = _caches.setdefault(runtime, OrderedDict())
        cached = cache.get(key)
        if cached is not None and (cached[1].available or now - cached[0] < RETRY_FAILED_AFTER):
            cache.move_to_end(key)
            return cached[1]
    preview = _mask(runtime, listing)
    with _lock:
        cache[key] = (now, preview)
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
    return preview
