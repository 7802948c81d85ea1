"""What the platform tells plugins about things that happened.

Every event is a frozen dataclass whose ``to_wire()`` is JSON data and whose ``from_wire()``
rebuilds it, so an event can reach a plugin in a worker process. Buyers appear only as
pseudonymous ids. Treat events as read-only: other plugins receive the same event.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from datamarket_sdk.context import Scope


class _Wire:
    """JSON data to and from an event dataclass."""

    def to_wire(self) -> dict[str, Any]:
        """This event as JSON-safe data."""
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Self:
        """The event that :meth:`to_wire` described."""
        return cls(**data)


@dataclass(frozen=True)
class OrderPaid(_Wire):
    """An order was paid.

    :param order_id: the order's id.
    :param buyer: the buyer's pseudonymous id.
    :param product_id: the product bought.
    :param plan: the name of the pricing plan bought.
    :param amount: what was paid, in the smallest currency unit.
    :param currency: an ISO 4217 code.
    """

    order_id: int
    buyer: str
    product_id: int
    plan: str
    amount: int
    currency: str


@dataclass(frozen=True)
class EntitlementEvent(_Wire):
    """An entitlement was granted or revoked.

    :param entitlement_id: the entitlement's id.
    :param buyer: the buyer's pseudonymous id.
    :param product_id: the product the entitlement is for.
    :param scope: what the entitlement covers (covered until now, when revoked).
    """

    entitlement_id: int
    buyer: str
    product_id: int
    scope: Scope

    def to_wire(self) -> dict[str, Any]:
        """This event as JSON-safe data, the scope as :meth:`Scope.to_wire` writes it."""
        return {**super().to_wire(), "scope": self.scope.to_wire()}

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Self:
        """The event that :meth:`to_wire` described."""
        return cls(**{**data, "scope": Scope.from_wire(data["scope"])})


@dataclass(frozen=True)
class ListingSnapshot(_Wire):
    """A listing as it was submitted for review.

    :param listing_id: the listing's id.
    :param product_id: the product's id.
    :param title: the product's title.
    :param product_type: the kind of product, e.g. ``"dataset"`` or ``"api"``.
    :param classification_level: 1 (public) to 4 (most sensitive).
    :param data_dictionary: one dict per field (name, type, description, ...).
    :param sample_rows: the sample rows the merchant shows buyers.
    :param row_count: the rows of the dataset the listing sells; ``None`` when it sells none.
    :param data_rows: rows of that dataset as it will be delivered (at most a thousand,
        spread evenly over it); empty when it sells none. Unlike ``sample_rows`` they are not
        shown to buyers.

    .. versionadded:: 0.1.1 ``row_count`` and ``data_rows``.
    """

    listing_id: int
    product_id: int
    title: str
    product_type: str
    classification_level: int
    data_dictionary: list[dict[str, Any]]
    sample_rows: list[dict[str, Any]]
    row_count: int | None = None
    data_rows: list[dict[str, Any]] = dataclasses.field(default_factory=list)
