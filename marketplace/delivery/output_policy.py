"""The output policy: what of an operation's answer its caller may see (DESIGN.md §2, flow 5).

Applied by the gateway to every answer, after the plugin answered and before anything is
metered or returned, as the caller's :class:`~marketplace.delivery.scope.OperationGrant` says:

1. **Drop** the fields outside ``grant.fields`` (``None``: every field). Operations answer a
   JSON object whose top-level fields are values (``score``, ``risk_level``) or *lists of
   records* (``findings``, ``columns``, ``rows``: a list whose items are all objects). A
   top-level field named in ``grant.fields`` is kept whole. A list of records not named is
   kept as a list, each record narrowed to the granted fields it has, so that a scope can name
   a record's fields (``name``, ``city``) as a data dictionary does. Any other field not named
   is dropped. Nothing deeper is looked at: a nested object is one value.
2. **Mask** each field ``grant.masking`` names (top-level values and the records' fields alike)
   with the named masking strategy of the governance plugin, run through the plugin runtime
   (on a pool thread when that plugin is trusted, else in its worker process), one call per
   field however many records there are.

It fails **closed**: every strategy the grant names must be offered by an enabled plugin,
checked before anything else, whether or not this answer holds the field; a strategy that is
missing or fails raises an :class:`~marketplace.plugins.errors.InvocationError` (503 or 502),
and no data is returned. Keyed strategies (``pseudonymize``, ``shift_date``) get a key of the
caller's own, derived from the platform's secret and the buyer's pseudonym, so tokens join
within one buyer's answers but not across buyers; without ``buyer`` they fail closed too.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from marketplace.delivery.scope import OperationGrant
from marketplace.plugins.errors import GovernanceStepUnavailable
from marketplace.plugins.records import Snapshot
from marketplace.plugins.runtime import PluginRuntime

MASKING = "masking"


class MaskingUnavailable(GovernanceStepUnavailable):
    """A masking strategy the caller's scope needs is not offered by any enabled plugin."""


def _is_records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict)
                                                            for item in value)


def _narrowed(output: Mapping[str, Any], fields: frozenset[str] | None) -> dict[str, Any]:
    if fields is None:
        return {key: ([dict(item) for item in value] if _is_records(value) else value)
                for key, value in output.items()}
    kept: dict[str, Any] = {}
    for key, value in output.items():
        if key in fields:
            kept[key] = [dict(item) for item in value] if _is_records(value) else value
        elif _is_records(value):
            kept[key] = [{name: item[name] for name in item if name in fields}
                         for item in value]
    return kept


def masking_key(runtime: PluginRuntime, buyer: str) -> bytes:
    """The key of a buyer's keyed masking: HMAC-SHA256 of the pseudonym, under the secret."""
    secret = str(runtime.app.config.get("SECRET_KEY") or "").encode()
    return hmac.new(secret, f"output-masking:{buyer}".encode(), hashlib.sha256).digest()


def masking_providers(grant: OperationGrant, runtime: PluginRuntime,
                      snapshot: Snapshot) -> dict[str, str]:
    """The enabled plugin offering each masking strategy ``grant`` names, by strategy.

    :raises MaskingUnavailable: a strategy is not offered (the policy fails closed).
    """
    providers: dict[str, str] = {}
    for strategy in sorted(set(grant.masking.values())):
        plugin = runtime.governance_provider(MASKING, strategy, snapshot)
        if plugin is None:
            raise MaskingUnavailable(MASKING, strategy)
        providers[strategy] = plugin
    return providers


def apply(output: dict, grant: OperationGrant, runtime: PluginRuntime, *,
          buyer: str | None = None) -> dict:
    """``output`` as the holder of ``grant`` may see it (see the module); a new dict.

    :param buyer: the caller's pseudonym (``announce.buyer_pseudonym``): the key of keyed
        strategies is derived from it.
    :raises MaskingUnavailable: a strategy the grant names is not offered (503).
    :raises GovernanceStepFailed: a strategy failed on the values (502, with an incident).
    """
    if not grant.masking:
        return _narrowed(output, grant.fields)
    snapshot = runtime.snapshot()
    providers = masking_providers(grant, runtime, snapshot)
    result = _narrowed(output, grant.fields)
    key = masking_key(runtime, buyer) if buyer is not None else None
    for field, strategy in sorted(grant.masking.items()):
        places: list[tuple[dict[str, Any], str]] = []
        if field in result and not _is_records(result[field]):
            places.append((result, field))
        for value in result.values():
            if _is_records(value):
                places.extend((record, field) for record in value if field in record)
        if not places:
            continue
        masked = runtime.run_governance(providers[strategy], MASKING, strategy,
                                        [holder[name] for holder, name in places],
                                        key=key, snapshot=snapshot)
        for (holder, name), value in zip(places, masked, strict=True):
            holder[name] = value
    return result
