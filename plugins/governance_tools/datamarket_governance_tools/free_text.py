"""Finding personal data and identifiers inside free text (remarks, descriptions, messages).

Identifiers (every :data:`PII_KINDS` kind but names and addresses) are searched for with the
shapes of :mod:`.detectors`, and each candidate must then pass its kind's value detector:
check digits, dates, ``ipaddress``. Full-width digits, letters and brackets count as their
half-width forms. Personal names and postal addresses, which have no shape of their own, are
found by the words around them (:mod:`.prose`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

from datamarket_governance_tools.detectors import DETECTORS, SHAPES
from datamarket_governance_tools.prose import find_addresses, find_names

#: The kinds :func:`find_pii` finds inside free text.
PiiKind = Literal["resident_id", "uscc", "bank_card", "mobile", "landline", "email", "ipv4",
                  "ipv6", "vehicle_plate", "passport", "person_name", "address"]
PII_KINDS: tuple[PiiKind, ...] = get_args(PiiKind)

# Not glued to Latin letters or digits, so a longer number or a product code is never read as an
# identifier; Chinese text may touch them ("手机13800138000").
_APART = r"(?<![0-9A-Za-z{extra}])(?:{pattern})(?![0-9A-Za-z{extra}])"
# Tried in this order; a later kind never claims text an earlier one found.
_IN_TEXT: tuple[tuple[PiiKind, re.Pattern[str]], ...] = (
    ("email", re.compile(rf"(?<![\w.%+-])(?:{SHAPES['email']})(?![\w-])", re.ASCII)),
    ("resident_id", re.compile(_APART.format(pattern=SHAPES["resident_id"], extra=""))),
    ("uscc", re.compile(_APART.format(pattern=SHAPES["uscc"], extra=""))),
    ("bank_card", re.compile(_APART.format(pattern=SHAPES["bank_card"], extra=""))),
    ("ipv6", re.compile(_APART.format(pattern=SHAPES["ipv6"], extra=":"))),
    # Not next to another dot and digit either, so 1.2.3.4.5 is no address.
    ("ipv4", re.compile(rf"(?<![0-9A-Za-z])(?<!\d\.)(?:{SHAPES['ipv4']})(?!\.?\d)")),
    ("mobile", re.compile(_APART.format(pattern=SHAPES["mobile"], extra="+"))),
    ("landline", re.compile(_APART.format(pattern=SHAPES["landline"], extra=""))),
    ("passport", re.compile(_APART.format(pattern=SHAPES["passport"], extra=""))),
    # A plate starts with a Chinese character, which the text before it may touch.
    ("vehicle_plate", re.compile(rf"(?:{SHAPES['vehicle_plate']})(?![0-9A-Za-z])")),
)


# Full-width ASCII (ＡＢＣ１２３（）) and the ideographic space as their half-width forms, one
# character for one, so positions in the translated text are positions in the original.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


@dataclass(frozen=True)
class PiiMatch:
    """One piece of personal data found in a text, at ``start`` (a character offset)."""

    kind: PiiKind
    value: str
    start: int


def find_pii(text: str) -> list[PiiMatch]:
    """Every identifier, personal name and address in ``text``, in order of position.

    Each identifier must pass its kind's value detector (check digits, dates, ``ipaddress``).
    Where two kinds claim overlapping text, the earlier kind in the search order wins (e-mail,
    resident ID, credit code, card, IPv6, IPv4, mobile, landline, passport, plate, then
    addresses and names), so the digits of ``13800138000@example.cn`` are not reported as a
    mobile number as well. A mobile number's value leaves out its country prefix; values are
    as the text writes them (full-width characters included).
    """
    searched = text.translate(_HALF_WIDTH)
    found: list[PiiMatch] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return not any(start < other_end and other_start < end
                       for other_start, other_end in taken)

    for kind, pattern in _IN_TEXT:
        for match in pattern.finditer(searched):
            start, end = match.span()
            if not free(start, end) or not DETECTORS[kind](match.group()):
                continue
            taken.append((start, end))
            if kind == "mobile":
                start, end = match.span("number")
            found.append(PiiMatch(kind, text[start:end], start))
    for kind, finder in (("address", find_addresses), ("person_name", find_names)):
        for start, value in finder(searched):
            end = start + len(value)
            if free(start, end):
                taken.append((start, end))
                found.append(PiiMatch(kind, text[start:end], start))
    return sorted(found, key=lambda match: match.start)
