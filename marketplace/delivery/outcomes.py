"""A verification product's answer, as abnormal-use detection reads it: match or no match.

Verification products (delivery form ``verification_api``) answer whether what the buyer sent
matches the authority's record. The answer's top-level boolean ``match`` (also ``matched`` or
``is_match``), or its ``result`` of ``match``/``no_match`` (``mismatch``, ``consistent``,
``inconsistent`` too), is read; an answer with neither has no outcome. A high share of
``no_match`` from one key is fishing: guessing inputs until one matches.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MATCH = "match"
NO_MATCH = "no_match"
_FLAGS = ("match", "matched", "is_match")
_RESULTS = {"match": MATCH, "matched": MATCH, "consistent": MATCH, "no_match": NO_MATCH,
            "mismatch": NO_MATCH, "inconsistent": NO_MATCH}


def verification_outcome(output: Any) -> str | None:
    """``match``, ``no_match`` or None (the answer does not say)."""
    if not isinstance(output, Mapping):
        return None
    for name in _FLAGS:
        if isinstance(output.get(name), bool):
            return MATCH if output[name] else NO_MATCH
    result = output.get("result")
    return _RESULTS.get(result.strip().lower()) if isinstance(result, str) else None
