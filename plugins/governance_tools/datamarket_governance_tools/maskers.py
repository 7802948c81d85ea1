"""How each desensitization strategy is set up: its parameters and its masker, bound once.

A *binder* ``bind(params, key)`` checks what can be checked once (the key, the mask character)
and returns a *masker*, a small function applied to each value. :mod:`masking` builds the
public one-value functions and :func:`~datamarket_governance_tools.masking.apply_policy` on them;
this module holds the parts a caller does not need to read.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import hmac
import unicodedata
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from datamarket_governance_tools.dates import DateFormatError, format_like, parse_date, preview
from datamarket_governance_tools.regions import split_address

Masker = Callable[[Any], Any]
#: The shortest key ``pseudonymize`` and ``shift_date`` accept, in bytes.
MIN_KEY_BYTES = 16
#: What ``full_mask`` writes when it does not keep the length.
FIXED_MASK = "****"
# Hex digits written as letters, so a token never contains a digit (and so never a run of the
# digits of an ID or phone number).
HEX_AS_LETTERS = bytes.maketrans(b"0123456789", b"ghijklmnop")


class MaskingError(ValueError):
    """A value cannot be masked as asked, or a strategy was set up wrongly."""


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _mask_char_field() -> Any:
    return Field("*", min_length=1, max_length=1,
                 description="The character that replaces hidden ones; not a letter or digit.")


def _check_mask_char(value: str) -> str:
    if value.isalnum():
        raise ValueError("mask_char must not be a letter or digit, or masked values would look "
                         "real")
    return value


class PartialMaskParams(_Params):
    """How much of the value ``partial_mask`` shows."""

    keep_first: int = Field(3, ge=0, le=64, description="Characters shown at the start.")
    keep_last: int = Field(4, ge=0, le=64, description="Characters shown at the end.")
    mask_char: str = _mask_char_field()
    _mask_char = field_validator("mask_char")(_check_mask_char)


class FullMaskParams(_Params):
    """How ``full_mask`` writes a hidden value."""

    mask_char: str = _mask_char_field()
    keep_length: bool = Field(True, description=f"Keep the length; otherwise write {FIXED_MASK}.")
    _mask_char = field_validator("mask_char")(_check_mask_char)


class PseudonymizeParams(_Params):
    """The shape of ``pseudonymize``'s tokens."""

    prefix: str = Field("", max_length=16, description="Text put before each token, e.g. 'P'.")
    length: int = Field(16, ge=12, le=64, description=(
        "Token length in characters (4 bits each). 16 (64 bits) makes a collision between two "
        "of a million values about a one-in-thirty-million chance."))


class GeneralizeDateParams(_Params):
    """What ``generalize_date`` keeps of a date."""

    to: Literal["year", "month"] = Field("year", description="Keep the year, or year and month.")


class GeneralizeAgeParams(_Params):
    """The bands of ``generalize_age``."""

    band: int = Field(10, ge=2, le=50, description="Width of each age band in years.")
    top: int = Field(90, ge=1, le=150, description=(
        "Ages from this one up become one open band such as '90+': very old ages are rare "
        "enough to identify people."))


class GeneralizeAddressParams(_Params):
    """What ``generalize_address`` keeps of an address."""

    to: Literal["province", "city"] = Field("province", description=(
        "Keep the province, or province and city."))


class TruncateParams(_Params):
    """How much of the value ``truncate`` keeps."""

    length: int = Field(ge=1, le=1024, description="Characters kept from the start.")


class NullifyParams(_Params):
    """``nullify`` takes no parameters."""


class ShiftDateParams(_Params):
    """How far, and by what, ``shift_date`` moves dates."""

    max_days: int = Field(30, ge=1, le=3650, description=(
        "Dates move by 1 to this many days, earlier or later, never by 0."))
    entity_field: str | None = Field(None, min_length=1, max_length=128, description=(
        "A field naming whose date it is (e.g. the ID number): every date of one entity moves "
        "by the same offset, so intervals between them are kept. Without it, each date moves "
        "by an offset derived from the date itself."))


def _text(value: Any) -> str:
    return value if type(value) is str else str(value)


def bind_partial_mask(params: PartialMaskParams, key: bytes | None) -> Masker:
    first, last, char = params.keep_first, params.keep_last, params.mask_char

    def mask(value: Any) -> Any:
        if value is None:
            return None
        text = _text(value)
        size = len(text)
        hidden = size - first - last
        # Reveal only while at least a third of the characters (and at least one) stay hidden.
        if hidden < 1 or hidden * 3 < size:
            return char * size
        return text[:first] + char * hidden + text[size - last:]

    return mask


def bind_full_mask(params: FullMaskParams, key: bytes | None) -> Masker:
    char, keep_length = params.mask_char, params.keep_length
    fixed = FIXED_MASK.replace("*", char)

    def mask(value: Any) -> Any:
        if value is None:
            return None
        text = _text(value)
        if not text:
            return text
        return char * len(text) if keep_length else fixed

    return mask


def check_key(key: bytes | None, strategy: str) -> bytes:
    """``key`` when it is long enough for a keyed strategy.

    :raises MaskingError: it is missing or shorter than :data:`MIN_KEY_BYTES`.
    """
    if not isinstance(key, bytes | bytearray) or len(key) < MIN_KEY_BYTES:
        raise MaskingError(f"{strategy} needs a key of at least {MIN_KEY_BYTES} bytes; "
                           "a short key lets anyone who guesses it recompute every token")
    return bytes(key)


def normalise_identifier(text: str) -> str:
    """``text`` as ``pseudonymize`` and ``shift_date`` see it, so spellings of one value agree.

    Full-width characters become half-width (NFKC), surrounding spaces go, and a code made only
    of ASCII letters and digits is upper-cased (``…123x`` and ``…123X`` are the same ID number).
    Free text keeps its case.
    """
    if text.isascii():  # the usual case, so it skips the Unicode normalisation
        text = text.strip()
        return text.upper() if text.isalnum() else text
    text = unicodedata.normalize("NFKC", text).strip()
    return text.upper() if text.isascii() and text.isalnum() else text


def keyed_hash(key: bytes, purpose: bytes, digest_size: int) -> Any:
    """A keyed BLAKE2b hash object for one purpose, to ``copy()`` and ``update()`` per value.

    The purpose ("pseudonymize", "shift_date") picks a subkey, HMAC-SHA256 of the purpose under
    ``key``, so tokens and date offsets made with one key are unrelated, and a key of any length
    fits BLAKE2b's 64 bytes. Keyed BLAKE2b is a pseudorandom function like HMAC, in one pass
    instead of two: it is what makes a keyed pseudonym cheap enough for millions of rows.
    """
    subkey = hmac.new(key, b"datamarket." + purpose, hashlib.sha256).digest()
    return hashlib.blake2b(key=subkey, digest_size=digest_size)


def token_maker(key: bytes, prefix: str, length: int) -> Callable[[bytes], bytes]:
    """The function from a normalised value's UTF-8 bytes to its token's bytes: ``length`` hex
    digits of the keyed hash, written with the letters a–p, after ``prefix``.

    The row and columnar paths both use it, so they give the same tokens.
    """
    # One digest size for every length, so a longer token extends a shorter one.
    base = keyed_hash(key, b"pseudonymize", 32)
    start = prefix.encode()
    hexlify = binascii.hexlify

    def token(value: bytes) -> bytes:
        digest = base.copy()
        digest.update(value)
        return start + hexlify(digest.digest())[:length].translate(HEX_AS_LETTERS)

    return token


def digest_maker(key: bytes, length: int) -> Callable[[list[bytes | None]], list[bytes]]:
    """The function from normalised values (UTF-8 bytes; ``None`` for a missing one) to the
    first ``(length + 1) // 2`` bytes of each one's keyed hash, as :func:`token_maker` uses
    them: the columnar path's tight loop."""
    base = keyed_hash(key, b"pseudonymize", 32)
    size = (length + 1) // 2

    def digests(values: list[bytes | None]) -> list[bytes]:
        copy = base.copy
        out = []
        append = out.append
        for value in values:
            digest = copy()
            digest.update(value or b"")
            append(digest.digest()[:size])
        return out

    return digests


def bind_pseudonymize(params: PseudonymizeParams, key: bytes | None) -> Masker:
    token = token_maker(check_key(key, "pseudonymize"), params.prefix, params.length)

    def mask(value: Any) -> Any:
        if value is None:
            return None
        text = normalise_identifier(_text(value))
        if not text:
            return text
        return token(text.encode()).decode()

    return mask


def date_offset_maker(key: bytes, max_days: int) -> Callable[[str], dt.timedelta]:
    """The function from an entity (normalised as :func:`normalise_identifier` does) to its
    date offset: 1 to ``max_days`` days, earlier or later, never 0."""
    base = keyed_hash(key, b"shift_date", 8)
    span = max_days

    def offset(entity: str) -> dt.timedelta:
        digest = base.copy()
        digest.update(normalise_identifier(entity).encode())
        days = int.from_bytes(digest.digest(), "big") % (2 * span) - span
        return dt.timedelta(days=days + 1 if days >= 0 else days)  # never 0: always hidden

    return offset


def _date_masker(change: Callable[[Any, dt.date, Any], Any]) -> Masker:
    """A masker that parses dates, passes ``None`` and blanks through, and names bad values."""

    def mask(value: Any) -> Any:
        if value is None or value == "":
            return value
        try:
            day, style = parse_date(value)
        except DateFormatError as error:
            raise MaskingError(str(error)) from None
        return change(value, day, style)

    return mask


def bind_generalize_date(params: GeneralizeDateParams, key: bytes | None) -> Masker:
    if params.to == "year":
        return _date_masker(lambda value, day, style: f"{day.year:04d}")
    return _date_masker(lambda value, day, style: f"{day.year:04d}-{day.month:02d}")


def bind_generalize_age(params: GeneralizeAgeParams, key: bytes | None) -> Masker:
    band, top = params.band, params.top

    def mask(value: Any) -> Any:
        if value is None or value == "":
            return value
        try:
            age = int(float(value))
        except (TypeError, ValueError, OverflowError):
            age = -1
        if isinstance(value, bool) or not 0 <= age <= 150:
            raise MaskingError(f"{preview(value)} is not an age; ages are numbers from 0 to 150")
        if age >= top:
            return f"{top}+"
        low = age // band * band
        return f"{low}-{min(low + band, top) - 1}"

    return mask


def bind_generalize_address(params: GeneralizeAddressParams, key: bytes | None) -> Masker:
    keep_city = params.to == "city"

    def mask(value: Any) -> Any:
        if value is None:
            return None
        province, city = split_address(_text(value))
        # Without a recognisable province nothing safe can be kept; a missing city falls back
        # to the coarser province.
        if keep_city and city is not None and city != province:
            return f"{province}{city}"
        return province or ""

    return mask


def bind_truncate(params: TruncateParams, key: bytes | None) -> Masker:
    length = params.length
    return lambda value: None if value is None else _text(value)[:length]


def bind_nullify(params: NullifyParams, key: bytes | None) -> Masker:
    return lambda value: None


def bind_shift_date(params: ShiftDateParams, key: bytes | None) -> Callable[..., Any]:
    offset = date_offset_maker(check_key(key, "shift_date"), params.max_days)

    def mask(value: Any, entity: Any = None) -> Any:
        if value is None or value == "":
            return value
        try:
            day, style = parse_date(value)
        except DateFormatError as error:
            raise MaskingError(str(error)) from None
        owner = _text(entity) if entity not in (None, "") else day.isoformat()[:10]
        return format_like(day + offset(owner), style)

    return mask
