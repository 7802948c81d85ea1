"""Which kind of data a column holds, judged from a sample of its values and from its header.

The decision rule:

- Self-evident kinds (every kind but the three below) are decided by the values: the column is
  that kind when at least :data:`MIN_SHARE` (80%) of the sampled non-empty values are valid
  ones, or :data:`HINTED_MIN_SHARE` (50%) when the header means the same kind (a header meaning
  mobile numbers vouches for landline numbers too, and IPv4 for IPv6, as such columns mix them).
- Ambiguous kinds (``person_name``, ``date_of_birth``, ``passport``) look like ordinary words,
  dates or codes, so they also need the header: it must mean that kind, and at least
  :data:`AMBIGUOUS_MIN_SHARE` (60%) of the values must match. With a passport header, any 9
  letters and digits count, since foreign passports have no common shape; with a name header,
  any value shaped like a name (:func:`.names.could_be_name`), words included.
- When several kinds qualify, the one with the larger share wins; otherwise the column has no
  kind.
- Names without a header that says so: in a table (:func:`detect_columns`), a column whose
  values are at least :data:`MIN_SHARE` names (:func:`.names.is_chinese_name`, which turns
  away everyday words) next to a column of personal identifiers holds names: a name sits
  beside the ID number, the telephone or the address it goes with.
- Pseudonymized columns: when no kind qualifies, the header (with a suffix such as ``_hash``,
  ``_md5`` or ``(脱敏)`` left out) means a personal kind, and at least :data:`MIN_SHARE` of the
  values are pseudonyms (:func:`is_pseudonym`: keyed tokens as ``pseudonymize`` writes them, or
  MD5, SHA-1 and SHA-256 hex digests), the column holds that kind pseudonymized
  (``pseudonymized_kind``). It is still personal information (PIPL art. 4 and 73), which
  :mod:`.classification` grades.

Confidence is the matched share; when the header agrees it is the mean of the share and the
header mapping's confidence, and for an ambiguous kind it is the share times that confidence.
The sample is deterministic: the first ``sample_size`` non-empty values, in order.
"""

from __future__ import annotations

import datetime
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from datamarket_governance_tools.detectors import (
    KIND_LABELS,
    KIND_PLURALS,
    KINDS,
    Kind,
    detect_value,
    is_generic_passport_number,
    is_passport,
    is_person_name,
)
from datamarket_governance_tools.names import could_be_name
from datamarket_governance_tools.standards import FieldMapping, map_field

MIN_SHARE = 0.8
HINTED_MIN_SHARE = 0.5
AMBIGUOUS_MIN_SHARE = 0.6
DEFAULT_SAMPLE_SIZE = 1000
AMBIGUOUS_KINDS: frozenset[Kind] = frozenset({"person_name", "date_of_birth", "passport"})
CHECKSUM_KINDS: frozenset[Kind] = frozenset({"resident_id", "uscc", "bank_card"})
# Kinds that are not about a person: their pseudonyms are not personal information.
_NOT_PERSONAL: frozenset[Kind] = frozenset({"uscc"})
# Keyed tokens as pseudonymize writes them (an optional prefix, then the letters a-p), and the
# hex digests of MD5, SHA-1 and SHA-256, in either case.
_PSEUDONYM = re.compile(r"[A-Za-z0-9_-]{0,16}?[a-p]{12,64}|[0-9a-f]{32}|[0-9a-f]{40}"
                        r"|[0-9a-f]{64}|[0-9A-F]{32}|[0-9A-F]{40}|[0-9A-F]{64}")
# What a header adds to say its values are pseudonyms of what the rest of it names.
_PSEUDONYM_SUFFIX = re.compile(
    r"[\s_.-]*(?:hash(?:ed)?|md5|sha-?1|sha-?256|token|pseudonym|enc(?:rypted)?|masked|digest"
    r"|[(（]?(?:哈希|摘要|加密|密文|脱敏|假名化?|去标识化?)[)）]?)$", re.IGNORECASE)

# Kinds a header vouches for besides its own: contact-phone and IP columns mix the two forms.
_ALSO_VOUCHES: dict[Kind, frozenset[Kind]] = {
    "mobile": frozenset({"landline"}), "landline": frozenset({"mobile"}),
    "ipv4": frozenset({"ipv6"}), "ipv6": frozenset({"ipv4"}),
}


@dataclass(frozen=True)
class ColumnDetection:
    """What a column holds.

    :param kind: the detected kind, or ``None``.
    :param confidence: 0 to 1, how sure the detection is (see the module's rule).
    :param matched_share: the share of sampled non-empty values that are ``kind`` (0 without one).
    :param header_hint: the kind the header means through the standard elements, or ``None``.
    :param explanation: one plain sentence saying why.
    :param sampled: how many non-empty values were looked at.
    :param pseudonymized_kind: the personal kind the column holds as pseudonyms, when it holds
        no kind in the clear (``kind`` is then ``None``).
    """

    kind: Kind | None
    confidence: float
    matched_share: float
    header_hint: Kind | None
    explanation: str
    sampled: int
    pseudonymized_kind: Kind | None = None


def is_pseudonym(value: str) -> bool:
    """Whether ``value`` looks like a pseudonym: a keyed token as ``pseudonymize`` writes it, or
    an MD5, SHA-1 or SHA-256 hex digest."""
    return bool(_PSEUDONYM.fullmatch(value.strip()))


def _pseudonymized(name: str, sample: list[str]) -> Kind | None:
    """The personal kind a column of pseudonyms stands for, from its header."""
    if not sample or sum(map(is_pseudonym, sample)) < MIN_SHARE * len(sample):
        return None
    mapping = map_field(name) or map_field(_PSEUDONYM_SUFFIX.sub("", name.strip()))
    kind = mapping.element.kind if mapping is not None else None
    return kind if kind is not None and kind not in _NOT_PERSONAL else None


def as_text(value: object) -> str | None:
    """A cell as the text the detectors read, or ``None`` when it is empty.

    Whole numbers stored as floats (``13800138000.0`` from a spreadsheet) lose their ``.0``;
    dates become ``YYYY-MM-DD``, and date-times at midnight too.
    """
    if value is None:
        return None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() \
            and abs(value) < 1e16:
        text = str(int(value))
    elif isinstance(value, datetime.datetime):
        text = value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    elif isinstance(value, datetime.date):
        text = value.isoformat()
    else:
        text = str(value)
    text = text.strip()
    return text or None


def sample_values(values: Iterable[object], sample_size: int = DEFAULT_SAMPLE_SIZE) -> list[str]:
    """The first ``sample_size`` non-empty values as text (see :func:`as_text`)."""
    sample: list[str] = []
    for value in values:
        text = as_text(value)
        if text is not None:
            sample.append(text)
            if len(sample) == sample_size:
                break
    return sample


def percent(share: float) -> str:
    """``share`` as a whole percentage that never rounds a partial share to 0% or 100%."""
    whole = round(share * 100)
    if whole == 100 and share < 1:
        return "99%"
    if whole == 0 and share > 0:
        return "less than 1%"
    return f"{whole}%"


def _vouches(hint: Kind | None, kind: Kind) -> bool:
    """Whether a header meaning ``hint`` supports values of ``kind``."""
    return hint == kind or (hint is not None and kind in _ALSO_VOUCHES.get(hint, frozenset()))


def _required_share(kind: Kind, hint: Kind | None) -> float | None:
    """The share ``kind`` needs under a header meaning ``hint``; ``None`` if it cannot qualify."""
    if kind in AMBIGUOUS_KINDS:
        return AMBIGUOUS_MIN_SHARE if hint == kind else None
    if _vouches(hint, kind):
        return HINTED_MIN_SHARE
    return MIN_SHARE


def _are(kind: Kind) -> str:
    if kind in AMBIGUOUS_KINDS:
        return f"could be {KIND_PLURALS[kind]}"
    if kind in CHECKSUM_KINDS:
        return f"are valid {KIND_PLURALS[kind]}"
    return f"are {KIND_PLURALS[kind]}"


def _explain(name: str, kind: Kind | None, shares: Mapping[Kind, float], sampled: int,
             hint: Kind | None) -> str:
    header = f"the header '{name}'"
    if sampled == 0:
        if hint is None:
            return "The column has no values to check."
        return (f"The column has no values to check, so nothing confirms that {header} means "
                f"{KIND_PLURALS[hint]}.")
    values = f"{sampled:,} sampled values"
    if kind is not None:
        found = f"{percent(shares[kind]).capitalize()} of {values} {_are(kind)}"
        if hint == kind:
            return f"{found} and {header} means {KIND_LABELS[kind]}."
        if hint is not None and not _vouches(hint, kind):
            return f"{found}, although {header} suggests {KIND_PLURALS[hint]}."
        return f"{found}."
    if hint is not None:
        needed = _required_share(hint, hint) or 0.0
        return (f"{header.capitalize()} suggests {KIND_PLURALS[hint]}, but only "
                f"{percent(shares.get(hint, 0.0))} of {values} {_are(hint)} "
                f"({percent(needed)} needed), so the column is not classified.")
    if not shares:
        return f"None of the {values} is personal data or an identifier the detectors know."
    best = max(shares, key=lambda candidate: (shares[candidate], -KINDS.index(candidate)))
    if best in AMBIGUOUS_KINDS:
        return (f"{percent(shares[best]).capitalize()} of {values} {_are(best)}, but "
                f"{header} does not say so, so the column is not classified.")
    return (f"Only {percent(shares[best])} of {values} {_are(best)} ({percent(MIN_SHARE)} "
            f"needed), so the column is not classified.")


def _confidence(kind: Kind, share: float, hint: Kind | None,
                mapping: FieldMapping | None) -> float:
    if mapping is None or hint is None:
        return share
    if kind in AMBIGUOUS_KINDS:
        return share * mapping.confidence
    if _vouches(hint, kind):
        return (share + mapping.confidence) / 2
    return share


def detect_column(name: str, values: Sequence[object], *,
                  sample_size: int = DEFAULT_SAMPLE_SIZE) -> ColumnDetection:
    """The kind of data the column ``name`` holds, judged on its first ``sample_size``
    non-empty ``values`` and its header, by the rule in this module's docstring.

    :raises ValueError: ``sample_size`` is less than 1.
    """
    if sample_size < 1:
        raise ValueError(f"sample_size must be at least 1, not {sample_size}")
    sample = sample_values(values, sample_size)
    mapping = map_field(name)
    hint = mapping.element.kind if mapping is not None else None
    counts: Counter[Kind] = Counter(kind for value in sample for kind in detect_value(value))
    if hint == "passport":
        counts["passport"] = sum(1 for value in sample
                                 if is_passport(value) or is_generic_passport_number(value))
    elif hint == "person_name":
        # Under a header that says so, a value shaped like a name is one, even if it is also a
        # word or a famous person's name (高峰, 李娜).
        counts["person_name"] = sum(1 for value in sample if could_be_name(value.strip()))
    shares = {kind: count / len(sample) for kind, count in counts.items() if count}
    qualifying = [kind for kind, share in shares.items()
                  if (needed := _required_share(kind, hint)) is not None and share >= needed]
    kind = max(qualifying, key=lambda candidate: (shares[candidate], -KINDS.index(candidate)),
               default=None)
    share = shares[kind] if kind is not None else 0.0
    confidence = _confidence(kind, share, hint, mapping) if kind is not None else 0.0
    pseudonymized = _pseudonymized(name, sample) if kind is None else None
    explanation = _explain(name, kind, shares, len(sample), hint)
    if pseudonymized is not None:
        pseudonyms = sum(map(is_pseudonym, sample)) / len(sample)
        explanation = (f"{percent(pseudonyms).capitalize()} of {len(sample):,} sampled values "
                       f"are pseudonyms or hashes and the header '{name}' means "
                       f"{KIND_PLURALS[pseudonymized]}: the column holds pseudonymized "
                       f"{KIND_PLURALS[pseudonymized]}.")
    return ColumnDetection(
        kind=kind,
        confidence=round(confidence, 4),
        matched_share=round(share, 4),
        header_hint=hint,
        explanation=explanation,
        sampled=len(sample),
        pseudonymized_kind=pseudonymized,
    )


#: Kinds beside which a column of names is taken for names without a header.
NAME_NEIGHBOURS: frozenset[Kind] = frozenset(
    {"resident_id", "passport", "bank_card", "mobile", "landline", "email", "address",
     "date_of_birth", "vehicle_plate"})


def _names_beside_identifiers(columns: dict[str, list[object]],
                              detections: dict[str, ColumnDetection],
                              sample_size: int) -> None:
    """Give ``person_name`` to unclassified columns of names next to personal identifiers."""
    names = list(detections)
    for position, name in enumerate(names):
        detection = detections[name]
        if detection.kind is not None or detection.pseudonymized_kind is not None:
            continue
        beside = [names[other] for other in (position - 1, position + 1)
                  if 0 <= other < len(names)
                  and detections[names[other]].kind in NAME_NEIGHBOURS]
        if not beside:
            continue
        sample = sample_values(columns[name], sample_size)
        share = sum(map(is_person_name, sample)) / len(sample) if sample else 0.0
        if share < MIN_SHARE:
            continue
        neighbour = detections[beside[0]]
        detections[name] = ColumnDetection(
            kind="person_name", confidence=round(share, 4), matched_share=round(share, 4),
            header_hint=detection.header_hint, sampled=len(sample),
            explanation=(f"{percent(share).capitalize()} of {len(sample):,} sampled values are "
                         f"personal names, and the column beside it, '{beside[0]}', holds "
                         f"{KIND_PLURALS[neighbour.kind]}."))


def detect_columns(rows: Sequence[Mapping[str, object]], *,
                   sample_size: int = DEFAULT_SAMPLE_SIZE,
                   checkpoint: Callable[[], object] | None = None) -> dict[str, ColumnDetection]:
    """:func:`detect_column` for every column of ``rows``, in the order columns first appear.

    A row without a column counts as an empty value in it.

    :param checkpoint: called before each column, e.g. ``ctx.check_deadline`` so that a long
        run stops by raising.
    """
    columns: dict[str, list[object]] = {}
    for row in rows:
        for column, value in row.items():
            columns.setdefault(column, []).append(value)
    detections = {}
    for column, values in columns.items():
        if checkpoint is not None:
            checkpoint()
        detections[column] = detect_column(column, values, sample_size=sample_size)
    _names_beside_identifiers(columns, detections, sample_size)
    return detections
