"""Finding personal data and identifiers inside free text (remarks, descriptions, messages).

The kinds whose shape is distinctive enough to be found among other words (:data:`PII_KINDS`)
are searched for with the shapes of :mod:`.detectors`, and each candidate must then pass its
kind's value detector: check digits, dates, ``ipaddress``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

from datamarket_governance_tools.detectors import DETECTORS, SHAPES

#: The kinds :func:`find_pii` finds inside free text: those whose shape is distinctive enough.
PiiKind = Literal["resident_id", "uscc", "bank_card", "mobile", "landline", "email", "ipv4",
                  "ipv6", "vehicle_plate", "passport"]
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


@dataclass(frozen=True)
class PiiMatch:
    """One piece of personal data found in a text, at ``start`` (a character offset)."""

    kind: PiiKind
    value: str
    start: int


def find_pii(text: str) -> list[PiiMatch]:
    """Every identifier of a :data:`PII_KINDS` kind in ``text``, in order of position.

    Each candidate must pass its kind's value detector (check digits, dates, ``ipaddress``).
    Where two kinds claim overlapping text, the earlier kind in the search order wins (e-mail,
    resident ID, credit code, card, IPv6, IPv4, mobile, landline, passport, plate), so the digits
    of ``13800138000@example.cn`` are not reported as a mobile number as well. A mobile number's
    value leaves out its country prefix.
    """
    found: list[PiiMatch] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _IN_TEXT:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < other_end and other_start < end for other_start, other_end in taken):
                continue
            if not DETECTORS[kind](match.group()):
                continue
            taken.append((start, end))
            if kind == "mobile":
                found.append(PiiMatch(kind, match.group("number"), match.start("number")))
            else:
                found.append(PiiMatch(kind, match.group(), start))
    return sorted(found, key=lambda match: match.start)
