"""The compliance review of a listing submitted for review (合规评估): what a reviewer checks first.

:func:`review_listing` reads the listing's data dictionary and its public sample rows and
reports, blocking findings first:

- ``sample.unmasked_<kind>`` (blocking): a sample column shows personal data unmasked;
- ``dictionary.under_declared`` (blocking): a field holds data more sensitive than declared;
- ``classification.too_low`` (blocking): the listing's level is below what its fields call for;
- ``dictionary.missing``, ``sample.missing`` (warnings, datasets only) and
  ``sample.undocumented_field`` (warning): what a buyer cannot understand;
- ``standard.mapping`` (info): the standard element each field corresponds to;
- ``data.scanned`` (info): how many of the dataset's rows were checked.

When the listing sells a dataset, its rows (``data_rows``, a sample spread over the dataset)
are evidence too: what they hold counts toward the level and toward what the dictionary must
declare (they are not public, so unmasked values there are no finding of their own), and the
dataset's ``row_count`` decides the large-scale rule of the classification.

What a field holds comes from its sample values (:mod:`.columns`, :func:`.free_text.find_pii`)
and from its name (:mod:`.standards`, when the name maps with confidence
:data:`NAME_CONFIDENCE` or more and the sample does not show unmasked values of another sort).
A standard element can say a kind is not personal in that field: an enterprise's registered
address or telephone number needs no masking. What counts toward the level depends on what the
product delivers (:data:`LEVEL_EVIDENCE`). Masked values (with ``*``, ``＊`` or ``•``) never
count as unmasked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from datamarket_sdk import Finding, ListingSnapshot

from datamarket_governance_tools.classification import (
    KIND_SENSITIVITY,
    LEVEL_LABELS,
    SENSITIVITY_LEVELS,
    classify_kinds,
    level_for_sensitivities,
)
from datamarket_governance_tools.columns import ColumnDetection, as_text, detect_column
from datamarket_governance_tools.detectors import (
    KIND_PLURALS,
    MASK_CHARACTERS,
    Kind,
    detect_value,
    is_generic_passport_number,
)
from datamarket_governance_tools.free_text import find_pii
from datamarket_governance_tools.pii_masks import mask_value
from datamarket_governance_tools.standards import FieldMapping, Sensitivity, map_field

DATASET_PRODUCT_TYPES = frozenset({"raw_dataset", "desensitized_dataset", "dataset"})
_EVERYTHING = frozenset({"values", "names", "declared"})
#: What counts toward the level a listing needs, by product type: its sample ``values``, its
#: field ``names`` and the sensitivities its dictionary ``declared``. A raw dataset delivers
#: every field as it is; a desensitized dataset delivers its fields masked, as its sample shows;
#: a model-ized data service answers as its sample answers do, and its dictionary describes the
#: requests too. AI services and governance tools work on the buyer's own input and hold no
#: data to grade, so their level is not checked.
LEVEL_EVIDENCE: dict[str, frozenset[str]] = {
    "raw_dataset": _EVERYTHING, "dataset": _EVERYTHING,
    "desensitized_dataset": frozenset({"values", "declared"}),
    "modelized_data": frozenset({"values"}),
}
#: A field name mapping at least this surely is evidence of what the field holds.
NAME_CONFIDENCE = 0.85
MAX_MAPPING_FINDINGS = 20
SENSITIVITY_RANK: dict[str, int] = {
    "none": 0, "personal": 1, "sensitive_personal": 2, "confidential": 2}
_SENSITIVITY_PHRASES = {"none": "not personal", "personal": "personal information",
                        "sensitive_personal": "sensitive personal information",
                        "confidential": "confidential"}
_SEVERITY_ORDER = {"blocking": 0, "warning": 1, "info": 2}


@dataclass
class _Exposure:
    """Unmasked values of one kind in one sample column."""

    count: int
    example: str


def _name_kind(mapping: FieldMapping | None) -> Kind | None:
    if mapping is None or mapping.confidence < NAME_CONFIDENCE:
        return None
    return mapping.element.kind


def implied_sensitivity(kind: Kind, mapping: FieldMapping | None) -> Sensitivity:
    """The sensitivity a field holding ``kind`` needs: the standard element's when the field's
    name maps surely to an element of that kind, otherwise the kind's own."""
    if mapping is not None and _name_kind(mapping) == kind:
        return mapping.element.sensitivity
    return KIND_SENSITIVITY[kind]


def _exposures(values: list[str], detection: ColumnDetection) -> dict[Kind, _Exposure]:
    """The kinds shown unmasked in one column's sample values, each with a masked example."""
    exposed: dict[Kind, _Exposure] = {}

    def record(kind: Kind, value: str) -> None:
        if kind in exposed:
            exposed[kind].count += 1
        else:
            exposed[kind] = _Exposure(1, mask_value(kind, value))

    for value in values:
        kinds: set[Kind] = set()
        for match in find_pii(value):
            if match.kind not in kinds:
                kinds.add(match.kind)
                record(match.kind, match.value)
        # Kinds that only the column as a whole reveals: names, birth dates, addresses.
        column_kind = detection.kind
        if column_kind is not None and column_kind not in kinds and (
                column_kind in detect_value(value)
                or (column_kind == "passport" and is_generic_passport_number(value))):
            record(column_kind, value)
    return exposed


def _is_masked(value: str) -> bool:
    return any(character in MASK_CHARACTERS for character in value)


def _where(count: int, total: int) -> str:
    if total == 1:
        return "its only sample value"
    if count == total:
        return f"all {total} of its sample values"
    return f"{count} of its {total} sample values"


def _unmasked_findings(column: str, total: int, exposed: Mapping[Kind, _Exposure],
                       mapping: FieldMapping | None) -> list[Finding]:
    findings = []
    for kind, exposure in exposed.items():
        if implied_sensitivity(kind, mapping) == "none":
            continue
        findings.append(Finding(
            f"sample.unmasked_{kind}",
            f"Mask the values of '{column}' in the sample (e.g. {exposure.example}) before "
            f"submitting: unmasked {KIND_PLURALS[kind]} appear in {_where(exposure.count, total)}"
            f", and the sample is public on the product page.",
            "blocking", column))
    return findings


def _under_declared(name: str, declared: str, evidence: list[tuple[Kind, str]],
                    mapping: FieldMapping | None) -> Finding | None:
    if not evidence:
        return None
    kind, source = max(evidence,
                       key=lambda item: SENSITIVITY_RANK[implied_sensitivity(item[0], mapping)])
    implied = implied_sensitivity(kind, mapping)
    if SENSITIVITY_RANK[implied] <= SENSITIVITY_RANK.get(declared, 0):
        return None
    return Finding(
        "dictionary.under_declared",
        f"'{name}' holds {KIND_PLURALS[kind]} ({source}), which are "
        f"{_SENSITIVITY_PHRASES[implied]}, but the data dictionary declares its sensitivity as "
        f"'{declared}'. Declare it as '{implied}'.",
        "blocking", name)


def _level_finding(listing: ListingSnapshot, kinds: Mapping[str, Kind],
                   declared: Mapping[str, str],
                   pseudonymized: Mapping[str, Kind]) -> Finding | None:
    """``classification.too_low`` when the listing's level is below what ``kinds``, the
    ``pseudonymized`` columns and the ``declared`` sensitivities (pass none to leave them out)
    call for."""
    derived = classify_kinds(kinds, row_count=listing.row_count or 0,
                             pseudonymized=pseudonymized)
    declared_level = level_for_sensitivities(declared.values())
    required = max(derived.level, declared_level)
    if listing.classification_level >= required:
        return None
    if derived.level >= declared_level:
        why = derived.reasons[0]
    else:
        field = next(name for name, value in declared.items()
                     if SENSITIVITY_LEVELS.get(value, 1) == declared_level)
        why = (f"The data dictionary declares '{field}' as '{declared[field]}', which needs "
               f"at least {LEVEL_LABELS[declared_level]} (level {declared_level}).")
    level = listing.classification_level
    return Finding(
        "classification.too_low",
        f"The listing is classified as level {level} ({LEVEL_LABELS.get(level, 'unknown')}), "
        f"but its fields call for level {required} ({LEVEL_LABELS[required]}). {why} Raise the "
        f"classification level to {required}, or remove the fields that require it.",
        "blocking")


def _mapping_finding(name: str, mapping: FieldMapping) -> Finding:
    element = mapping.element
    return Finding(
        "standard.mapping",
        f"'{name}' corresponds to the standard element {element.name_zh} ({element.name_en}, "
        f"{element.code}): data type {element.data_type}, sensitivity {element.sensitivity}.",
        "info", name)


def _review_field(name: str, values: list[str] | None, declared: str | None,
                  mapping: FieldMapping | None, names_count: bool,
                  data: list[str] | None = None,
                  ) -> tuple[list[Finding], Kind | None, Kind | None]:
    """The findings about one field, the kind it counts as toward the level (if any), and the
    personal kind its sample shows pseudonymized (if any).

    :param values: the field's sample values as text, ``None`` when the sample lacks it.
    :param declared: its sensitivity in the data dictionary, ``None`` when it is not there.
    :param names_count: whether what the name says counts toward the level.
    :param data: the field's values in the dataset's rows, ``None`` when there are none.
    """
    findings: list[Finding] = []
    evidence: list[tuple[Kind, str]] = []
    kind: Kind | None = None
    pseudonymized: Kind | None = None
    name_kind = _name_kind(mapping)
    if values is not None:
        detection = detect_column(name, values)
        pseudonymized = detection.pseudonymized_kind
        exposed = _exposures(values, detection)
        findings += _unmasked_findings(name, len(values), exposed, mapping)
        evidence += [(found, "found in its sample values") for found in exposed]
        kind = detection.kind or max(exposed, key=lambda found: exposed[found].count,
                                     default=None)
        # Unmasked values of another sort outweigh the name: 'name' may hold car-park names.
        if kind != name_kind and any(not _is_masked(value) for value in values):
            name_kind = None
    if data:
        data_detection = detect_column(name, data)
        found = _exposures(data, data_detection)
        evidence += [(found_kind, "found in the dataset's rows") for found_kind in found]
        kind = kind or data_detection.kind or max(found, key=lambda k: found[k].count,
                                                  default=None)
        pseudonymized = pseudonymized or data_detection.pseudonymized_kind
    if mapping is not None and name_kind is not None:
        evidence.append((name_kind, f"its name means the standard element "
                                    f"{mapping.element.name_zh}, {mapping.element.name_en}"))
        if kind is None and names_count:
            kind = name_kind
    if declared is not None:
        finding = _under_declared(name, declared, evidence, mapping)
        findings += [finding] if finding is not None else []
    # Public enterprise data (a registered address, a company telephone) does not raise the level.
    if kind is not None and kind != "uscc" and implied_sensitivity(kind, mapping) == "none":
        kind = None
    return findings, kind, pseudonymized


def _column_values(rows: list[dict]) -> dict[str, list[str]]:
    """Each column's non-empty values as text, from rows as dicts."""
    columns: dict[str, list[str]] = {}
    for row in rows:
        for column, cell in row.items():
            text = as_text(cell)
            column_values = columns.setdefault(str(column), [])
            if text is not None:
                column_values.append(text)
    return columns


def review_listing(listing: ListingSnapshot) -> list[Finding]:
    """The compliance findings for ``listing``: blocking first, then warnings, then information.

    Within a severity the findings keep the order the checks run in: field by field (the data
    dictionary's order, then the sample's other columns), then the level, the missing
    dictionary or sample, the undocumented sample columns and the standard mappings. An empty
    list means the reviewer has nothing to be warned about.
    """
    dictionary = [entry for entry in listing.data_dictionary
                  if isinstance(entry, Mapping) and str(entry.get("name") or "").strip()]
    declared = {str(entry["name"]): str(entry.get("sensitivity") or "none")
                for entry in dictionary}
    samples = _column_values(listing.sample_rows)
    data = _column_values(listing.data_rows)
    mappings = {name: map_field(name) for name in dict.fromkeys([*declared, *samples, *data])}
    is_dataset = listing.product_type in DATASET_PRODUCT_TYPES
    level_evidence = LEVEL_EVIDENCE.get(listing.product_type, frozenset())

    findings: list[Finding] = []
    kinds: dict[str, Kind] = {}
    pseudonymized: dict[str, Kind] = {}
    for name, mapping in mappings.items():
        field_findings, kind, pseudonym_kind = _review_field(
            name, samples.get(name), declared.get(name), mapping,
            names_count="names" in level_evidence, data=data.get(name))
        findings += field_findings
        if kind is not None:
            kinds[name] = kind
        elif pseudonym_kind is not None:
            pseudonymized[name] = pseudonym_kind

    if level_evidence:
        level_finding = _level_finding(listing, kinds,
                                       declared if "declared" in level_evidence else {},
                                       pseudonymized)
        if level_finding is not None:
            findings.append(level_finding)
    if is_dataset and not dictionary:
        findings.append(Finding(
            "dictionary.missing",
            "The listing has no data dictionary. Describe every field (name, type, meaning and "
            "sensitivity) so that buyers and reviewers know what the dataset holds.", "warning"))
    if is_dataset and not listing.sample_rows:
        findings.append(Finding(
            "sample.missing",
            "The listing has no sample rows. Add a few rows, with personal data masked, so that "
            "buyers can see what the data looks like.", "warning"))
    if dictionary:
        findings += [Finding(
            "sample.undocumented_field",
            f"The sample has a column '{name}' that the data dictionary does not describe. Add "
            f"it to the dictionary or remove it from the sample.", "warning", name)
            for name in samples if name not in declared]
    if listing.row_count is not None:
        findings.append(Finding(
            "data.scanned",
            f"The dataset has {listing.row_count:,} rows; {len(listing.data_rows):,} of them, "
            f"spread over the whole dataset, were checked with the sample.", "info"))
    mapped = [(name, mapping) for name in (declared or samples)
              if (mapping := mappings[name]) is not None]
    findings += [_mapping_finding(name, mapping) for name, mapping in
                 mapped[:MAX_MAPPING_FINDINGS]]
    return sorted(findings, key=lambda finding: _SEVERITY_ORDER[finding.severity])
