"""What abnormal-use detection keeps of a gateway call's input: a small "input key".

Enumeration of sequential identifiers (1001, 1002, 1003…; resident ID numbers whose sequence
code counts up) is seen only in the inputs, and the inputs are the buyer's (often personal)
data. So the gateway keeps, per call, only what the detector needs:

- the input's *identifier*: among the top-level string or integer values, the one with the
  longest run of digits at its end (at least :data:`MIN_DIGITS`; ties go to the first field
  name in order), with spaces and hyphens removed;
- two readings of it, since an identifier may end with a check character: ``a`` reads the
  trailing digits as they are, ``b`` drops the last character first (a check digit or ``X``);
- per reading, a keyed digest (HMAC-SHA256 under the app's secret, truncated to 40 bits) of
  the field name and everything before the last :data:`TAIL_DIGITS` digits, and those digits.

``a<digest>:<digits>|b<digest>:<digits>`` (at most 45 characters). Two calls share a digest
when their identifiers agree except in the last digits; consecutive digits under one digest
are an enumeration. The full identifier is never kept, the digest cannot be read back without
the app's secret, and 40 bits make it ambiguous over a space as large as ID numbers'. Names,
free text and every other field are not kept at all. Sweeps clear input keys older than
``USAGE_INPUT_KEY_DAYS``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Identifiers shorter than this (in trailing digits) are not identifiers.
MIN_DIGITS = 4
#: The last digits kept per reading: enough for a run of a million, little of an ID number.
TAIL_DIGITS = 6
_SEPARATORS = re.compile(r"[\s\-]")
_TRAILING_DIGITS = re.compile(r"(\d+)$")


@dataclass(frozen=True)
class Reading:
    """One reading of an identifier: its group (``a`` or ``b`` and the digest) and number."""

    group: str
    number: int


def _digest(secret_key: str, text: str) -> str:
    key = hmac.new(secret_key.encode(), b"datamarket input key", hashlib.sha256).digest()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:10]


def _identifier(payload: Mapping[str, Any]) -> tuple[str, str] | None:
    best: tuple[int, str, str] | None = None
    for name in sorted(payload):
        value = payload[name]
        if isinstance(value, bool) or not isinstance(value, str | int):
            continue
        text = _SEPARATORS.sub("", str(value)).upper()[:64]
        match = _TRAILING_DIGITS.search(text) or _TRAILING_DIGITS.search(text[:-1])
        digits = len(match.group(1)) if match else 0
        if digits >= MIN_DIGITS and (best is None or digits > best[0]):
            best = (digits, name, text)
    return None if best is None else (best[1], best[2])


def _reading(secret_key: str, name: str, text: str, label: str) -> str | None:
    match = _TRAILING_DIGITS.search(text)
    if match is None or len(match.group(1)) < 2:
        return None
    tail = match.group(1)[-TAIL_DIGITS:]
    head = text[:len(text) - len(tail)]
    return f"{label}{_digest(secret_key, f'{name}={head}')}:{tail}"


def input_key(payload: Any, secret_key: str) -> str | None:
    """The input key of a call's JSON input, or None when it has no identifier."""
    if not isinstance(payload, Mapping):
        return None
    found = _identifier(payload)
    if found is None:
        return None
    name, text = found
    parts = [_reading(secret_key, name, text, "a"), _reading(secret_key, name, text[:-1], "b")]
    return "|".join(part for part in parts if part) or None


def readings(key: str | None) -> list[Reading]:
    """The readings an input key holds (none for None or a malformed key)."""
    found = []
    for part in (key or "").split("|"):
        group, _, digits = part.partition(":")
        if group and digits.isdigit():
            found.append(Reading(group, int(digits)))
    return found
