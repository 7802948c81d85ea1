"""The gateway's output policy applied to a dataset, a record batch at a time.

The same rule as :mod:`marketplace.delivery.output_policy` gives an API answer, on columns:
the columns outside the grant's fields are dropped, and the columns the grant masks go
through the governance plugin: its batch-masking step over the batch's masked columns at once
(Arrow kernels) when the plugin is trusted, else its masking strategy value by value, one
call per column per batch (never one per row). It fails closed in the same way: every
strategy the grant names must be offered by an enabled plugin, checked by
:meth:`ExportPolicy.of` before a byte is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from flask_babel import lazy_gettext as _l

from marketplace.delivery.output_policy import MASKING, masking_key, masking_providers
from marketplace.delivery.scope import OperationGrant
from marketplace.errors import DomainError
from marketplace.plugins.runtime import PluginRuntime

#: A masking strategy run over a column's values: (strategy, values) -> masked values.
Masker = Callable[[str, list[Any]], list[Any]]
#: Masks the named columns of a record batch at once: (batch, {column: strategy}) -> batch.
BatchMasker = Callable[[pa.RecordBatch, Mapping[str, str]], pa.RecordBatch]


class ExportRefused(DomainError):
    """The dataset cannot be exported under this policy (a sentence the caller can show)."""

    status_code = 409


@dataclass(frozen=True)
class ExportPolicy:
    """What of a dataset the holder of an entitlement receives."""

    #: The columns delivered; None: every column.
    fields: frozenset[str] | None = None
    #: Column -> the masking strategy applied to it.
    masking: Mapping[str, str] = field(default_factory=dict)
    #: Runs a masking strategy value by value; needed when ``masking`` names a column of the
    #: dataset and there is no ``batch_masker``.
    masker: Masker | None = None
    #: Masks whole columns with Arrow (the plugin's batch-masking step), when it can.
    batch_masker: BatchMasker | None = None

    @classmethod
    def of(cls, grant: OperationGrant, runtime: PluginRuntime, *, buyer: str) -> ExportPolicy:
        """The policy of ``grant``, its masking run through ``runtime`` with the keyed
        strategies keyed for ``buyer`` (the pseudonym, as on the API).

        When one trusted plugin offers every strategy and a batch-masking step, the columns
        are masked by that step (Arrow kernels, same results); otherwise value by value.

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

        batch_masker: BatchMasker | None = None
        if len(set(providers.values())) == 1:
            run = runtime.batch_masker(next(iter(providers.values())), snapshot)
            if run is not None:
                def batch_masker(batch: pa.RecordBatch,
                                 masking: Mapping[str, str]) -> pa.RecordBatch:
                    return run(batch, [{"field": name, "strategy": strategy}
                                       for name, strategy in masking.items()], key)

        return cls(grant.fields, dict(grant.masking), masker, batch_masker)

    def output_schema(self, schema: pa.Schema) -> pa.Schema:
        """The schema of what is delivered: the kept columns, masked ones as text."""
        kept = [schema.field(name) for name in schema.names
                if self.fields is None or name in self.fields]
        if not kept:
            raise ExportRefused(str(_l("Your entitlement's scope covers none of this dataset's "
                                       "columns, so there is nothing to download.")))
        if any(name in self.masking for name in (column.name for column in kept)) \
                and self.masker is None:
            raise ExportRefused(str(_l("This download needs masking that is not available "
                                       "right now; try again later.")))
        return pa.schema([column.with_type(pa.string()) if column.name in self.masking
                          else column for column in kept], metadata=schema.metadata)

    def apply(self, batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
        """``batch`` as delivered under this policy, in ``schema`` (:meth:`output_schema`)."""
        masking = {name: strategy for name, strategy in self.masking.items()
                   if name in schema.names}
        masked: dict[str, pa.Array] = {}
        if masking and self.batch_masker is not None:
            done = self.batch_masker(batch.select(list(masking)), masking)
            masked = {name: _as_text(done.column(name)) for name in masking}
        elif masking:
            assert self.masker is not None  # output_schema refused a policy without one
            masked = {name: _as_text(self.masker(strategy, batch.column(name).to_pylist()))
                      for name, strategy in masking.items()}
        columns = []
        for column in schema:
            values = masked.get(column.name)
            if values is None:
                values = batch.column(column.name)
                if values.type != column.type:
                    values = values.cast(column.type)
            columns.append(values)
        return pa.RecordBatch.from_arrays(columns, schema=schema)


def _as_text(values: pa.Array | list[Any]) -> pa.Array:
    """Masked values as text (what the schema of a masked column says)."""
    if isinstance(values, pa.Array):
        if pa.types.is_string(values.type):
            return values
        if pa.types.is_large_string(values.type):
            return values.cast(pa.string())
        values = values.to_pylist()
    return pa.array([None if value is None else str(value) for value in values], pa.string())
