"""How found personal data is shown in reports: masked, so a finding can point at a value
without repeating it.

These are display masks with fixed rules, one per kind, built on :func:`.masking.partial_mask`
and :func:`.masking.generalize_address`; the configurable desensitization strategies for whole
datasets are in :mod:`.masking`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

from datamarket_governance_tools.detectors import Kind, parse_written_date
from datamarket_governance_tools.free_text import PiiMatch
from datamarket_governance_tools.masking import generalize_address, partial_mask
from datamarket_governance_tools.surnames import COMPOUND_SURNAMES


def _keep(value: str, first: int, last: int) -> str:
    return partial_mask(value, keep_first=first, keep_last=last) or ""


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def mask_resident_id(value: str) -> str:
    """Keep the first three and the last four characters: ``110***********1239``."""
    return _keep(value.strip().upper(), 3, 4)


def mask_mobile(value: str) -> str:
    """Keep the carrier prefix and the last four digits: ``138****8000``."""
    return _keep(_digits(value)[-11:], 3, 4)


def mask_landline(value: str) -> str:
    """Keep the area code and the last four digits: ``010-****5678``."""
    digits = _digits(value)
    if value.strip().startswith("+86"):
        digits = "0" + digits[2:]
    area = digits[:3] if digits[1] in "12" else digits[:4]
    return f"{area}-{_keep(digits[len(area):], 0, 4)}"


def mask_email(value: str) -> str:
    """Keep the first character of the mailbox and the domain: ``z***@example.com``."""
    mailbox, domain = value.strip().rsplit("@", 1)
    return f"{mailbox[:1]}***@{domain}"


def mask_ip(value: str) -> str:
    """Keep the network's first half: ``192.168.*.*``, ``2001:db8:*:*:*:*:*:*``."""
    text = value.strip()
    if ":" in text:
        groups = [group.lstrip("0") or "0"
                  for group in ipaddress.IPv6Address(text).exploded.split(":")]
        return ":".join(groups[:2] + ["*"] * 6)
    return ".".join(text.split(".")[:2] + ["*", "*"])


def mask_date(value: str) -> str:
    """Keep the year only: ``1990-**-**``."""
    written = parse_written_date(value)
    return f"{written.year}-**-**" if written else "****-**-**"


def mask_person_name(value: str) -> str:
    """Keep the surname: ``张*``, ``欧阳**``."""
    name = value.strip()
    return _keep(name, 2 if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES else 1, 0)


def mask_address(value: str) -> str:
    """Keep the province and city: ``广东省深圳市****``."""
    return f"{generalize_address(value.strip(), to='city')}****"


_MASKS: dict[Kind, Callable[[str], str]] = {
    "resident_id": mask_resident_id,
    "uscc": lambda value: _keep(value.strip().upper(), 2, 4),
    "bank_card": lambda value: _keep(_digits(value), 6, 4),
    "mobile": mask_mobile,
    "landline": mask_landline,
    "email": mask_email,
    "ipv4": mask_ip,
    "ipv6": mask_ip,
    "vehicle_plate": lambda value: _keep(re.sub(r"[ ·]", "", value.strip().upper()), 2, 1),
    "passport": lambda value: _keep(value.strip().upper(), 1, 2),
    "date_of_birth": mask_date,
    "person_name": mask_person_name,
    "address": mask_address,
}


def mask_value(kind: Kind, value: str) -> str:
    """``value``, a valid ``kind``, with all but a recognisable part hidden behind ``*``.

    Cards keep the issuer and the last four digits, plates the province, the city letter and
    the last character, passports the series letter and the last two digits, credit codes the
    authority, the category and the last four characters.
    """
    return _MASKS[kind](value)


def mask(match: PiiMatch) -> str:
    """The value of ``match`` masked as its kind requires."""
    return mask_value(match.kind, match.value)
