"""Masking a column at a time: Arrow record batches in, masked record batches out.

The same strategies and policies as :func:`.masking.apply_policy`, with the same results value
for value (tokens and date offsets included), but each strategy works on a whole column with
``pyarrow.compute`` instead of on one value at a time: masks, truncation and removal run in
Arrow's C++ kernels, generalizations run once per distinct value, and keyed pseudonyms hash each
value once in a tight loop. Batches stream through one at a time, so memory stays flat
whatever the file's size.

- :func:`mask_batches` masks an iterable of record batches (the platform's output policy and
  downloads hand theirs over through the ``mask_record_batches`` governance step);
- :func:`mask_table` masks a ``pyarrow.Table``;
- :func:`mask_csv` streams a CSV file into a masked CSV file, every column read as text, with
  formula-looking cells neutralised as :func:`.tabular.write_csv` does.

Columns of other types than text (numbers, dates) are masked value by value with the row
path's maskers, so their results are the same too.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from datamarket_sdk import GovernanceStep
from pydantic import BaseModel

from datamarket_governance_tools import maskers
from datamarket_governance_tools.masking import STRATEGIES, FieldPolicy, MaskingError
from datamarket_governance_tools.regions import CITIES, CITY_PROVINCES, PROVINCES

#: Bytes of CSV read per record batch.
CSV_BLOCK_SIZE = 4 << 20

ColumnMasker = Callable[[pa.Array, pa.Array | None], pa.Array]

_TEXT_TYPES = (pa.string(), pa.large_string())
_FORMULA_START = "^[=+@\t\r-]"
_PLAIN_NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"


def _is_text(array: pa.Array) -> bool:
    return array.type in _TEXT_TYPES


def _row_by_row(mask: Callable[..., Any], array: pa.Array, entity: pa.Array | None) -> pa.Array:
    """``mask`` on every value, as the row path does (for types the kernels do not cover)."""
    values = array.to_pylist()
    if entity is None:
        return pa.array([mask(value) for value in values])
    return pa.array([mask(value, owner)
                     for value, owner in zip(values, entity.to_pylist(), strict=True)])


def _per_distinct(mask: Callable[[Any], Any], array: pa.Array) -> pa.Array:
    """``mask`` once per distinct value, spread back over the rows (dates and ages repeat)."""
    encoded = pc.dictionary_encode(array)
    dictionary = pa.array([mask(value) for value in encoded.dictionary.to_pylist()],
                          type=pa.string())
    return dictionary.take(encoded.indices)


def _partial_mask(params: maskers.PartialMaskParams, key: bytes | None) -> ColumnMasker:
    first, last, char = params.keep_first, params.keep_last, params.mask_char
    row = maskers.bind_partial_mask(params, key)

    def mask(array: pa.Array, entity: pa.Array | None) -> pa.Array:
        if not _is_text(array):
            return _row_by_row(row, array, None)
        size = pc.utf8_length(array)
        hidden = pc.subtract(size, first + last)
        # Reveal only while at least a third of the characters (and at least one) stay hidden.
        reveal_nothing = pc.or_(pc.less(hidden, 1), pc.less(pc.multiply(hidden, 3), size))
        shown = pc.binary_join_element_wise(
            pc.utf8_slice_codeunits(array, 0, first),
            pc.binary_repeat(char, pc.max_element_wise(hidden, 0)),
            pc.utf8_slice_codeunits(array, -last) if last else pc.utf8_slice_codeunits(array, 0, 0),
            "")
        return pc.if_else(reveal_nothing, pc.binary_repeat(char, size), shown)

    return mask


def _full_mask(params: maskers.FullMaskParams, key: bytes | None) -> ColumnMasker:
    row = maskers.bind_full_mask(params, key)
    fixed = maskers.FIXED_MASK.replace("*", params.mask_char)

    def mask(array: pa.Array, entity: pa.Array | None) -> pa.Array:
        if not _is_text(array):
            return _row_by_row(row, array, None)
        size = pc.utf8_length(array)
        if params.keep_length:
            return pc.binary_repeat(params.mask_char, size)
        return pc.if_else(pc.equal(size, 0), "", fixed)

    return mask


def _normalised(array: pa.Array) -> list[bytes | None]:
    """Each value as :func:`.maskers.normalise_identifier` writes it, in UTF-8 bytes."""
    if pc.all(pc.string_is_ascii(array)).as_py() is not False:
        trimmed = pc.utf8_trim(array, " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f")
        upper = pc.if_else(pc.ascii_is_alnum(trimmed), pc.ascii_upper(trimmed), trimmed)
        return upper.cast(pa.binary()).to_pylist()
    normalise = maskers.normalise_identifier
    return [None if value is None else normalise(value).encode() for value in array.to_pylist()]


def _pseudonymize(params: maskers.PseudonymizeParams, key: bytes | None) -> ColumnMasker:
    row = maskers.bind_pseudonymize(params, key)
    token = maskers.token_maker(maskers.check_key(key, "pseudonymize"), params.prefix,
                                params.length)

    def mask(array: pa.Array, entity: pa.Array | None) -> pa.Array:
        if not _is_text(array):
            return _row_by_row(row, array, None)
        # An empty value stays empty: there is nothing to hide, and a blank must stay a blank.
        tokens = [value if not value else token(value) for value in _normalised(array)]
        return pa.array(tokens, pa.binary()).cast(pa.string())

    return mask


def _truncate(params: maskers.TruncateParams, key: bytes | None) -> ColumnMasker:
    row = maskers.bind_truncate(params, key)

    def mask(array: pa.Array, entity: pa.Array | None) -> pa.Array:
        if not _is_text(array):
            return _row_by_row(row, array, None)
        return pc.utf8_slice_codeunits(array, 0, params.length)

    return mask


def _nullify(params: maskers.NullifyParams, key: bytes | None) -> ColumnMasker:
    return lambda array, entity: pa.nulls(len(array), array.type)


def _distinct_values(bind: Callable[[Any, bytes | None], Callable[[Any], Any]]
                     ) -> Callable[[Any, bytes | None], ColumnMasker]:
    """A column masker for a strategy whose results depend on the value alone."""

    def make(params: Any, key: bytes | None) -> ColumnMasker:
        row = bind(params, key)

        def mask(array: pa.Array, entity: pa.Array | None) -> pa.Array:
            if not _is_text(array):
                return _row_by_row(row, array, None)
            return _per_distinct(row, array)

        return mask

    return make


# Addresses that start with a full province name and, unless the province is a city, a full
# city name of that province: the common way to write one, resolved by one regular expression.
# Anything else (short names, a city alone, a typo) goes through regions.split_address.
def _names(names: Iterable[str]) -> str:
    return "|".join(sorted(names, key=len, reverse=True))


_FULL_ADDRESS = (rf"^\s*(?:(?:中华人民共和国|中国)\s*)?(?P<province>{_names(PROVINCES)})\s*"
                 rf"(?P<city>{_names(CITIES)})?")


def _generalize_address(params: maskers.GeneralizeAddressParams,
                        key: bytes | None) -> ColumnMasker:
    row = maskers.bind_generalize_address(params, key)
    keep_city = params.to == "city"

    def resolved(province: str | None, city: str | None) -> str | None:
        """The answer for a full province and city, or ``None`` when the row path must decide."""
        if province is None:
            return None
        if province in CITY_PROVINCES or not keep_city:
            return province
        if not city or CITIES.get(city) != province:
            return None
        return f"{province}{city}"

    def mask(array: pa.Array, entity: pa.Array | None) -> pa.Array:
        if not _is_text(array):
            return _row_by_row(row, array, None)
        parts = pc.extract_regex(array, _FULL_ADDRESS)
        pairs = pc.dictionary_encode(pc.binary_join_element_wise(
            pc.struct_field(parts, "province"), pc.struct_field(parts, "city"), "|"))
        answers = [resolved(*pair.split("|")) if pair else None
                   for pair in pairs.dictionary.to_pylist()]
        fast = pa.array(answers, pa.string()).take(pairs.indices)
        undecided = pc.and_(pc.is_null(fast), pc.is_valid(array))
        if not pc.any(undecided).as_py():
            return fast
        slow = pa.array([row(value) if value is not None and late else None for value, late in
                         zip(array.to_pylist(), undecided.to_pylist(), strict=True)],
                        pa.string())
        return pc.if_else(undecided, slow, fast)

    return mask


def _shift_date(params: maskers.ShiftDateParams, key: bytes | None) -> ColumnMasker:
    row = maskers.bind_shift_date(params, key)
    by_date = _distinct_values(maskers.bind_shift_date)(params, key)

    def mask(array: pa.Array, entity: pa.Array | None) -> pa.Array:
        if entity is None:
            return by_date(array, None)
        return _row_by_row(row, array, entity)

    return mask


_COLUMN_MASKERS: dict[str, Callable[[Any, bytes | None], ColumnMasker]] = {
    "partial_mask": _partial_mask, "full_mask": _full_mask, "pseudonymize": _pseudonymize,
    "generalize_date": _distinct_values(maskers.bind_generalize_date),
    "generalize_age": _distinct_values(maskers.bind_generalize_age),
    "generalize_address": _generalize_address, "truncate": _truncate, "nullify": _nullify,
    "shift_date": _shift_date,
}


def _bind(policies: Sequence[FieldPolicy | dict[str, Any]], key: bytes | None
          ) -> list[tuple[str, ColumnMasker, str | None]]:
    seen: set[str] = set()
    bound = []
    for given in policies:
        policy = given if isinstance(given, FieldPolicy) else FieldPolicy.model_validate(given)
        if policy.field in seen:
            raise MaskingError(f"field {policy.field!r} has two policies; give each field one")
        seen.add(policy.field)
        params: BaseModel = STRATEGIES[policy.strategy].params_model.model_validate(
            policy.params)
        entity = getattr(params, "entity_field", None)
        bound.append((policy.field, _COLUMN_MASKERS[policy.strategy](params, key), entity))
    return bound


def _mask_batch(batch: pa.RecordBatch, bound: list[tuple[str, ColumnMasker, str | None]],
                number: int) -> pa.RecordBatch:
    names = batch.schema.names
    columns = list(batch.columns)
    for field, mask, entity in bound:
        for needed in (field, entity):
            if needed is not None and needed not in names:
                raise MaskingError(f"the table has no field {needed!r}; its fields are "
                                   f"{', '.join(names)}")
        try:
            columns[names.index(field)] = mask(
                batch.column(field), batch.column(entity) if entity is not None else None)
        except MaskingError as error:
            raise MaskingError(f"batch {number}, field {field!r}: {error}") from None
    return pa.RecordBatch.from_arrays(columns, names=names)


def mask_batches(batches: Iterable[pa.RecordBatch],
                 policies: Sequence[FieldPolicy | dict[str, Any]],
                 key: bytes | None) -> Iterator[pa.RecordBatch]:
    """Each record batch with its fields masked as ``policies`` say, one batch at a time.

    The results equal :func:`.masking.apply_policy`'s on the same values with the same key.
    The policies are checked at the call, before any batch is read; a masked column of text
    stays text (``nullify`` keeps the column's type, all null).

    :raises MaskingError: at the call, two policies name one field or a keyed strategy has no
        usable key; while iterating, a batch lacks a policy's field, or holds a value the
        strategy cannot read (the message names the batch, from 1, and the field).
    """
    bound = _bind(policies, key)
    return (_mask_batch(batch, bound, number)
            for number, batch in enumerate(batches, start=1))


def mask_table(table: pa.Table, policies: Sequence[FieldPolicy | dict[str, Any]],
               key: bytes | None) -> pa.Table:
    """``table`` with its fields masked as ``policies`` say (see :func:`mask_batches`)."""
    masked = list(mask_batches(table.to_batches(), policies, key))
    return pa.Table.from_batches(masked) if masked else table


def neutralise_formulas(array: pa.Array) -> pa.Array:
    """Text cells that a spreadsheet would run as a formula, with a leading ``'``; plain
    numbers such as ``-12.5`` are left alone (the rule of :func:`.tabular.write_csv`)."""
    if not _is_text(array):
        return array
    risky = pc.match_substring_regex(array, _FORMULA_START)
    if not pc.any(risky).as_py():
        return array
    risky = pc.and_(risky, pc.invert(pc.match_substring_regex(array, _PLAIN_NUMBER)))
    return pc.if_else(risky, pc.binary_join_element_wise("'", array, ""), array)


def _header(source: Path) -> list[str]:
    with source.open(encoding="utf-8-sig", newline="") as file:
        return next(csv.reader(file), [])


def mask_csv(source: str | Path, target: str | Path | IO[bytes],
             policies: Sequence[FieldPolicy | dict[str, Any]], key: bytes | None, *,
             block_size: int = CSV_BLOCK_SIZE) -> int:
    """Stream the UTF-8 CSV file ``source`` into ``target`` with its fields masked; return the
    number of rows.

    Every column is read as text, so identifiers keep their leading zeros; the output is UTF-8
    with a BOM (for Excel), the header first, formula-looking cells neutralised. Memory holds
    about two blocks of ``block_size`` bytes at a time, whatever the file's size.

    :raises MaskingError: as :func:`mask_batches`, or the file has no header.
    """
    source = Path(source)
    columns = _header(source)
    if not columns:
        raise MaskingError(f"{source.name} has no header: its first row must name the columns")
    reader = pa_csv.open_csv(
        source, read_options=pa_csv.ReadOptions(block_size=block_size),
        convert_options=pa_csv.ConvertOptions(column_types={name: pa.string()
                                                            for name in columns}))
    sink = target if hasattr(target, "write") else open(target, "wb")  # noqa: SIM115
    rows = 0
    try:
        sink.write("\ufeff".encode())
        with pa_csv.CSVWriter(sink, reader.schema) as writer:
            for batch in mask_batches(reader, policies, key):
                writer.write_batch(pa.RecordBatch.from_arrays(
                    [neutralise_formulas(column) for column in batch.columns],
                    names=batch.schema.names))
                rows += batch.num_rows
    finally:
        if sink is not target:
            sink.close()
    return rows


STEPS: list[GovernanceStep] = [GovernanceStep(
    kind="batch_masking", name="mask_record_batches",
    summary="Mask Arrow record batches column by column, field policies as for desensitize.",
    function=mask_batches,
    keeps="what each field's strategy keeps", destroys="what each field's strategy destroys")]
