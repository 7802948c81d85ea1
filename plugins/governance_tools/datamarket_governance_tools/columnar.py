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
- :func:`.columnar_csv.mask_csv` streams a CSV file through :func:`mask_batches` into a masked
  CSV file.

Columns of other types than text (numbers, dates) are masked value by value with the row
path's maskers, so their results are the same too.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from datamarket_sdk import GovernanceStep
from pydantic import BaseModel

from datamarket_governance_tools import maskers
from datamarket_governance_tools.masking import STRATEGIES, FieldPolicy, MaskingError
from datamarket_governance_tools.regions import CITIES, CITY_PROVINCES, PROVINCES

ColumnMasker = Callable[[pa.Array, pa.Array | None], pa.Array]

_TEXT_TYPES = (pa.string(), pa.large_string())


def is_text(array: pa.Array) -> bool:
    """Whether ``array`` holds text (``string`` or ``large_string``)."""
    return array.type in _TEXT_TYPES


def bytes_and_starts(array: pa.Array) -> tuple[pa.Array, pa.Array]:
    """The UTF-8 bytes of a text array's values as one ``uint8`` array (no copy), and where
    each value starts in it."""
    offset_type = pa.int64() if array.type == pa.large_string() else pa.int32()
    _validity, offsets_buffer, data_buffer = array.buffers()
    offsets = pa.Array.from_buffers(offset_type, len(array) + 1, [None, offsets_buffer],
                                    offset=array.offset)
    first, last = offsets[0].as_py(), offsets[-1].as_py()
    data = pa.Array.from_buffers(pa.uint8(), last, [None, data_buffer]).slice(first,
                                                                              last - first)
    return data, pc.subtract(offsets.slice(0, len(array)), first)


def _plain_ascii(array: pa.Array) -> bool:
    """Whether every value is ASCII without blanks or lower-case letters, so that
    :func:`.maskers.normalise_identifier` leaves each as it is."""
    data, _starts = bytes_and_starts(array)
    if not len(data):
        return True
    smallest, largest = pc.min_max(data).values()
    if smallest.as_py() > ord(" ") and largest.as_py() < ord("a"):  # one pass decides most
        return True
    lower = pc.and_(pc.greater_equal(data, ord("a")), pc.less_equal(data, ord("z")))
    odd = pc.or_(pc.or_(pc.greater_equal(data, 0x80), pc.less_equal(data, ord(" "))), lower)
    return not pc.any(odd).as_py()


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
        if not is_text(array):
            return _row_by_row(row, array, None)
        size = pc.utf8_length(array)
        shortest, longest = pc.min_max(size).values()
        if shortest.is_valid and shortest == longest:  # one length: the usual identifier column
            length = shortest.as_py()
            hidden = length - first - last
            if hidden < 1 or hidden * 3 < length:
                return pc.binary_repeat(char, size)
            return pc.utf8_replace_slice(array, first, length - last, char * hidden)
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
        if not is_text(array):
            return _row_by_row(row, array, None)
        size = pc.utf8_length(array)
        if params.keep_length:
            return pc.binary_repeat(params.mask_char, size)
        return pc.if_else(pc.equal(size, 0), "", fixed)

    return mask


def _normalised(array: pa.Array) -> list[bytes | None]:
    """Each value as :func:`.maskers.normalise_identifier` writes it, in UTF-8 bytes."""
    if _plain_ascii(array):
        return array.cast(pa.binary()).to_pylist()
    if pc.all(pc.string_is_ascii(array)).as_py() is not False:
        trimmed = pc.utf8_trim(array, " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f")
        upper = pc.if_else(pc.ascii_is_alnum(trimmed), pc.ascii_upper(trimmed), trimmed)
        return upper.cast(pa.binary()).to_pylist()
    normalise = maskers.normalise_identifier
    return [None if value is None else normalise(value).encode() for value in array.to_pylist()]


def _pseudonymize(params: maskers.PseudonymizeParams, key: bytes | None) -> ColumnMasker:
    row = maskers.bind_pseudonymize(params, key)
    digests = maskers.digest_maker(maskers.check_key(key, "pseudonymize"), params.length)
    length = params.length

    def mask(array: pa.Array, entity: pa.Array | None) -> pa.Array:
        if not is_text(array):
            return _row_by_row(row, array, None)
        plain = _plain_ascii(array)
        values = array.cast(pa.binary()).to_pylist() if plain else _normalised(array)
        # One run of hex digits for the whole column, written in letters, cut into tokens.
        letters = binascii.hexlify(b"".join(digests(values))).translate(maskers.HEX_AS_LETTERS)
        width = (length + 1) // 2 * 2
        tokens = pa.FixedSizeBinaryArray.from_buffers(
            pa.binary(width), len(values), [None, pa.py_buffer(letters)])
        tokens = tokens.cast(pa.binary()).cast(pa.string())
        if width != length:
            tokens = pc.utf8_slice_codeunits(tokens, 0, length)
        if params.prefix:
            tokens = pc.binary_join_element_wise(params.prefix, tokens, "")
        # An empty value stays empty: there is nothing to hide, and a blank must stay a blank.
        normalised = array if plain else pa.array(values, pa.binary()).cast(pa.string())
        return pc.if_else(pc.greater(pc.binary_length(normalised), 0), tokens, normalised)

    return mask


def _truncate(params: maskers.TruncateParams, key: bytes | None) -> ColumnMasker:
    row = maskers.bind_truncate(params, key)

    def mask(array: pa.Array, entity: pa.Array | None) -> pa.Array:
        if not is_text(array):
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
            if not is_text(array):
                return _row_by_row(row, array, None)
            return _per_distinct(row, array)

        return mask

    return make


# Most addresses start with the full province name and, unless the province is a city, the full
# name of one of its cities (广东省深圳市…). Then the start alone decides the answer, and few
# starts are distinct, so each is resolved once: first the first six characters (广东省深圳市,
# the usual lengths), then, for the rest, everything up to the first 市. Anything else (short
# names, a city alone, a blank inside, a typo) goes through regions.split_address row by row.
_COUNTRY_NAMES = ("中华人民共和国", "中国")
_CITIES_OF: dict[str, tuple[str, ...]] = {
    province: tuple(sorted((city for city, owner in CITIES.items() if owner == province),
                           key=len, reverse=True))
    for province in PROVINCES}


def _full_place(start: str) -> tuple[str, str | None] | None:
    """The province, and city, that ``start`` (the beginning of an address) writes in full, or
    ``None`` when it does not start with a full province and, unless the province is a city,
    one of its cities in full."""
    for country in _COUNTRY_NAMES:
        if start.startswith(country):
            start = start[len(country):]
            break
    for province in PROVINCES:
        if start.startswith(province):
            if province in CITY_PROVINCES:
                return province, None
            rest = start[len(province):]
            city = next((city for city in _CITIES_OF[province] if rest.startswith(city)), None)
            return (province, city) if city is not None else None
    return None


def _generalize_address(params: maskers.GeneralizeAddressParams,
                        key: bytes | None) -> ColumnMasker:
    row = maskers.bind_generalize_address(params, key)
    keep_city = params.to == "city"

    def resolved(start: str | None) -> str | None:
        place = _full_place(start) if start else None
        if place is None:
            return None
        province, city = place
        return f"{province}{city}" if keep_city and city else province

    def by_starts(starts: pa.Array) -> pa.Array:
        encoded = pc.dictionary_encode(starts)
        answers = [resolved(start) for start in encoded.dictionary.to_pylist()]
        return pa.array(answers, pa.string()).take(encoded.indices)

    def up_to_city(array: pa.Array) -> pa.Array:
        parts = pc.split_pattern(array, "市", max_splits=1)
        heads = pc.if_else(pc.greater(pc.list_value_length(parts), 1),
                           pc.binary_join_element_wise(pc.list_element(parts, 0), "市", ""),
                           None)
        return by_starts(heads)

    def mask(array: pa.Array, entity: pa.Array | None) -> pa.Array:
        if not is_text(array):
            return _row_by_row(row, array, None)
        answers = by_starts(pc.utf8_slice_codeunits(array, 0, 6))
        for then in (up_to_city, None):
            undecided = pc.and_(pc.is_null(answers), pc.is_valid(array))
            if not pc.any(undecided).as_py():
                return answers
            rest = array.filter(undecided)
            found = (then(rest) if then is not None
                     else pa.array([row(value) for value in rest.to_pylist()], pa.string()))
            answers = pc.replace_with_mask(answers, undecided, found)
        return answers

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


STEPS: list[GovernanceStep] = [GovernanceStep(
    kind="batch_masking", name="mask_record_batches",
    summary="Mask Arrow record batches column by column, field policies as for desensitize.",
    function=mask_batches,
    keeps="what each field's strategy keeps", destroys="what each field's strategy destroys")]
