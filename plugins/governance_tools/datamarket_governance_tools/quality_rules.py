"""The quality rules (数据稽核) a :class:`~datamarket_governance_tools.quality.Rule` can name.

Each rule has a parameters model and a check over one column's values that returns an
:class:`Outcome`. Empty cells (``None`` or blank text) are counted only by ``not_null``; every
other rule checks the values that are there, so a mostly empty column is not also reported as,
say, out of range.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from datamarket_sdk import identifiers
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from datamarket_governance_tools.dates import DateFormatError, parse_date


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NotNullParams(_Params):
    """``not_null`` takes no parameters."""


class UniqueParams(_Params):
    """``unique`` takes no parameters."""


class RangeParams(_Params):
    """The bounds of ``range``: numbers, or dates; either may be left open."""

    min: float | dt.date | None = Field(None, description="The smallest allowed value.")
    max: float | dt.date | None = Field(None, description="The largest allowed value.")

    @model_validator(mode="after")
    def _bounds_agree(self) -> RangeParams:
        bounds = [bound for bound in (self.min, self.max) if bound is not None]
        if not bounds:
            raise ValueError("give min, max or both")
        if len({isinstance(bound, dt.date) for bound in bounds}) > 1:
            raise ValueError("min and max must both be numbers or both be dates")
        if len(bounds) == 2 and bounds[0] > bounds[1]:
            raise ValueError("min must not be greater than max")
        return self


class PatternParams(_Params):
    """The regular expression every value of the column must match in full."""

    regex: str = Field(min_length=1, max_length=500, description="A Python regular expression.")

    @field_validator("regex")
    @classmethod
    def _compiles(cls, regex: str) -> str:
        try:
            re.compile(regex)
        except re.error as error:
            raise ValueError(f"{regex!r} is not a valid regular expression: {error}") from None
        return regex


class AllowedValuesParams(_Params):
    """The values a column may hold, compared as text (``1`` and ``"1"`` are the same)."""

    values: list[str | int | float] = Field(min_length=1, max_length=1000)


class ReferentialParams(_Params):
    """The column of the same table whose values this column's values must appear among."""

    reference_column: str = Field(min_length=1, max_length=128)


class FreshnessParams(_Params):
    """How old the newest date of a column may be, in days before the audit's day."""

    max_age_days: int = Field(ge=0, le=36500)


class ChecksumParams(_Params):
    """The identifier whose check digit the values must carry."""

    kind: Literal["resident_id", "uscc", "bank_card"] = Field(description=(
        "resident_id (居民身份证号码: check character, birth date and division code), uscc "
        "(统一社会信用代码: check character and the organisation code's own) or bank_card "
        "(Luhn, issuer range and length)."))


IdentifierKind = Literal["resident_id", "uscc", "organisation_code", "bank_card", "mobile",
                         "landline", "email", "vehicle_plate", "passport"]


class IdentifierParams(_Params):
    """The kind of identifier every value must be."""

    kind: IdentifierKind = Field(description=(
        "resident_id, uscc, organisation_code, bank_card, mobile, landline, email, "
        "vehicle_plate or passport; checked by the same rule the detectors apply."))


@dataclass(frozen=True)
class Outcome:
    """What one rule found: values checked and failed, where the failures are, and a note.

    ``failures`` holds positions in the table, from 0; a rule about the column as a whole
    (``freshness``) may fail without pointing at a row.
    """

    checked: int
    failed: int
    failures: list[int]
    note: str = ""


def blank(value: Any) -> bool:
    """Whether a cell is empty: ``None`` or text of only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    return str(value).strip()


def _present(values: list[Any]) -> list[tuple[int, Any]]:
    return [(position, value) for position, value in enumerate(values) if not blank(value)]


def _failing(values: list[Any], passes: Callable[[Any], bool]) -> Outcome:
    present = _present(values)
    failures = [position for position, value in present if not passes(value)]
    return Outcome(len(present), len(failures), failures)


def _not_null(values: list[Any], params: NotNullParams, table: Mapping, today: dt.date) -> Outcome:
    failures = [position for position, value in enumerate(values) if blank(value)]
    return Outcome(len(values), len(failures), failures)


def _unique(values: list[Any], params: UniqueParams, table: Mapping, today: dt.date) -> Outcome:
    seen: set[str] = set()
    failures = []
    present = _present(values)
    for position, value in present:
        text = _text(value)
        if text in seen:
            failures.append(position)  # the first occurrence passes, its repeats fail
        seen.add(text)
    return Outcome(len(present), len(failures), failures)


def _as_date(value: Any) -> dt.date | None:
    try:
        day, _style = parse_date(value.strip() if isinstance(value, str) else value)
    except DateFormatError:
        return None
    return day.date() if isinstance(day, dt.datetime) else day


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _range(values: list[Any], params: RangeParams, table: Mapping, today: dt.date) -> Outcome:
    low, high = params.min, params.max
    read = _as_date if isinstance(low if low is not None else high, dt.date) else _as_number

    def passes(value: Any) -> bool:
        parsed = read(value)
        return (parsed is not None and (low is None or parsed >= low)
                and (high is None or parsed <= high))

    return _failing(values, passes)


def _pattern(values: list[Any], params: PatternParams, table: Mapping, today: dt.date) -> Outcome:
    compiled = re.compile(params.regex)
    return _failing(values, lambda value: compiled.fullmatch(str(value)) is not None)


def _allowed_text(value: Any) -> str:
    # 1.0 from a spreadsheet means the same as 1 in the rule.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _text(value)


def _allowed_values(values: list[Any], params: AllowedValuesParams, table: Mapping,
                    today: dt.date) -> Outcome:
    allowed = {_allowed_text(value) for value in params.values}
    return _failing(values, lambda value: _allowed_text(value) in allowed)


def _referential(values: list[Any], params: ReferentialParams, table: Mapping,
                 today: dt.date) -> Outcome:
    known = {_allowed_text(value) for value in table[params.reference_column]
             if not blank(value)}
    return _failing(values, lambda value: _allowed_text(value) in known)


def _freshness(values: list[Any], params: FreshnessParams, table: Mapping,
               today: dt.date) -> Outcome:
    present = _present(values)
    dated = [(day, position) for position, value in present
             if (day := _as_date(value)) is not None]
    unreadable = len(present) - len(dated)
    skipped = ("" if not unreadable else " 1 value that is not a date was skipped."
               if unreadable == 1 else f" {unreadable} values that are not dates were skipped.")
    if not dated:
        return Outcome(1, 1, [], "The column holds no dates." + skipped)
    newest, position = max(dated)
    if newest > today:
        return Outcome(1, 1, [position],
                       f"The newest date, {newest.isoformat()}, is "
                       f"{_days((newest - today).days)} after {today.isoformat()}: a date in the "
                       f"future is an error in the data, not a sign that it is fresh.{skipped}")
    age = (today - newest).days
    note = (f"The newest date is {_days(age)} before {today.isoformat()}; the limit is "
            f"{_days(params.max_age_days)}.{skipped}")
    stale = age > params.max_age_days
    return Outcome(1, int(stale), [position] if stale else [], note)


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


_IDENTIFIER_NAMES = {
    "resident_id": "valid resident ID numbers", "uscc": "valid unified social credit codes",
    "organisation_code": "valid organisation codes", "bank_card": "valid bank card numbers",
    "mobile": "mobile numbers", "landline": "landline numbers", "email": "e-mail addresses",
    "vehicle_plate": "vehicle plate numbers", "passport": "Chinese passport numbers",
}


def _identifier(values: list[Any], params: ChecksumParams | IdentifierParams, table: Mapping,
                today: dt.date) -> Outcome:
    validator = identifiers.VALIDATORS[params.kind]

    def passes(value: Any) -> bool:
        try:
            validator(_text(value))
        except identifiers.InvalidIdentifier:
            return False
        return True

    return _failing(values, passes)


def _describe_range(params: RangeParams) -> str:
    def show(bound: float | dt.date) -> str:
        return bound.isoformat() if isinstance(bound, dt.date) else f"{bound:g}"

    low, high = params.min, params.max
    dates = isinstance(low if low is not None else high, dt.date)
    what = "dates" if dates else "numbers"
    if low is not None and high is not None:
        return f"are not {what} from {show(low)} to {show(high)}"
    if low is not None:
        return f"are not {what} {'on or after' if dates else 'of at least'} {show(low)}"
    return f"are not {what} {'on or before' if dates else 'of at most'} {show(high)}"


@dataclass(frozen=True)
class RuleKind:
    """A quality rule as :data:`RULES` lists it; ``failing`` words what its failures mean."""

    name: str
    summary: str
    params_model: type[BaseModel]
    check: Callable[[list[Any], Any, Mapping[str, list[Any]], dt.date], Outcome]
    failing: Callable[[Any], str]


RULES: dict[str, RuleKind] = {kind.name: kind for kind in (
    RuleKind("not_null", "Every row has a value in the column.", NotNullParams, _not_null,
             lambda p: "are empty"),
    RuleKind("unique", "No value appears twice in the column.", UniqueParams, _unique,
             lambda p: "repeat an earlier value"),
    RuleKind("range", "Values are numbers or dates between min and max.", RangeParams, _range,
             _describe_range),
    RuleKind("pattern", "Values match a regular expression in full.", PatternParams, _pattern,
             lambda p: "do not match the pattern"),
    RuleKind("allowed_values", "Values are among a fixed list.", AllowedValuesParams,
             _allowed_values, lambda p: "are not among the allowed values"),
    RuleKind("referential", "Values appear in another column of the same table.",
             ReferentialParams, _referential,
             lambda p: f"do not appear in column {p.reference_column!r}"),
    RuleKind("freshness", "The newest date in the column is recent enough.", FreshnessParams,
             _freshness, lambda p: "are too old"),
    RuleKind("checksum", "Values are identifiers with a correct check digit.", ChecksumParams,
             _identifier, lambda p: f"are not {_IDENTIFIER_NAMES[p.kind]}"),
    RuleKind("identifier", "Values are valid identifiers of one kind, as the detectors judge "
             "them.", IdentifierParams, _identifier,
             lambda p: f"are not {_IDENTIFIER_NAMES[p.kind]}"),
)}
