"""The type of each column: inferred from text (CSV, XLSX), or read from Parquet's schema.

Text columns are tried, batch by batch, as the types of the data dictionary in this order:
integer, decimal, boolean, date, datetime; a column keeps the first type every one of its
non-empty values can be cast to, else it stays a string. Values that look like numbers but are
identifiers stay strings: any value with a leading zero (postal codes, ``0012``) or longer than
15 characters (ID numbers, bank cards), so that nothing is lost in conversion.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

#: The data dictionary's types, each with the Arrow type a text column of it is cast to.
TEXT_CANDIDATES: dict[str, pa.DataType] = {
    "integer": pa.int64(),
    "decimal": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
}
NUMERIC = ("integer", "decimal")
#: Values tried before a whole batch is cast to a candidate type.
PROBE_VALUES = 64
#: Longer digit strings are identifiers: a float64 would round them.
MAX_NUMBER_CHARACTERS = 15


class TypeGuess:
    """The types one text column may still be, narrowed by each batch of its values."""

    def __init__(self) -> None:
        self.candidates = list(TEXT_CANDIDATES)
        self.seen_value = False

    def observe(self, values: pa.Array) -> None:
        present = values.drop_null()
        if len(present) == 0:
            return
        self.seen_value = True
        if any(name in self.candidates for name in NUMERIC) and _looks_like_identifier(present):
            self.candidates = [c for c in self.candidates if c not in NUMERIC]
        self.candidates = [c for c in self.candidates if _casts(present, TEXT_CANDIDATES[c])]

    @property
    def type_name(self) -> str:
        return self.candidates[0] if self.seen_value and self.candidates else "string"

    @property
    def arrow_type(self) -> pa.DataType:
        return TEXT_CANDIDATES.get(self.type_name, pa.string())


def _casts(values: pa.Array, target: pa.DataType) -> bool:
    # A failing cast costs a hundred times a succeeding one: try the first values alone first,
    # where most columns already show what they are not.
    for part in (values.slice(0, PROBE_VALUES), values):
        try:
            pc.cast(part, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return False
        if len(part) == len(values):
            break
    return True


def _looks_like_identifier(values: pa.Array) -> bool:
    leading_zero = pc.any(pc.match_substring_regex(values, r"^[+-]?0\d")).as_py()
    longest = pc.max(pc.utf8_length(values)).as_py() or 0
    return bool(leading_zero) or longest > MAX_NUMBER_CHARACTERS


def dictionary_type(arrow_type: pa.DataType) -> str:
    """The data dictionary type that describes a Parquet column of ``arrow_type``."""
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_integer(arrow_type):
        return "integer"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "decimal"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_timestamp(arrow_type):
        return "datetime"
    if pa.types.is_nested(arrow_type) or pa.types.is_dictionary(arrow_type) and \
            pa.types.is_nested(arrow_type.value_type):
        return "json"
    return "string"


def describe(schema: pa.Schema) -> list[dict[str, str]]:
    """The dataset's ``columns`` record: name, dictionary type and Arrow type, in order."""
    return [{"name": field.name, "type": dictionary_type(field.type),
             "arrow_type": str(field.type)} for field in schema]
