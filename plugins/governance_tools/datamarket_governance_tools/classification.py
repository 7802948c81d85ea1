"""Classification and grading (分级分类): the level a dataset's contents call for.

Levels: 1 public, 2 internal, 3 sensitive, 4 core. The rules, from the strongest:

- **core (4)**: a combination that identifies people *and* attaches more to them
  (:data:`CORE_COMBINATIONS`: names with resident ID, passport or bank card numbers; resident ID
  with bank card numbers; names with mobile numbers and addresses), or personal data that puts a
  dataset at level 3 held on :data:`LARGE_SCALE_PEOPLE` (1,000,000) people or more;
- **sensitive (3)**: any direct personal identifier (:data:`DIRECT_IDENTIFIERS`), or two
  different indirect ones together (:data:`INDIRECT_IDENTIFIERS`, e.g. names and addresses);
- **internal (2)**: one kind of indirect identifier alone, enterprise identifiers (unified
  social credit codes), or pseudonymized personal data: de-identified (去标识化) personal
  information is still personal information (PIPL art. 4 and 73), since whoever holds the key
  or the other data can link it back to people;
- **public (1)**: none of these.

:func:`level_for_sensitivities` grades a data dictionary's declared sensitivities the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from datamarket_governance_tools.columns import ColumnDetection
from datamarket_governance_tools.detectors import KIND_PLURALS, KINDS, Kind
from datamarket_governance_tools.standards import Sensitivity

Label = Literal["public", "internal", "sensitive", "core"]
LEVEL_LABELS: dict[int, Label] = {1: "public", 2: "internal", 3: "sensitive", 4: "core"}

#: Identify a person on their own.
DIRECT_IDENTIFIERS: frozenset[Kind] = frozenset(
    {"resident_id", "passport", "bank_card", "mobile", "email", "vehicle_plate"})
#: Personal data that identifies a person only together with something else.
INDIRECT_IDENTIFIERS: frozenset[Kind] = frozenset(
    {"person_name", "address", "date_of_birth", "landline", "ipv4", "ipv6"})
ENTERPRISE_IDENTIFIERS: frozenset[Kind] = frozenset({"uscc"})
#: Personal data on this many people or more raises a sensitive dataset to core.
LARGE_SCALE_PEOPLE = 1_000_000

#: Combinations that identify people and attach sensitive data to them, with why.
CORE_COMBINATIONS: tuple[tuple[frozenset[Kind], str], ...] = (
    (frozenset({"person_name", "resident_id"}),
     "Names together with resident ID numbers identify individuals directly"),
    (frozenset({"person_name", "passport"}),
     "Names together with passport numbers identify individuals directly"),
    (frozenset({"person_name", "bank_card"}),
     "Names together with bank card numbers tie financial accounts to individuals"),
    (frozenset({"resident_id", "bank_card"}),
     "Resident ID numbers together with bank card numbers tie financial accounts to individuals"),
    (frozenset({"person_name", "mobile", "address"}),
     "Names, mobile numbers and addresses together let anyone contact and find individuals"),
)

#: The sensitivity values of each kind imply when nothing more specific is known.
KIND_SENSITIVITY: dict[Kind, Sensitivity] = {
    **{kind: "personal" for kind in KINDS},
    "resident_id": "sensitive_personal", "passport": "sensitive_personal",
    "bank_card": "sensitive_personal", "uscc": "none",
}
#: The least level a field of each declared sensitivity calls for.
SENSITIVITY_LEVELS: dict[str, int] = {
    "none": 1, "personal": 2, "sensitive_personal": 3, "confidential": 3}


@dataclass(frozen=True)
class Classification:
    """The level a dataset calls for, and why.

    :param level: 1 (public) to 4 (core).
    :param label: public, internal, sensitive or core.
    :param reasons: plain sentences, the decisive one first.
    :param sensitive_columns: the columns holding personal data, with their kind.
    """

    level: int
    label: Label
    reasons: list[str] = field(default_factory=list)
    sensitive_columns: dict[str, Kind] = field(default_factory=dict)


def _at(level: int, exact: bool = False) -> str:
    return f"{'' if exact else 'at least '}{LEVEL_LABELS[level]} (level {level})"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _columns(kinds: Iterable[Kind], by_kind: Mapping[Kind, list[str]]) -> str:
    names = [f"'{column}'" for kind in kinds for column in by_kind[kind]]
    return f"column{'s' if len(names) > 1 else ''} {_and(names)}"


def classify_kinds(columns: Mapping[str, Kind], row_count: int,
                   pseudonymized: Mapping[str, Kind] | None = None) -> Classification:
    """The classification of a dataset whose columns hold the given kinds.

    :param columns: column name → the kind it holds (columns without a kind left out).
    :param row_count: the rows (people) in the whole dataset; 0 when unknown, which never
        triggers the large-scale rule.
    :param pseudonymized: column name → the personal kind it holds as pseudonyms.
    """
    by_kind: dict[Kind, list[str]] = {}
    for column, kind in columns.items():
        by_kind.setdefault(kind, []).append(column)
    present = [kind for kind in KINDS if kind in by_kind]  # a stable order for the reasons
    found: list[tuple[int, str]] = []

    for combination, why in CORE_COMBINATIONS:
        if combination <= by_kind.keys():
            ordered = [kind for kind in present if kind in combination]
            found.append((4, f"{why} ({_columns(ordered, by_kind)}), so the dataset is "
                             f"{_at(4, exact=True)}."))
    for kind in present:
        if kind in DIRECT_IDENTIFIERS:
            found.append((3, f"{_columns([kind], by_kind).capitalize()} "
                             f"{'hold' if len(by_kind[kind]) > 1 else 'holds'} "
                             f"{KIND_PLURALS[kind]}, which identify individuals, so the dataset "
                             f"is {_at(3)}."))
    indirect = [kind for kind in present if kind in INDIRECT_IDENTIFIERS]
    if len(indirect) >= 2:
        listed = _and([KIND_PLURALS[kind] for kind in indirect])
        found.append((3, f"{listed.capitalize()} together single out individuals "
                         f"({_columns(indirect, by_kind)}), so the dataset is {_at(3)}."))
    elif indirect:
        found.append((2, f"{_columns(indirect, by_kind).capitalize()} "
                         f"{'hold' if len(by_kind[indirect[0]]) > 1 else 'holds'} "
                         f"{KIND_PLURALS[indirect[0]]}, which are personal data, so the dataset "
                         f"is {_at(2)}."))
    for kind in present:
        if kind in ENTERPRISE_IDENTIFIERS:
            found.append((2, f"{_columns([kind], by_kind).capitalize()} identif"
                             f"{'y' if len(by_kind[kind]) > 1 else 'ies'} enterprises by their "
                             f"{KIND_PLURALS[kind]}, so the dataset is {_at(2)}."))

    for column, kind in (pseudonymized or {}).items():
        found.append((2, f"Column '{column}' holds pseudonymized {KIND_PLURALS[kind]}: "
                         "pseudonymized personal information is still personal information "
                         "(PIPL art. 4 and 73), because whoever holds the key or other data can "
                         f"link it back to people, so the dataset is {_at(2)}."))

    level = max((level for level, _reason in found), default=1)
    if level == 3 and row_count >= LARGE_SCALE_PEOPLE:
        found.append((4, f"The dataset holds personal data on {row_count:,} people, "
                         f"{LARGE_SCALE_PEOPLE:,} or more, so it is {_at(4, exact=True)}."))
        level = 4
    if not found:
        found.append((1, "No column holds personal data or enterprise identifiers, so the "
                         f"dataset is {_at(1, exact=True)}."))
    reasons = [reason for _level, reason in sorted(found, key=lambda item: -item[0])]
    sensitive = {column: kind for column, kind in columns.items()
                 if kind not in ENTERPRISE_IDENTIFIERS}
    return Classification(level, LEVEL_LABELS[level], reasons, sensitive)


def classify(detections: Mapping[str, ColumnDetection], row_count: int) -> Classification:
    """The classification of a dataset from its column detections (see the module's rules).

    :param detections: per column, what :func:`.columns.detect_column` found.
    :param row_count: the rows (people) in the whole dataset; 0 when unknown.
    """
    return classify_kinds(
        {column: detection.kind for column, detection in detections.items()
         if detection.kind is not None}, row_count,
        {column: detection.pseudonymized_kind for column, detection in detections.items()
         if detection.pseudonymized_kind is not None})


def level_for_sensitivities(sensitivities: Iterable[str]) -> int:
    """The least level a dataset needs for fields of these declared sensitivities.

    none → 1, personal → 2, sensitive_personal or confidential → 3; an unknown value counts as
    none, and no fields at all as level 1.
    """
    return max((SENSITIVITY_LEVELS.get(value, 1) for value in sensitivities), default=1)
