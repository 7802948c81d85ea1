"""Desensitization (脱敏) strategies: each turns one value into a masked value.

================== ========================================= ===================================
strategy           keeps                                     destroys
================== ========================================= ===================================
partial_mask       first and last characters, the length     the characters in between
full_mask          the length (or nothing)                   every character
pseudonymize       equality: same value and key, same token  the value (not reversible w/o key)
generalize_date    the year (or year and month)              the day (and month)
generalize_age     the age band, e.g. 30-39                  the exact age
generalize_address the province (or province and city)       district, street, house number
truncate           the first N characters                    everything after them
nullify            nothing                                   the whole value
shift_date         format; intervals between an entity's     the true date (moved 1 to max_days
                   dates                                     days, not reversible w/o key)
================== ========================================= ===================================

All are deterministic: the same value (and key) always gives the same result. That is what lets
masked tables still join, and also why masks of a small set of values can be matched by
frequency. Every strategy but nullify leaves ``None`` as ``None`` and empty text as empty: there is
nothing to hide, and a blank must stay distinguishable from a value. Only ``pseudonymize`` and
``shift_date`` use a key, and neither can be undone without it; masks and generalizations cannot
be undone at all. Anyone holding the key can recompute a token or an offset, and so confirm a
guessed value: the key is never returned to a caller.

Each strategy is a plain function for one value. To mask many rows use :func:`apply_policy`,
which checks the policies once and binds each field's masker once (see :mod:`maskers`), so a
row costs only the maskers' own work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from datamarket_sdk import GovernanceStep
from pydantic import BaseModel, ConfigDict, Field, model_validator

from datamarket_governance_tools.maskers import (
    FullMaskParams,
    GeneralizeAddressParams,
    GeneralizeAgeParams,
    GeneralizeDateParams,
    Masker,
    MaskingError,
    NullifyParams,
    PartialMaskParams,
    PseudonymizeParams,
    ShiftDateParams,
    TruncateParams,
    bind_full_mask,
    bind_generalize_address,
    bind_generalize_age,
    bind_generalize_date,
    bind_nullify,
    bind_partial_mask,
    bind_pseudonymize,
    bind_shift_date,
    bind_truncate,
)
from datamarket_governance_tools.params import check_params, unknown_choice

Value = str | int | float | dt.date | None


def partial_mask(value: Value, keep_first: int = 3, keep_last: int = 4,
                 mask_char: str = "*") -> str | None:
    """Show ``keep_first`` and ``keep_last`` characters and replace the rest, keeping the length.

    Keeps: the first and last characters and the length (``13800138000`` → ``138****8000``).
    Destroys: the characters in between. When that would hide fewer than a third of the
    characters, or none, the whole value is masked instead (``abc`` → ``***``). Deterministic;
    cannot be undone.
    """
    params = PartialMaskParams(keep_first=keep_first, keep_last=keep_last, mask_char=mask_char)
    return bind_partial_mask(params, None)(value)


def full_mask(value: Value, mask_char: str = "*", keep_length: bool = True) -> str | None:
    """Replace every character: ``张三丰`` → ``***``, or ``****`` when the length is not kept.

    Keeps: the length, or nothing. Destroys: every character. Deterministic; cannot be undone.
    """
    return bind_full_mask(FullMaskParams(mask_char=mask_char, keep_length=keep_length), None)(
        value)


def pseudonymize(value: Value, key: bytes, prefix: str = "", length: int = 16) -> str | None:
    """A token for ``value``: a keyed hash (BLAKE2b under a subkey of ``key``, see
    :func:`.maskers.keyed_hash`), as ``length`` hex digits written in the letters a–p.

    Keeps: equality. The same value under the same key always gives the same token, so tables
    still join on it; spellings of one value agree (see :func:`normalise_identifier`). Destroys:
    the value, its format and its order; a different key gives unrelated tokens. Deterministic
    per key; not reversible without the key.

    :raises MaskingError: ``key`` is empty or shorter than 16 bytes.
    """
    return bind_pseudonymize(PseudonymizeParams(prefix=prefix, length=length), key)(value)


def generalize_date(value: Value, to: Literal["year", "month"] = "year") -> str | None:
    """The year (``"1990"``) or year and month (``"1990-03"``) of a date.

    Keeps: the year, or the year and month. Destroys: the month and day, or the day.
    Deterministic; cannot be undone.

    :raises MaskingError: ``value`` is not a date in an accepted format.
    """
    return bind_generalize_date(GeneralizeDateParams(to=to), None)(value)


def generalize_age(value: Value, band: int = 10, top: int = 90) -> str | None:
    """The age band of an age: ``34`` → ``"30-39"``, and ``"90+"`` from ``top`` up.

    Keeps: the band. Destroys: the exact age. Deterministic; cannot be undone.

    :raises MaskingError: ``value`` is not a number from 0 to 150.
    """
    return bind_generalize_age(GeneralizeAgeParams(band=band, top=top), None)(value)


def generalize_address(value: Value, to: Literal["province", "city"] = "province") -> str | None:
    """The province (``"广东省"``) or province and city (``"广东省深圳市"``) an address starts with.

    Keeps: the province, or province and city (a municipality gives ``"北京市"`` either way; an
    address whose city is not recognised gives the province). Destroys: district, street and
    number. An address with no recognisable province gives ``""``: nothing safe can be kept.
    Deterministic; cannot be undone.
    """
    return bind_generalize_address(GeneralizeAddressParams(to=to), None)(value)


def truncate(value: Value, length: int) -> str | None:
    """The first ``length`` characters: ``truncate("518057", 2)`` → ``"51"``.

    Keeps: the start. Destroys: everything after it. Deterministic; cannot be undone.
    """
    return bind_truncate(TruncateParams(length=length), None)(value)


def nullify(value: Value) -> None:
    """Nothing: the value becomes ``None``. Keeps nothing; destroys everything."""
    return bind_nullify(NullifyParams(), None)(value)


def shift_date(value: Value, key: bytes, max_days: int = 30, entity: Value = None) -> Value:
    """``value`` moved by 1 to ``max_days`` days, earlier or later, written in its own format.

    The offset comes from a keyed hash (:func:`.maskers.keyed_hash`) of ``entity`` (or,
    without one, of the date itself), so all dates of one entity move together. Keeps: the
    format and the intervals between one entity's dates. Destroys: the true date.
    Deterministic per key; not reversible without the key.

    :raises MaskingError: the key is shorter than 16 bytes, or ``value`` is not a date.
    """
    return bind_shift_date(ShiftDateParams(max_days=max_days), key)(value, entity)


@dataclass(frozen=True)
class Strategy:
    """A desensitization strategy as :data:`STRATEGIES` lists it.

    :param function: the one-value function, e.g. :func:`partial_mask`.
    :param deterministic: ``"yes"`` or ``"yes, per key"``: whether equal values mask equally.
    :param bind: ``bind(params, key)`` returns the masker for one field, set up once.
    """

    name: str
    summary: str
    function: Callable[..., Any]
    params_model: type[BaseModel]
    keeps: str
    destroys: str
    deterministic: str
    uses_key: bool
    bind: Callable[[Any, bytes | None], Callable[..., Any]]


def _strategy(function: Callable[..., Any], params_model: type[BaseModel],
              bind: Callable[..., Any], summary: str, keeps: str, destroys: str,
              uses_key: bool = False) -> Strategy:
    return Strategy(function.__name__, summary, function, params_model, keeps, destroys,
                    "yes, per key" if uses_key else "yes", uses_key, bind)


STRATEGIES: dict[str, Strategy] = {strategy.name: strategy for strategy in (
    _strategy(partial_mask, PartialMaskParams, bind_partial_mask,
              "Show the first and last characters and mask the rest.",
              "the first and last characters and the length", "the characters in between"),
    _strategy(full_mask, FullMaskParams, bind_full_mask, "Mask every character.",
              "the length, unless keep_length is false", "every character"),
    _strategy(pseudonymize, PseudonymizeParams, bind_pseudonymize,
              "Replace the value by a keyed token that still joins.",
              "equality: the same value gives the same token, so tables still join",
              "the value and its format; not reversible without the key", uses_key=True),
    _strategy(generalize_date, GeneralizeDateParams, bind_generalize_date,
              "Keep only the year, or the year and month, of a date.",
              "the year, or the year and month", "the day, and the month unless kept"),
    _strategy(generalize_age, GeneralizeAgeParams, bind_generalize_age,
              "Replace an age by its band, such as 30-39.", "the age band, e.g. 30-39",
              "the exact age"),
    _strategy(generalize_address, GeneralizeAddressParams, bind_generalize_address,
              "Keep only the province, or province and city, of an address.",
              "the province, or the province and city", "district, street and house number"),
    _strategy(truncate, TruncateParams, bind_truncate, "Keep only the first characters.",
              "the first characters", "everything after them"),
    _strategy(nullify, NullifyParams, bind_nullify, "Remove the value.", "nothing",
              "the whole value"),
    _strategy(shift_date, ShiftDateParams, bind_shift_date,
              "Move dates by a keyed offset, the same for all dates of one entity.",
              "the date format and the intervals between one entity's dates",
              "the true date; not reversible without the key", uses_key=True),
)}


class FieldPolicy(BaseModel):
    """Which strategy masks one field, with its parameters (checked when the policy is made)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str = Field(min_length=1, max_length=128, description="The field (column) to mask.")
    strategy: str = Field(description="One of: " + ", ".join(STRATEGIES) + ".")
    params: dict[str, Any] = Field(default_factory=dict, description=(
        "The strategy's parameters; defaults apply to those left out."))

    @model_validator(mode="after")
    def _known_strategy_and_params(self) -> FieldPolicy:
        strategy = STRATEGIES.get(self.strategy)
        if strategy is None:
            raise unknown_choice("strategy", self.strategy, f"for field {self.field!r}",
                                 STRATEGIES)
        check_params(strategy.params_model, self.params,
                     f"strategy {self.strategy!r} for field {self.field!r}")
        return self


def _bind_policies(policies: Sequence[FieldPolicy], key: bytes | None
                  ) -> list[tuple[str, Callable[..., Any], str | None]]:
    """Per policy: its field, its masker bound once, and the entity field it reads, if any.

    :raises MaskingError: two policies name one field, or a keyed strategy has no usable key.
    """
    seen: set[str] = set()
    bound = []
    for policy in policies:
        if policy.field in seen:
            raise MaskingError(f"field {policy.field!r} has two policies; give each field one")
        seen.add(policy.field)
        strategy = STRATEGIES[policy.strategy]
        params = strategy.params_model.model_validate(policy.params)
        entity = getattr(params, "entity_field", None)
        bound.append((policy.field, strategy.bind(params, key), entity))
    return bound


def apply_policy(rows: Iterable[Mapping[str, Any]], policies: Sequence[FieldPolicy],
                 key: bytes | None) -> Iterator[dict[str, Any]]:
    """Each row with its fields masked as ``policies`` say, one row at a time, in order.

    Fields without a policy pass through unchanged. The policies are checked when this is
    called, before any row is read. A date-shift's entity field is read before masking, so it
    may itself be masked.

    :param key: the key of ``pseudonymize`` and ``shift_date``; unused by the other strategies.
    :raises MaskingError: at the call, two policies name one field or a keyed strategy has no
        usable key; while iterating, a row lacks a policy's field or holds a value the strategy
        cannot read (the message names the row, counted from 1, and the field).
    """
    bound = _bind_policies(policies, key)
    plain = [(field, mask) for field, mask, entity in bound if entity is None]
    with_entity = [(field, mask, entity) for field, mask, entity in bound if entity is not None]
    return _masked_rows(rows, plain, with_entity)


def _masked_rows(rows: Iterable[Mapping[str, Any]], plain: list[tuple[str, Masker]],
                 with_entity: list[tuple[str, Callable[..., Any], str]]
                 ) -> Iterator[dict[str, Any]]:
    number, field, row = 0, "", {}
    try:
        for row in rows:
            number += 1
            masked = dict(row)
            for field, mask, entity in with_entity:
                masked[field] = mask(row[field], row[entity])
            for field, mask in plain:
                masked[field] = mask(row[field])
            yield masked
    except KeyError as missing:
        raise MaskingError(f"row {number} has no field {missing.args[0]!r}; its fields are "
                           f"{', '.join(map(str, row))}") from None
    except MaskingError as error:
        raise MaskingError(f"row {number}, field {field!r}: {error}") from None


STEPS: list[GovernanceStep] = [
    GovernanceStep(kind="masking", name=strategy.name,
                   summary=strategy.summary,
                   function=strategy.function, keeps=strategy.keeps,
                   destroys=strategy.destroys, params_model=strategy.params_model)
    for strategy in STRATEGIES.values()
]
