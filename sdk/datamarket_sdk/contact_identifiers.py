"""Identifiers people write to be reached or recognised: mobile and landline numbers, e-mail
addresses, vehicle plates and passports. Part of :mod:`datamarket_sdk.identifiers`, which
re-exports every name; import them from there."""

from __future__ import annotations

import re

from datamarket_sdk.identifier_rules import PLATE_PROVINCES, InvalidIdentifier, accepts, normalise

# ---------------------------------------------------------------------------- telephones

#: Mobile numbers, without anchors: a country prefix, then 11 digits as 3-4-4.
MOBILE_PATTERN = r"(?:(?:\+|00)?86[ -]?|\(\+?86\) ?)?(?P<number>1[3-9]\d(?:[ -]?\d{4}){2})"
_AREA = r"(?:10|2\d|[3-9]\d{2})"  # the area code after its leading 0
#: Landline numbers with their area code, without anchors.
LANDLINE_PATTERN = (rf"(?:\(0{_AREA}\)|0{_AREA}[ -]|\+86[ -]?{_AREA}[ -])"
                    r" ?[1-9]\d{2,3}[ -]?\d{4}")
_MOBILE = re.compile(MOBILE_PATTERN, re.ASCII)
_LANDLINE = re.compile(LANDLINE_PATTERN, re.ASCII)


def validate_mobile(value: str) -> str:
    """A mainland mobile number (手机号码): 11 digits starting 13 to 19, after an optional
    ``+86``, ``0086``, ``86`` or ``(+86)``, written whole or as 3-4-4 with spaces or dashes.
    Returns the 11 digits."""
    match = _MOBILE.fullmatch(normalise(value))
    if match is None:
        raise InvalidIdentifier("mobile", "format",
                                "a mobile number has 11 digits starting with 13 to 19")
    return match.group("number").replace(" ", "").replace("-", "")


def is_mobile(value: str) -> bool:
    """Whether :func:`validate_mobile` accepts ``value``."""
    return accepts(validate_mobile, value, _MOBILE)


def validate_landline(value: str) -> str:
    """A mainland landline number with its area code (固定电话).

    An area code (010, 02x or a four-digit code from 03 to 09) followed by a dash or space, or
    in parentheses, or ``+86`` and the code without its 0; then a local number of 7 or 8 digits
    not starting with 0, optionally split once. Returns the digits with the area code's 0 and
    a dash: ``0755-88881234``.
    """
    text = normalise(value)
    if not _LANDLINE.fullmatch(text):
        raise InvalidIdentifier("landline", "format",
                                "a landline number has an area code and 7 or 8 digits")
    digits = re.sub(r"\D", "", text)
    if text.startswith("+86"):
        digits = "0" + digits[2:]
    area = 3 if digits[1] in "12" else 4
    return f"{digits[:area]}-{digits[area:]}"


def is_landline(value: str) -> bool:
    """Whether :func:`validate_landline` accepts ``value``."""
    return accepts(validate_landline, value, _LANDLINE)


# ---------------------------------------------------------------------------- e-mail

#: E-mail addresses, without anchors (match in ASCII mode).
EMAIL_PATTERN = (r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"
                 r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,24}")
_EMAIL = re.compile(EMAIL_PATTERN, re.ASCII)


def validate_email(value: str) -> str:
    """An e-mail address: an ASCII mailbox (letters, digits, ``._%+-``, no empty dot-separated
    part) at a domain of two labels or more whose last label is 2 to 24 letters. The domain is
    returned in lower case."""
    text = normalise(value)
    if not _EMAIL.fullmatch(text):
        raise InvalidIdentifier("email", "format", "this is not an e-mail address")
    mailbox, domain = text.rsplit("@", 1)
    return f"{mailbox}@{domain.lower()}"


def is_email(value: str) -> bool:
    """Whether :func:`validate_email` accepts ``value``."""
    return accepts(validate_email, value, _EMAIL)


# ---------------------------------------------------------------------------- plates, passports

_PLATE_CHARACTER = "A-HJ-NP-Z0-9"  # plates never use I or O
#: Vehicle plates, without anchors.
PLATE_PATTERN = (rf"[{PLATE_PROVINCES}][A-HJ-NP-Z][ ·]?"
                 rf"(?:[DF][{_PLATE_CHARACTER}]\d{{4}}|\d{{5}}[DF]|[{_PLATE_CHARACTER}]{{5}}"
                 rf"|[{_PLATE_CHARACTER}]{{4}}[学警挂港澳领试])")
#: Chinese ordinary passport numbers, without anchors.
PASSPORT_PATTERN = r"E\d{8}|E[A-HJ-NP-Z]\d{7}|G\d{8}"
_PLATE = re.compile(PLATE_PATTERN, re.ASCII)
_PASSPORT = re.compile(PASSPORT_PATTERN, re.ASCII)


def validate_vehicle_plate(value: str) -> str:
    """A mainland vehicle plate (车牌号码): a province abbreviation, a city letter, an optional
    space or ``·``, then five letters or digits, six for new-energy plates (D or F first or
    last), or four and a suffix (学, 警, 挂, 港, 澳, 领, 试). Never I or O. Returns it without
    the separator, in capitals."""
    text = normalise(value).upper()
    if not _PLATE.fullmatch(text):
        raise InvalidIdentifier("vehicle_plate", "format", "this is not a vehicle plate number")
    return text.replace(" ", "").replace("·", "")


def is_vehicle_plate(value: str) -> bool:
    """Whether :func:`validate_vehicle_plate` accepts ``value``."""
    return accepts(validate_vehicle_plate, value, _PLATE, upper=True)


def validate_passport(value: str) -> str:
    """A Chinese ordinary passport number (护照号码): E and 8 digits, E, a letter other than I
    or O and 7 digits, or G and 8 digits. Foreign passports have no common shape."""
    text = normalise(value).upper()
    if not _PASSPORT.fullmatch(text):
        raise InvalidIdentifier("passport", "format", "this is not a Chinese passport number")
    return text


def is_passport(value: str) -> bool:
    """Whether :func:`validate_passport` accepts ``value``."""
    return accepts(validate_passport, value, _PASSPORT, upper=True)
