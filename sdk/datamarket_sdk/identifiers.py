"""One rule per kind of identifier, shared by the platform and every plugin.

The platform checks a merchant's unified social credit code with :func:`validate_uscc`; the
governance tools detect, audit and classify with the same functions, so a value is never valid
in one place and invalid in another. Each kind has two functions:

- ``validate_<kind>(value)`` returns the identifier in its canonical form (digits and capital
  letters without separators; a mobile number without its country prefix) or raises
  :class:`InvalidIdentifier`, whose ``reason`` says what is wrong;
- ``is_<kind>(value)`` says whether ``validate_<kind>`` accepts it.

Values are read as people type them: full-width characters count as their half-width forms
(``１３８`` is ``138``; other scripts' digits are not digits here), surrounding blanks are
ignored, letters may be lower case, and each kind accepts the separators its holders write (see
each function). What each kind checks, and why some checks are left out, is in
``docs/decisions.md`` ("Identifiers").
"""

from __future__ import annotations

import datetime
import functools
import re

from stdnum import numdb

from datamarket_sdk.contact_identifiers import (
    EMAIL_PATTERN,
    LANDLINE_PATTERN,
    MOBILE_PATTERN,
    PASSPORT_PATTERN,
    PLATE_PATTERN,
    is_email,
    is_landline,
    is_mobile,
    is_passport,
    is_vehicle_plate,
    validate_email,
    validate_landline,
    validate_mobile,
    validate_passport,
    validate_vehicle_plate,
)
from datamarket_sdk.identifier_rules import (
    EARLIEST_BIRTH_DATE,
    PLATE_PROVINCES,
    USCC_ALPHABET,
    InvalidIdentifier,
    Kind,
    Reason,
    accepts,
    normalise,
)

__all__ = [
    "EARLIEST_BIRTH_DATE", "EMAIL_PATTERN", "InvalidIdentifier", "Kind", "LANDLINE_PATTERN",
    "MOBILE_PATTERN", "PASSPORT_PATTERN", "PLATE_PATTERN", "PLATE_PROVINCES", "Reason",
    "USCC_ALPHABET", "VALIDATORS", "division_ever_assigned", "has_identifier_layout",
    "is_bank_card", "is_email", "is_landline", "is_mobile", "is_organisation_code", "is_passport",
    "is_resident_id", "is_uscc", "is_vehicle_plate", "luhn_valid", "normalise",
    "organisation_code_check_character", "resident_id_check_character", "uscc_check_character",
    "validate_bank_card", "validate_email", "validate_landline", "validate_mobile",
    "validate_organisation_code", "validate_passport", "validate_resident_id", "validate_uscc",
    "validate_vehicle_plate",
]

# ---------------------------------------------------------------------------- resident ID

_RESIDENT_ID = re.compile(r"(\d{6})([ -]?)(\d{8})\2(\d{3}[\dX])", re.ASCII)
# ISO 7064 MOD 11-2: position i (from the left, 0-based) weighs 2^(17-i) mod 11.
_RESIDENT_ID_WEIGHTS = tuple(pow(2, 17 - position, 11) for position in range(17))
_REGIONS = numdb.get("cn/loc")
# Residence permits of Hong Kong, Macao and Taiwan residents use these codes; python-stdnum's
# table lists the first two but not Taiwan's.
_PERMIT_DIVISIONS = frozenset({"810000", "820000", "830000"})


def resident_id_check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of a resident ID number's first 17 digits."""
    total = sum(int(digit) * weight
                for digit, weight in zip(first17, _RESIDENT_ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


@functools.lru_cache(maxsize=8192)
def division_ever_assigned(code: str) -> bool:
    """Whether ``code`` (six digits) has ever been a county-level or higher division code
    (GB/T 2260, through python-stdnum's table with its history)."""
    if code in _PERMIT_DIVISIONS:
        return True
    return any("county" in properties for _part, properties in _REGIONS.info(code))


def _birth_date(digits: str) -> datetime.date | None:
    try:
        return datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def validate_resident_id(value: str, *, today: datetime.date | None = None) -> str:
    """An 18-character resident ID number (居民身份证号码, GB 11643), as 17 digits and ``X`` or a
    digit.

    Accepts the number written whole or as 6-8-4 with spaces or dashes, ``x`` for ``X``.
    Checks the check character, that the birth date exists and lies from 1900-01-01 to
    ``today``, and that the division code was ever assigned. It does not ask whether the
    division existed in the birth year: people keep the number of the district they register
    in, so someone born in 1950 holds a 浦东新区 number although the district dates from 1992.
    """
    text = normalise(value).upper()
    match = _RESIDENT_ID.fullmatch(text)
    if match is None:
        raise InvalidIdentifier("resident_id", "format",
                                "a resident ID number has 17 digits and a check character")
    number = match.group(1) + match.group(3) + match.group(4)
    if resident_id_check_character(number[:17]) != number[17]:
        raise InvalidIdentifier("resident_id", "check_character",
                                "the check character of this resident ID number is wrong")
    born = _birth_date(number[6:14])
    if born is None or not EARLIEST_BIRTH_DATE <= born <= (today or datetime.date.today()):
        raise InvalidIdentifier("resident_id", "birth_date",
                                "the birth date in this resident ID number is impossible")
    if not division_ever_assigned(number[:6]):
        raise InvalidIdentifier("resident_id", "division",
                                f"{number[:6]} was never an administrative division code")
    return number


def is_resident_id(value: str) -> bool:
    """Whether :func:`validate_resident_id` accepts ``value``."""
    return accepts(validate_resident_id, value, _RESIDENT_ID, upper=True)


# ---------------------------------------------------------------------------- credit codes

_ORGANISATION_CODE = re.compile(r"([0-9A-Z]{8})-?([0-9X])", re.ASCII)
# GB 11714: position i weighs 2^(8-i) mod 11 (3, 7, 9, 10, 5, 8, 4, 2).
_ORGANISATION_CODE_WEIGHTS = tuple(pow(2, 8 - position, 11) for position in range(8))
_USCC = re.compile(rf"[{USCC_ALPHABET}]{{18}}")
# GB 32100: position i weighs 3^i mod 31.
_USCC_WEIGHTS = tuple(pow(3, position, 31) for position in range(17))
# Registration authority (1-9 by GB 32100, A, N and Y added since) and entity category.
_USCC_AUTHORITY = re.compile(r"[1-9ANY][1-59]")


def organisation_code_check_character(first8: str) -> str:
    """The GB 11714 check character of an organisation code's first eight characters."""
    total = sum(int(character, 36) * weight
                for character, weight in zip(first8, _ORGANISATION_CODE_WEIGHTS, strict=True))
    return "0123456789X0"[11 - total % 11]


def validate_organisation_code(value: str) -> str:
    """A nine-character organisation code (组织机构代码, GB 11714), written whole or with a dash
    before its check character (``12345678-9``); checks the check character."""
    text = normalise(value).upper()
    match = _ORGANISATION_CODE.fullmatch(text)
    if match is None:
        raise InvalidIdentifier("organisation_code", "format",
                                "an organisation code has eight digits or letters and a check "
                                "character")
    body, check = match.groups()
    if organisation_code_check_character(body) != check:
        raise InvalidIdentifier("organisation_code", "check_character",
                                "the check character of this organisation code is wrong")
    return body + check


def is_organisation_code(value: str) -> bool:
    """Whether :func:`validate_organisation_code` accepts ``value``."""
    return accepts(validate_organisation_code, value, _ORGANISATION_CODE, upper=True)


def uscc_check_character(first17: str) -> str:
    """The GB 32100 check character of a credit code's first 17 characters."""
    total = sum(USCC_ALPHABET.index(character) * weight
                for character, weight in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[-total % 31]


def validate_uscc(value: str) -> str:
    """An 18-character unified social credit code (统一社会信用代码, GB 32100).

    Checks the characters (digits and capital letters but I, O, S, V and Z; lower case is read
    as upper case), the registration authority (1-9, A, N or Y) and entity category (1-5 or 9),
    the organisation code in characters 9 to 17 against its own GB 11714 check character, and
    the final check character. The six-digit division code is not checked against a table:
    enterprises registered centrally carry 100000, which no division table lists.
    """
    code = normalise(value).upper()
    if len(code) != 18:
        raise InvalidIdentifier("uscc", "format",
                                f"a unified social credit code has 18 characters, not {len(code)}")
    if not _USCC.fullmatch(code):
        raise InvalidIdentifier("uscc", "format",
                                "a unified social credit code has only digits and capital "
                                "letters other than I, O, S, V and Z")
    if uscc_check_character(code[:17]) != code[17]:
        raise InvalidIdentifier("uscc", "check_character",
                                "the check character of this unified social credit code is wrong")
    if not _USCC_AUTHORITY.fullmatch(code[:2]):
        raise InvalidIdentifier("uscc", "authority",
                                f"{code[:2]} is not a registration authority and entity category")
    if not is_organisation_code(code[8:17]):
        raise InvalidIdentifier("uscc", "organisation_code",
                                "the organisation code inside this credit code fails its check")
    return code


def is_uscc(value: str) -> bool:
    """Whether :func:`validate_uscc` accepts ``value``."""
    return accepts(validate_uscc, value, _USCC, upper=True)


# ---------------------------------------------------------------------------- bank cards

_CARD = re.compile(r"\d{16,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?|\d{6}([ -])\d{10,13}",
                   re.ASCII)
_ANY_CARD_LENGTH = frozenset(range(16, 20))
# Issuer ranges (ISO/IEC 7812 issuer identification numbers) and the lengths they issue.
_CARD_ISSUERS: dict[str, frozenset[int]] = {
    "62": _ANY_CARD_LENGTH, "60": _ANY_CARD_LENGTH, "65": _ANY_CARD_LENGTH,
    "35": _ANY_CARD_LENGTH, "4": frozenset({16, 19}), "36": frozenset({16}),
    "38": frozenset({16}), **{str(prefix): frozenset({16}) for prefix in range(51, 56)},
}


def luhn_valid(digits: str) -> bool:
    """Whether ``digits`` pass the Luhn check (ISO/IEC 7812-1)."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _issuer_issues(digits: str) -> bool:
    if 2221 <= int(digits[:4]) <= 2720:  # Mastercard's 2-series
        return len(digits) == 16
    lengths = _CARD_ISSUERS.get(digits[:2], _CARD_ISSUERS.get(digits[:1], frozenset()))
    return len(digits) in lengths


def has_identifier_layout(digits: str) -> bool:
    """Whether ``digits`` read as a mistyped resident ID number (17 to 19 digits: a division
    code, then a year from 1800 to 2099, a month and a day of the month) or an all-digit credit
    code (18 digits: an authority and category, a division code, then an organisation code that
    passes its check).

    A mistyped ID number or credit code passes Luhn one time in ten; a card number has such a
    layout about one time in a thousand. The birth date need not be a plausible one: a mistyped
    number may be mistyped there too.
    """
    if 17 <= len(digits) <= 19 and digits[6:8] in ("18", "19", "20") \
            and "01" <= digits[10:12] <= "12" and "01" <= digits[12:14] <= "31" \
            and division_ever_assigned(digits[:6]):
        return True
    return (len(digits) == 18 and digits[1] in "123459" and division_ever_assigned(digits[2:8])
            and is_organisation_code(digits[8:17]))


def validate_bank_card(value: str) -> str:
    """A payment card number (银行卡号) of 16 to 19 digits.

    Accepts the digits written together, in groups of four (the last group may be shorter)
    or as six and the rest, separated by one kind of space or dash. Checks Luhn, that the
    number starts with an issuer range that issues cards of its length (UnionPay 62 and the
    shared 60 and 65, and JCB 35: 16 to 19 digits; Visa 4: 16 or 19; Mastercard 2221-2720 and
    51-55, and Diners 36 and 38: 16), and that it is not laid out as a resident ID number or credit
    code (:func:`has_identifier_layout`).
    """
    text = normalise(value)
    if not _CARD.fullmatch(text):
        raise InvalidIdentifier("bank_card", "format", "a card number has 16 to 19 digits")
    digits = text.replace(" ", "").replace("-", "")
    if not _issuer_issues(digits):
        raise InvalidIdentifier("bank_card", "issuer",
                                "no card issuer uses this range with this many digits")
    if not luhn_valid(digits):
        raise InvalidIdentifier("bank_card", "check_character",
                                "this card number fails its check digit")
    if has_identifier_layout(digits):
        raise InvalidIdentifier("bank_card", "identifier_layout",
                                "these digits are laid out as an ID number or credit code")
    return digits


def is_bank_card(value: str) -> bool:
    """Whether :func:`validate_bank_card` accepts ``value``."""
    return accepts(validate_bank_card, value, _CARD)


#: The validator of each kind.
VALIDATORS = {
    "resident_id": validate_resident_id, "uscc": validate_uscc,
    "organisation_code": validate_organisation_code, "bank_card": validate_bank_card,
    "mobile": validate_mobile, "landline": validate_landline, "email": validate_email,
    "vehicle_plate": validate_vehicle_plate, "passport": validate_passport,
}
