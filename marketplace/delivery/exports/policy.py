"""The gateway's output policy applied to a dataset, a record batch at a time.

The same rule as :mod:`marketplace.delivery.output_policy` gives an API answer, on columns:
the columns outside the grant's fields are dropped, and each column the grant masks goes
through the governance plugin's masking strategy, one call per column per batch (never one
per row). It fails closed in the same way: every strategy the grant names must be offered by
an enabled plugin, checked by :meth:`ExportPolicy.of` before a byte is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from marketplace.delivery.output_policy import MASKING, masking_key, masking_providers
from marketplace.delivery.scope import OperationGrant
from marketplace.plugins.runtime import PluginRuntime

#: A masking strategy run over a column's values: (strategy, values) -> masked values.
Masker = Callable[[str, list[Any]], list[Any]]


class ExportRefused(ValueError):
    """The dataset cannot be exported under this policy (a sentence the caller can show)."""


@dataclass(frozen=True)
class ExportPolicy:
    """What of a dataset the holder of an entitlement receives."""

    #: The columns delivered; None: every column.
    fields: frozenset[str] | None = None
    #: Column -> the masking strategy applied to it.
    masking: Mapping[str, str] = field(default_factory=dict)
    #: Runs a masking strategy; needed when ``masking`` names a column of the dataset.
    masker: Masker | None = None

    @classmethod
    def of(cls, grant: OperationGrant, runtime: PluginRuntime, *, buyer: str) -> ExportPolicy:
        """The policy of ``grant``, its masking run through ``runtime`` with the keyed
        strategies keyed for ``buyer`` (the pseudonym, as on the API).

        :raises MaskingUnavailable: a strategy the grant names is not offered.
        """
        if not grant.masking:
            return cls(grant.fields)
        snapshot = runtime.snapshot()
        providers = masking_providers(grant, runtime, snapshot)
        key = masking_key(runtime, buyer)

        def masker(strategy: str, values: list[Any]) -> list[Any]:
            return runtime.run_governance(providers[strategy], MASKING, strategy, values,
                                          key=key, snapshot=snapshot)

        return cls(grant.fields, dict(grant.masking), masker)

    def output_schema(self, schema: pa.Schema) -> pa.Schema:
        """The schema of what is delivered: the kept columns, masked ones as text."""
        kept = [schema.field(name) for name in schema.names
                if self.fields is None or name in self.fields]
        if not kept:
            raise ExportRefused("The entitlement's scope covers none of the dataset's columns.")
        if any(name in self.masking for name in (column.name for column in kept)) \
                and self.masker is None:
            raise ExportRefused("The scope masks columns but no masking strategy was given.")
        return pa.schema([column.with_type(pa.string()) if column.name in self.masking
                          else column for column in kept], metadata=schema.metadata)

    def apply(self, batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
        """``batch`` as delivered under this policy, in ``schema`` (:meth:`output_schema`)."""
        columns = []
        for column in schema:
            values = batch.column(column.name)
            strategy = self.masking.get(column.name)
            if strategy is not None:
                assert self.masker is not None  # output_schema refused a policy without one
                masked = self.masker(strategy, values.to_pylist())
                values = pa.array([None if value is None else str(value) for value in masked],
                                  pa.string())
            elif values.type != column.type:
                values = values.cast(column.type)
            columns.append(values)
        return pa.RecordBatch.from_arrays(columns, schema=schema)
