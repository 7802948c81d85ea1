"""Finding personal data in free text, and masking what was found.

Each detector looks for candidates with a regular expression and keeps only those that pass the
identifier's own rules: a resident ID number must have a valid check digit, birth date and region
(``stdnum.cn.ric``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from stdnum.cn import ric

PiiKind = Literal["resident_id", "mobile", "email"]

# Not glued to Latin letters or digits, so a longer number or a product code is never read as an
# ID or a mobile; Chinese text may touch them ("手机13800138000").
_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
_MOBILE = re.compile(
    r"(?<![0-9A-Za-z+])(?:(?:\+|00)?86[ -]?)?(1[3-9]\d[ -]?\d{4}[ -]?\d{4})(?![0-9A-Za-z])")
_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b",
                    re.ASCII)


@dataclass(frozen=True)
class PiiMatch:
    """One piece of personal data found in a text, at ``start`` (a character offset)."""

    kind: PiiKind
    value: str
    start: int


def find_pii(text: str) -> list[PiiMatch]:
    """Every resident ID number, mainland mobile number and e-mail address in ``text``, in order."""
    found = [PiiMatch("resident_id", m.group(), m.start()) for m in _RESIDENT_ID.finditer(text)
             if ric.is_valid(m.group())]
    found += [PiiMatch("mobile", m.group(1), m.start(1)) for m in _MOBILE.finditer(text)]
    found += [PiiMatch("email", m.group(), m.start()) for m in _EMAIL.finditer(text)]
    return sorted(found, key=lambda match: match.start)


def mask_resident_id(value: str) -> str:
    """Keep the first three and the last four characters: ``110***********1239``."""
    return value[:3] + "*" * (len(value) - 7) + value[-4:].upper()


def mask_mobile(value: str) -> str:
    """Keep the carrier prefix and the last four digits: ``138****8000``."""
    digits = re.sub(r"\D", "", value)
    return digits[:3] + "****" + digits[-4:]


def mask_email(value: str) -> str:
    """Keep the first character of the mailbox and the domain: ``z***@example.com``."""
    mailbox, domain = value.rsplit("@", 1)
    return f"{mailbox[:1]}***@{domain}"


MASKS = {"resident_id": mask_resident_id, "mobile": mask_mobile, "email": mask_email}


def mask(match: PiiMatch) -> str:
    """The value of ``match`` masked as its kind requires."""
    return MASKS[match.kind](match.value)
