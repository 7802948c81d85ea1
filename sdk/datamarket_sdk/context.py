"""What a plugin call is allowed to know: the :class:`Context`, its :class:`Scope` and the
read-only :class:`Dataset` objects the platform lends it.

A context carries no database session, no app and no secrets. It crosses process boundaries as
plain JSON through :meth:`Context.to_wire` and :meth:`Context.from_wire` (the logger stays behind:
each process supplies its own).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel

from datamarket_sdk.errors import DeadlineExceeded, NotFound

#: The cell values a dataset may hold: immutable, and JSON-safe.
CELL_TYPES = (str, int, float, bool, type(None))
_EXACT_CELL_TYPES = frozenset(CELL_TYPES)


@dataclass(frozen=True)
class Scope:
    """What the buyer's entitlement covers.

    :param operations: the operation names the entitlement allows.
    :param fields: the output fields the buyer may see; ``None`` means every field.
    """

    operations: frozenset[str] = frozenset()
    fields: frozenset[str] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "operations", frozenset(self.operations))
        if self.fields is not None:
            object.__setattr__(self, "fields", frozenset(self.fields))

    def allows_field(self, name: str) -> bool:
        """Whether the buyer may see the output field ``name``."""
        return self.fields is None or name in self.fields

    def to_wire(self) -> dict[str, Any]:
        """This scope as JSON-safe data (sorted lists instead of sets)."""
        fields = None if self.fields is None else sorted(self.fields)
        return {"operations": sorted(self.operations), "fields": fields}

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Scope:
        """The scope that :meth:`to_wire` described."""
        fields = data.get("fields")
        return cls(operations=frozenset(data.get("operations", ())),
                   fields=None if fields is None else frozenset(fields))


class Dataset:
    """A platform-held table lent to a call, read-only ("data available but not visible").

    Rows are stored as tuples and handed out as :class:`types.MappingProxyType` views; cells hold
    only text, numbers, booleans or ``None``, so nothing reachable from a dataset can be changed.

    :param name: the dataset's name, as the product was granted it.
    :param columns: the column names, in order.
    :param rows: one sequence of cell values per row, in column order.
    """

    __slots__ = ("_name", "_columns", "_rows", "_indexes")

    def __init__(self, name: str, columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> None:
        columns = tuple(columns)
        frozen_rows = tuple(tuple(row) for row in rows)
        for number, row in enumerate(frozen_rows, start=1):
            if len(row) != len(columns):
                raise ValueError(f"dataset {name!r} row {number} has {len(row)} values "
                                 f"for {len(columns)} columns")
            for column, value in zip(columns, row, strict=True):
                # The exact-type test is the fast path over millions of cells.
                if type(value) not in _EXACT_CELL_TYPES and not isinstance(value, CELL_TYPES):
                    raise TypeError(f"dataset {name!r} row {number} column {column!r} holds a "
                                    f"{type(value).__name__}; datasets hold only text, numbers, "
                                    f"booleans and None")
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_columns", columns)
        object.__setattr__(self, "_rows", frozen_rows)
        object.__setattr__(self, "_indexes", {})

    @classmethod
    def from_dicts(cls, name: str, rows: Iterable[Mapping[str, Any]]) -> Dataset:
        """A dataset from row dicts; the columns are every key seen, in first-seen order."""
        rows = list(rows)
        columns = list(dict.fromkeys(key for row in rows for key in row))
        return cls(name, columns, ([row.get(column) for column in columns] for row in rows))

    @property
    def name(self) -> str:
        """The dataset's name."""
        return self._name

    @property
    def columns(self) -> tuple[str, ...]:
        """The column names, in order."""
        return self._columns

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        for row in self._rows:
            yield self._view(row)

    def lookup(self, column: str, value: Any) -> list[Mapping[str, Any]]:
        """Every row whose ``column`` equals ``value``, through an index built on first use.

        :raises KeyError: the dataset has no such column (a fault of the plugin, not of the caller).
        """
        if column not in self._columns:
            raise KeyError(f"dataset {self._name!r} has no column {column!r}; "
                           f"its columns are {', '.join(self._columns)}")
        index = self._indexes.get(column)
        if index is None:
            index = self._build_index(self._columns.index(column))
            self._indexes[column] = index
        return [self._view(self._rows[position]) for position in index.get(value, ())]

    def to_wire(self) -> dict[str, Any]:
        """This dataset as JSON-safe data."""
        return {"name": self._name, "columns": list(self._columns),
                "rows": [list(row) for row in self._rows]}

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Dataset:
        """The dataset that :meth:`to_wire` described: its rows, or where its lookup store is
        (a :class:`~datamarket_sdk.stored.StoredDataset`)."""
        if "store" in data:
            from datamarket_sdk.stored import StoredDataset

            return StoredDataset(data["name"], data["store"])
        return cls(data["name"], data["columns"], data["rows"])

    def _view(self, row: tuple[Any, ...]) -> Mapping[str, Any]:
        return MappingProxyType(dict(zip(self._columns, row, strict=True)))

    def _build_index(self, position: int) -> dict[Any, tuple[int, ...]]:
        index: dict[Any, list[int]] = {}
        for number, row in enumerate(self._rows):
            index.setdefault(row[position], []).append(number)
        return {value: tuple(numbers) for value, numbers in index.items()}

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"dataset {self._name!r} is read-only")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"dataset {self._name!r} is read-only")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Dataset, (self._name, self._columns, self._rows))

    def __eq__(self, other: object) -> bool:
        if type(other) is not Dataset:
            return NotImplemented
        return (self._name, self._columns, self._rows) == (other._name, other._columns, other._rows)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Dataset {self._name!r}: {len(self._rows)} rows, columns {self._columns}>"


@dataclass(frozen=True)
class Context:
    """Everything one call of a plugin may know.

    :param buyer: a pseudonymous id of the buyer, stable per buyer and merchant.
    :param scope: what the buyer's entitlement covers.
    :param settings: the plugin's own settings (an instance of its manifest's ``settings_model``,
        or ``None`` when it has none).
    :param logger: where the plugin logs; the platform tags each record with the plugin.
    :param deadline: the :func:`time.monotonic` instant by which the call must finish.
    :param datasets: the platform-held datasets granted to the product, by name (read-only).
    """

    buyer: str
    scope: Scope
    settings: Any
    logger: logging.Logger
    deadline: float
    datasets: Mapping[str, Dataset] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "datasets", MappingProxyType(dict(self.datasets)))

    def remaining(self) -> float:
        """Seconds left before the deadline (0.0 once it has passed)."""
        return max(0.0, self.deadline - time.monotonic())

    def check_deadline(self) -> None:
        """Raise :class:`DeadlineExceeded` if the deadline has passed; call it inside long loops."""
        late = time.monotonic() - self.deadline
        if late >= 0:
            raise DeadlineExceeded(f"the call ran {late:.3f} s past its deadline")

    def dataset(self, name: str) -> Dataset:
        """The granted dataset called ``name``.

        :raises NotFound: no dataset of that name was granted to this call.
        """
        try:
            return self.datasets[name]
        except KeyError:
            raise NotFound(f"no dataset named {name!r} is available to this product") from None

    def to_wire(self) -> dict[str, Any]:
        """This context as JSON-safe data, without the logger.

        The deadline travels as the seconds remaining, so it holds in a process whose monotonic
        clock differs; settings that are a pydantic model travel as their JSON dump.
        """
        settings = self.settings
        if isinstance(settings, BaseModel):
            settings = settings.model_dump(mode="json")
        return {
            "buyer": self.buyer,
            "scope": self.scope.to_wire(),
            "settings": settings,
            "remaining": self.remaining(),
            "datasets": {name: dataset.to_wire() for name, dataset in self.datasets.items()},
        }

    @classmethod
    def from_wire(cls, data: Mapping[str, Any], logger: logging.Logger,
                  settings_model: type[BaseModel] | None = None) -> Context:
        """The context that :meth:`to_wire` described, logging to ``logger``.

        :param settings_model: when given, the settings are validated into an instance of it.
        """
        settings = data.get("settings")
        if settings_model is not None and settings is not None:
            settings = settings_model.model_validate(settings)
        return cls(
            buyer=data["buyer"],
            scope=Scope.from_wire(data.get("scope", {})),
            settings=settings,
            logger=logger,
            deadline=time.monotonic() + float(data["remaining"]),
            datasets={name: Dataset.from_wire(item)
                      for name, item in data.get("datasets", {}).items()},
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (Context, (self.buyer, self.scope, self.settings, self.logger, self.deadline,
                          dict(self.datasets)))
