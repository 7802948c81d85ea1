"""The operations and governance steps of sensitive-data identification.

- ``pii_scan`` finds personal data and identifiers in text values;
- ``classify_dataset`` detects what each column of a table holds and grades the table 1–4;
- ``map_fields`` maps field names onto standard data elements.

:data:`OPERATIONS` and :data:`STEPS` are what the plugin registers.
"""

from __future__ import annotations

from typing import Annotated

from datamarket_sdk import Context, GovernanceStep, Operation, PricingHint
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from datamarket_governance_tools.classification import Label, classify
from datamarket_governance_tools.columns import AMBIGUOUS_KINDS, detect_columns
from datamarket_governance_tools.detectors import (
    DETECTORS,
    KIND_LABELS,
    KINDS,
    Kind,
)
from datamarket_governance_tools.free_text import PiiKind, find_pii
from datamarket_governance_tools.pii_masks import mask
from datamarket_governance_tools.standards import DataType, Sensitivity, map_field, map_fields

MAX_VALUES = 1000
MAX_VALUE_LENGTH = 4096
MAX_ROWS = 10_000
MAX_COLUMNS = 200
MAX_COLUMN_NAME_LENGTH = 200
MAX_FIELD_NAMES = 500
#: How many values are scanned between two deadline checks.
DEADLINE_CHECK_EVERY = 100

# ---------------------------------------------------------------------------- pii_scan


class PiiScanInput(BaseModel):
    """The texts to scan, e.g. the cells of one column of a sample."""

    model_config = ConfigDict(extra="forbid")

    values: list[Annotated[str, Field(max_length=MAX_VALUE_LENGTH)]] = Field(
        max_length=MAX_VALUES,
        description=f"Up to {MAX_VALUES} texts of at most {MAX_VALUE_LENGTH} characters each.",
    )


class PiiFinding(BaseModel):
    """One piece of personal data or one identifier found in one value."""

    index: int = Field(ge=0, description="The position of the value in the input list.")
    kind: PiiKind = Field(description="What was found, e.g. resident_id, mobile or email.")
    value_masked: str = Field(description="What was found, masked, so it can be located.")


class PiiScanOutput(BaseModel):
    """Everything found, in input order."""

    findings: list[PiiFinding]


def pii_scan(ctx: Context, request: PiiScanInput) -> PiiScanOutput:
    """Find identifiers of every kind :func:`.free_text.find_pii` knows in each value."""
    findings = []
    for index, value in enumerate(request.values):
        if index % DEADLINE_CHECK_EVERY == 0:
            ctx.check_deadline()
        findings += [PiiFinding(index=index, kind=match.kind, value_masked=mask(match))
                     for match in find_pii(value)]
    return PiiScanOutput(findings=findings)


PII_SCAN = Operation(
    name="pii_scan",
    summary="Find names, addresses, ID, card, phone and passport numbers, e-mail and IP "
            "addresses and plates in text values.",
    description=(
        "Scans each value for Chinese resident ID numbers (check digit, birth date and region "
        "validated), unified social credit codes, bank card numbers (Luhn), mainland mobile and "
        "landline numbers, e-mail addresses, IPv4 and IPv6 addresses, vehicle plate numbers, "
        "Chinese passport numbers, and, by the words around them, personal names (原告张伟, "
        "Customer Zhang Wei) and postal addresses, and reports each one masked, with the "
        "position of its value."
    ),
    input_model=PiiScanInput,
    output_model=PiiScanOutput,
    handler=pii_scan,
    pricing_hint=PricingHint(model="free", note="Free for merchants preparing their listings."),
    timeout_seconds=5.0,
    example_input={"values": ["联系人手机 138 0013 8000", "zhang.wei@example.com",
                              "110105199003071239", "no personal data here"]},
)

# ---------------------------------------------------------------------------- classify_dataset

Cell = Annotated[str, Field(max_length=MAX_VALUE_LENGTH)] | int | float | bool | None
ColumnName = Annotated[str, Field(min_length=1, max_length=MAX_COLUMN_NAME_LENGTH)]


class ClassifyDatasetInput(BaseModel):
    """Rows of a table (all of it or a sample) to classify."""

    model_config = ConfigDict(extra="forbid")

    rows: list[dict[ColumnName, Cell]] = Field(
        min_length=1, max_length=MAX_ROWS,
        description=f"Up to {MAX_ROWS:,} rows, each an object of column name to value (text of "
                    f"at most {MAX_VALUE_LENGTH} characters, a number, true/false or null), with "
                    f"at most {MAX_COLUMNS} different columns in all. The first 1,000 non-empty "
                    f"values of each column are examined.")
    row_count: int | None = Field(
        default=None, ge=0, le=10**12,
        description="How many rows the whole table has, when the rows are a sample; it decides "
                    "whether personal data is held at large scale (1,000,000 people or more). "
                    "Defaults to the number of rows sent.")

    @field_validator("rows")
    @classmethod
    def _few_enough_columns(cls, rows: list[dict[str, Cell]]) -> list[dict[str, Cell]]:
        columns = {column for row in rows for column in row}
        if len(columns) > MAX_COLUMNS:
            raise PydanticCustomError(
                "too_many_columns",
                "The rows have {count} different columns; at most {limit} are accepted",
                {"count": len(columns), "limit": MAX_COLUMNS})
        return rows


class ColumnClassification(BaseModel):
    """What one column holds."""

    name: str = Field(description="The column's name.")
    kind: Kind | None = Field(description="The kind of data detected, or null.")
    confidence: float = Field(ge=0, le=1, description="How sure the detection is, 0 to 1.")
    matched_share: float = Field(
        ge=0, le=1, description="The share of examined non-empty values that are of the kind.")
    header_hint: Kind | None = Field(
        description="The kind the column name suggests through the standard elements, or null.")
    explanation: str = Field(description="Why, in one sentence.")
    pseudonymized_kind: Kind | None = Field(None, description=(
        "The personal kind the column holds as pseudonyms or hashes (still personal "
        "information), or null."))


class ClassifyDatasetOutput(BaseModel):
    """Per column what it holds, and the level the whole table calls for."""

    columns: list[ColumnClassification] = Field(description="In the order columns first appear.")
    level: int = Field(ge=1, le=4, description="1 public, 2 internal, 3 sensitive, 4 core.")
    label: Label = Field(description="The level's name.")
    reasons: list[str] = Field(description="Why the table has its level, the decisive first.")


def classify_dataset(ctx: Context, request: ClassifyDatasetInput) -> ClassifyDatasetOutput:
    """Detect each column's kind and classify the table."""
    detections = detect_columns(request.rows, checkpoint=ctx.check_deadline)
    row_count = request.row_count if request.row_count is not None else len(request.rows)
    classification = classify(detections, row_count)
    return ClassifyDatasetOutput(
        columns=[ColumnClassification(
            name=name, kind=detection.kind, confidence=detection.confidence,
            matched_share=detection.matched_share, header_hint=detection.header_hint,
            explanation=detection.explanation, pseudonymized_kind=detection.pseudonymized_kind)
            for name, detection in detections.items()],
        level=classification.level, label=classification.label, reasons=classification.reasons)


CLASSIFY_DATASET = Operation(
    name="classify_dataset",
    summary="Detect the sensitive columns of a table and grade it from 1 (public) to 4 (core).",
    description=(
        "Examines each column's values and name: resident ID numbers, credit codes and card "
        "numbers must pass their check digits, names, birth dates and passport numbers also "
        "need a column name that says so. Each column gets a kind, a confidence and a sentence "
        "explaining it; the table gets a classification level with its reasons (for example, "
        "names together with resident ID numbers make it core)."
    ),
    input_model=ClassifyDatasetInput,
    output_model=ClassifyDatasetOutput,
    handler=classify_dataset,
    pricing_hint=PricingHint(model="per_call", unit_price=20,
                             note="0.20 CNY per table of up to 10,000 rows."),
    timeout_seconds=30.0,
    example_input={"rows": [
        {"xm": "张伟", "sfzh": "110105199003071239", "sjhm": "13800138000", "amount": 120.5},
        {"xm": "李娜", "sfzh": "11010519780615109X", "sjhm": "13912345678", "amount": 88},
    ]},
)

# ---------------------------------------------------------------------------- map_fields


class MapFieldsInput(BaseModel):
    """Field names to map onto standard data elements."""

    model_config = ConfigDict(extra="forbid")

    names: list[ColumnName] = Field(
        min_length=1, max_length=MAX_FIELD_NAMES,
        description=f"Up to {MAX_FIELD_NAMES} field names of 1 to {MAX_COLUMN_NAME_LENGTH} "
                    "characters: pinyin initials (sfzh), English (id_number) or Chinese (姓名).")


class StandardElementInfo(BaseModel):
    """A standard data element."""

    code: str = Field(description="The element's code, e.g. PSN005.")
    name_zh: str = Field(description="The standard Chinese name, e.g. 公民身份号码.")
    name_en: str = Field(description="The English name.")
    data_type: DataType = Field(description="string, integer, decimal, boolean, date or datetime.")
    sensitivity: Sensitivity = Field(
        description="none, personal, sensitive_personal or confidential.")


class FieldMappingResult(BaseModel):
    """The standard element one field name means."""

    name: str = Field(description="The field name as sent.")
    element: StandardElementInfo | None = Field(description="The element, or null if none fits.")
    matched_alias: str | None = Field(description="The element's name or alias that matched.")
    confidence: float = Field(
        ge=0, le=1, description="1.0 for an exact alias, down to 0.8 for a partial match; 0 "
                                "when no element fits.")


class MapFieldsOutput(BaseModel):
    """One mapping per name, in input order."""

    fields: list[FieldMappingResult]


def map_field_names(ctx: Context, request: MapFieldsInput) -> MapFieldsOutput:
    """Map each field name onto the standard element it means."""
    mappings = map_fields(request.names)
    results = []
    for index, name in enumerate(request.names):
        if index % DEADLINE_CHECK_EVERY == 0:
            ctx.check_deadline()
        mapping = mappings[name]
        if mapping is None:
            results.append(FieldMappingResult(name=name, element=None, matched_alias=None,
                                              confidence=0.0))
            continue
        element = mapping.element
        results.append(FieldMappingResult(
            name=name, matched_alias=mapping.alias, confidence=mapping.confidence,
            element=StandardElementInfo(code=element.code, name_zh=element.name_zh,
                                        name_en=element.name_en, data_type=element.data_type,
                                        sensitivity=element.sensitivity)))
    return MapFieldsOutput(fields=results)


MAP_FIELDS = Operation(
    name="map_fields",
    summary="Map field names to standard data elements (标准映射).",
    description=(
        "Recognises pinyin initials (sfzh, tyshxydm), English names in any case or spelling "
        "(idNumber, id_no) and Chinese names (身份证号码) among 80 standard elements for people, "
        "enterprises, tax, social security, transport, medical, judicial and common data, and "
        "says how sure each match is."
    ),
    input_model=MapFieldsInput,
    output_model=MapFieldsOutput,
    handler=map_field_names,
    pricing_hint=PricingHint(model="free", note="Free for merchants documenting their fields."),
    timeout_seconds=5.0,
    example_input={"names": ["sfzh", "customerName", "手机号", "tyshxydm", "order_no"]},
)

OPERATIONS: list[Operation] = [PII_SCAN, CLASSIFY_DATASET, MAP_FIELDS]


def _detector_summary(kind: Kind) -> str:
    summary = f"Whether a whole value is a {KIND_LABELS[kind]}."
    if kind in AMBIGUOUS_KINDS:
        summary += " Ambiguous alone: trust it only with a column header that says so."
    return summary


STEPS: list[GovernanceStep] = [
    *(GovernanceStep(kind="detector", name=kind, summary=_detector_summary(kind),
                     function=DETECTORS[kind]) for kind in KINDS),
    GovernanceStep(kind="classification_rule", name="classify",
                   summary="Grade a table 1 (public) to 4 (core) from its column detections "
                           "and its number of rows.",
                   function=classify),
    GovernanceStep(kind="field_mapping", name="map_field",
                   summary="Map a field name to a standard data element, with a confidence.",
                   function=map_field),
]
