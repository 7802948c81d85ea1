"""Valid identifiers for synthetic data: the parts in, the identifier with its check character
out.

Demo data, test data and benchmarks build resident ID numbers, credit codes and card numbers
here. The arithmetic is written apart from :mod:`datamarket_sdk.identifiers` (and never calls
it or python-stdnum), in the standards' recursive form rather than with weight tables, so a test
that generates values and validates them compares two implementations: a misreading of a
standard in one shows up as a failure instead of agreeing with itself. Randomness stays with the
caller; these functions are deterministic.
"""

from __future__ import annotations

import datetime

_USCC_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _digits_only(text: str, what: str, length: int | None = None) -> None:
    if not text.isascii() or not text.isdigit() or (length is not None and len(text) != length):
        size = f"{length} " if length is not None else ""
        raise ValueError(f"{what} must be {size}digits, not {text!r}")


def resident_id(division: str, born: datetime.date, sequence: int) -> str:
    """The resident ID number of the person with this ``sequence`` (0-999; odd for men, even
    for women) born on ``born`` and registered in ``division`` (six digits).

    The check character is ISO 7064 MOD 11-2 computed recursively: ``p = 2 (p + digit) mod 11``
    over the 17 digits, then ``(12 - p) mod 11``, with 10 written ``X``.
    """
    _digits_only(division, "division", 6)
    if not 0 <= sequence <= 999:
        raise ValueError(f"sequence must be 0 to 999, not {sequence}")
    return complete_resident_id(f"{division}{born:%Y%m%d}{sequence:03d}")


def complete_resident_id(first17: str) -> str:
    """``first17`` (any 17 digits, even an impossible date, for near misses) followed by the
    check character :func:`resident_id` would give them."""
    _digits_only(first17, "the first part of a resident ID number", 17)
    remainder = 0
    for digit in first17:
        remainder = (remainder + int(digit)) * 2 % 11
    check = (12 - remainder) % 11
    return first17 + ("X" if check == 10 else str(check))


def organisation_code(body: str) -> str:
    """The nine-character GB 11714 organisation code of eight digits or capital letters.

    Letters count as 10 to 35; the sum is built recursively, ``s = 2 (s + value)``, and the
    check is ``11 - s mod 11``, with 10 written ``X`` and 11 written ``0``.
    """
    if len(body) != 8 or not all(c.isdigit() or "A" <= c <= "Z" for c in body):
        raise ValueError(f"an organisation code's body is 8 digits or capitals, not {body!r}")
    total = 0
    for character in body:
        value = ord(character) - ord("0") if character.isdigit() else ord(character) - 55
        total = (total + value) * 2
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(authority_category: str, division: str, organisation: str) -> str:
    """The unified social credit code of an entity: ``authority_category`` (e.g. ``91`` an
    enterprise, ``Y1``), ``division`` (six digits) and its nine-character ``organisation``
    code (see :func:`organisation_code`), then the GB 32100 check character.

    Characters count by their place in GB 32100's alphabet; the weights 3^i mod 31 are applied
    recursively from the right, ``s = 3 s + value``; the check is ``(31 - s mod 31) mod 31``.
    """
    _digits_only(division, "division", 6)
    body = authority_category + division + organisation
    if len(body) != 17 or any(character not in _USCC_CHARACTERS for character in body):
        raise ValueError(f"a credit code's first 17 characters come from {_USCC_CHARACTERS}; "
                         f"got {body!r}")
    total = 0
    for character in reversed(body):
        total = total * 3 + _USCC_CHARACTERS.index(character)
    return body + _USCC_CHARACTERS[(31 - total % 31) % 31]


# The sum of the digits of twice each digit: what Luhn adds for a doubled digit.
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def card_number(body: str) -> str:
    """``body`` (an issuer number and account digits) with the Luhn check digit appended.

    Counting from the right of ``body``, the first, third, fifth... digit is doubled (it will
    stand in an even place once the check digit follows); the check digit brings the sum to a
    multiple of ten.
    """
    _digits_only(body, "a card number's body")
    total = sum(_DOUBLED[int(digit)] if place % 2 == 0 else int(digit)
                for place, digit in enumerate(reversed(body)))
    return body + str(-total % 10)
