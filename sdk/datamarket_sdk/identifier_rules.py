"""What every identifier rule shares: the kinds, the reasons a value fails, the error, and how a
typed value is read and tried (see :mod:`datamarket_sdk.identifiers`)."""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from typing import Literal

Kind = Literal["resident_id", "uscc", "organisation_code", "bank_card", "mobile", "landline",
               "email", "vehicle_plate", "passport"]
Reason = Literal["format", "check_character", "organisation_code", "authority", "birth_date",
                 "division", "issuer", "identifier_layout"]

#: The earliest birth date a resident ID number may carry: no holder of an 18-digit number was
#: born before it.
EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)
#: Provincial abbreviations that open a vehicle plate.
PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
#: GB 32100's alphabet: digits and capital letters but I, O, S, V and Z.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


class InvalidIdentifier(ValueError):
    """A value is not a valid identifier of ``kind``; ``reason`` names the failed check.

    Reasons: ``format`` (length, characters or layout), ``check_character``,
    ``organisation_code`` (the GB 11714 code inside a credit code fails its own check),
    ``authority`` (an unknown registration authority or entity category), ``birth_date``,
    ``division`` (a division code never assigned), ``issuer`` (no card issuer uses that range
    and length) and ``identifier_layout`` (digits laid out as an ID number or credit code).
    """

    def __init__(self, kind: Kind, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.reason = reason


@functools.lru_cache(maxsize=256)  # the detectors ask every kind about the same value
def normalise(value: str) -> str:
    """``value`` as the validators read it: NFKC (full-width to half-width, the ideographic
    space to a space), without surrounding blanks."""
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value)
    return value.strip()


def accepts(validate, value: str, shape: re.Pattern[str] | None = None,
             upper: bool = False) -> bool:
    """Whether ``validate`` accepts ``value``; a value without ``shape`` is turned away before
    the validator raises, which is most of them when a detector tries every kind."""
    if shape is not None:
        text = normalise(value)
        if not shape.fullmatch(text.upper() if upper else text):
            return False
    try:
        validate(value)
    except InvalidIdentifier:
        return False
    return True
