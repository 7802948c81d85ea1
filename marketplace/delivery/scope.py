"""What an entitlement lets its holder call: its operations, and per operation the output
fields shown and the masking applied to them (DESIGN.md §2, flows 3 and 5).

Stored as JSON on ``Entitlement.scope``::

    {"operations": {"<plugin>.<operation>": {"fields": ["name", ...] | null,
                                             "masking": {"field": "strategy", ...}}}}

``fields`` null means every field of the operation's output; ``masking`` names a masking
strategy of the governance plugin per output field. A purchase grants its listing's operations
with every field; an approved authorization application narrows them. The gateway asks
:meth:`GrantedScope.grant` on every call, so a narrower scope takes effect at once.

Entitlements granted before operations were qualified stored ``{"operations": ["name"],
"fields": null}``; :meth:`GrantedScope.from_json` still reads them (a bare name covers that
operation of any plugin, as the listing named one operation of its own plugin).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from datamarket_sdk import Scope

#: The scope entry of a data package: its download, as a pseudo-operation whose fields are the
#: dataset's columns (see :mod:`marketplace.delivery.downloads`).
DATASET_REF = "dataset.download"


def operation_ref(plugin: str, operation: str) -> str:
    """The name an operation has in a scope: ``<plugin>.<operation>``."""
    return f"{plugin}.{operation}"


@dataclass(frozen=True)
class OperationGrant:
    """One operation an entitlement covers."""

    ref: str
    #: The output fields the holder sees; None: every field.
    fields: frozenset[str] | None = None
    #: Output field -> the masking strategy applied to it before the holder sees it.
    masking: Mapping[str, str] = field(default_factory=dict)

    def allows_field(self, name: str) -> bool:
        return self.fields is None or name in self.fields

    def to_json(self) -> dict[str, Any]:
        return {"fields": None if self.fields is None else sorted(self.fields),
                "masking": dict(sorted(self.masking.items()))}


@dataclass(frozen=True)
class GrantedScope:
    """The operations an entitlement covers, by ref (``<plugin>.<operation>``)."""

    operations: Mapping[str, OperationGrant] = field(default_factory=dict)

    @classmethod
    def of(cls, grants: Iterable[OperationGrant]) -> GrantedScope:
        return cls({grant.ref: grant for grant in grants})

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> GrantedScope:
        data = data or {}
        operations = data.get("operations") or {}
        if not isinstance(operations, Mapping):  # the first, unqualified form
            fields = data.get("fields")
            return cls.of(OperationGrant(str(name), None if fields is None else frozenset(fields))
                          for name in operations)
        grants = []
        for ref, grant in operations.items():
            grant = grant or {}
            fields = grant.get("fields")
            grants.append(OperationGrant(ref, None if fields is None else frozenset(fields),
                                         dict(grant.get("masking") or {})))
        return cls.of(grants)

    def to_json(self) -> dict[str, Any]:
        return {"operations": {ref: self.operations[ref].to_json()
                               for ref in sorted(self.operations)}}

    def grant(self, plugin: str, operation: str) -> OperationGrant | None:
        """What this scope allows of one operation, or None if it does not cover it."""
        return (self.operations.get(operation_ref(plugin, operation))
                or self.operations.get(operation))  # the first, unqualified form

    def covers(self, plugin: str, operation: str) -> bool:
        return self.grant(plugin, operation) is not None

    def sdk_scope(self) -> Scope:
        """The scope a plugin sees (its :class:`datamarket_sdk.Scope`): operation names, and
        the fields when every operation is narrowed to the same fields."""
        names = frozenset(ref.rsplit(".", 1)[-1] for ref in self.operations)
        field_sets = {grant.fields for grant in self.operations.values()}
        fields = field_sets.pop() if len(field_sets) == 1 else None
        return Scope(operations=names, fields=fields)
