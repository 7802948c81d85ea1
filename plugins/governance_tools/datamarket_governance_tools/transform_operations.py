"""The operations that transform a buyer's table: ``desensitize`` and ``quality_report``.

Both take the table either as ``rows`` (a list of objects) or as a ``file`` (a CSV or XLSX
upload, base64-encoded), never both.

The key of ``pseudonymize`` and ``shift_date``: a buyer who sends ``key`` (16 to 256 characters)
gets tokens they can reproduce across calls and files, because the key alone decides them. A
buyer who sends none gets a key of their own, HMAC-SHA256 of their pseudonymous buyer id under
the plugin's ``pseudonymization_secret`` setting (:class:`GovernanceSettings`); without that
setting the documented constant :data:`DEFAULT_SECRET` stands in, which keeps tokens stable
per buyer but lets anyone who knows the buyer id recompute them, so a platform should set it.
No key is ever returned.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable, Iterator, Mapping
from pathlib import PurePath
from typing import Any, Literal

import pyarrow as pa
from datamarket_sdk import BadInput, Context, GovernanceStep, Operation, PricingHint
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_core import PydanticCustomError

from datamarket_governance_tools import columnar, masking, quality
from datamarket_governance_tools.masking import STRATEGIES, FieldPolicy, MaskingError, apply_policy
from datamarket_governance_tools.quality import QualityError, QualityReport, Rule, audit
from datamarket_governance_tools.tabular import (
    MAX_BYTES,
    MAX_COLUMNS,
    TableError,
    read_table,
    write_csv,
    write_xlsx,
)

#: Rows accepted, or returned, inline as JSON; larger tables travel as files.
MAX_INLINE_ROWS = 10_000
MAX_RULES = 100
MIN_KEY_LENGTH, MAX_KEY_LENGTH = 16, 256
#: How many rows are processed between two deadline checks.
DEADLINE_CHECK_EVERY = 1000
#: Stands in for the ``pseudonymization_secret`` setting when the platform sets none.
DEFAULT_SECRET = b"datamarket-governance-tools/desensitize/v1"
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

Cell = str | int | float | bool | None
Row = dict[str, Cell]


class GovernanceSettings(BaseModel):
    """The plugin's settings, for its manifest's ``settings_model``."""

    pseudonymization_secret: SecretStr | None = Field(None, description=(
        "The secret each buyer's own desensitization key is derived from. Set it to a long "
        "random value and keep it: changing it changes every token buyers have received."))


class FileInput(BaseModel):
    """An uploaded table."""

    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=255, description="e.g. customers.csv; the "
                          "extension (.csv, .tsv, .txt or .xlsx) says how to read it.")
    content_base64: str = Field(max_length=(MAX_BYTES + 2) // 3 * 4, description=(
        f"The file's bytes in base64, at most {MAX_BYTES // 2**20} MB before encoding."))


class FileOutput(BaseModel):
    """A table returned as a file."""

    filename: str
    media_type: str
    content_base64: str


class _TableInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[Row] | None = Field(None, min_length=1, max_length=MAX_INLINE_ROWS, description=(
        f"The table as up to {MAX_INLINE_ROWS:,} objects of field name to value."))
    file: FileInput | None = Field(None, description="The table as a CSV or XLSX file.")

    @model_validator(mode="after")
    def _one_table(self) -> _TableInput:
        if (self.rows is None) == (self.file is None):
            raise PydanticCustomError("one_table", "send the table either as rows or as a file, "
                                                   "exactly one of the two")
        return self


class DesensitizeInput(_TableInput):
    """A table and how to mask each field."""

    policies: list[FieldPolicy] = Field(min_length=1, max_length=MAX_COLUMNS, description=(
        "Per field, the strategy and its params; fields without a policy are returned as "
        "they are."))
    output_format: Literal["rows", "csv", "xlsx"] | None = Field(None, description=(
        "How to return the table; by default as it came (rows, or a file of the same type)."))
    key: SecretStr | None = Field(None, description=(
        f"Your own key for pseudonymize and shift_date, {MIN_KEY_LENGTH} to {MAX_KEY_LENGTH} "
        "characters: the same key gives the same tokens in every call. Without it, a key of "
        "your account is used. Never returned."),
        json_schema_extra={"minLength": MIN_KEY_LENGTH, "maxLength": MAX_KEY_LENGTH})

    @field_validator("key")
    @classmethod
    def _key_length(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None and not MIN_KEY_LENGTH <= len(key.get_secret_value()) <= MAX_KEY_LENGTH:
            raise PydanticCustomError("key_length", f"the key must be {MIN_KEY_LENGTH} to "
                                      f"{MAX_KEY_LENGTH} characters long; a short key is easy "
                                      "to guess")
        return key


class AppliedPolicy(BaseModel):
    """What was done to one field."""

    field: str
    strategy: str
    params: dict[str, Any]
    keeps: str
    destroys: str
    deterministic: str


class DesensitizeOutput(BaseModel):
    """The masked table, and what was done to it."""

    row_count: int
    columns: list[str]
    rows: list[Row] | None = Field(description="The masked rows, when returned inline.")
    file: FileOutput | None = Field(description="The masked table, when returned as a file.")
    fields: list[AppliedPolicy]
    key_source: Literal["buyer", "account", "none"] = Field(description=(
        "Whose key pseudonymize and shift_date used: the one sent, the account's, or none."))


class QualityReportInput(_TableInput):
    """A table and the rules to check it against."""

    rules: list[Rule] = Field(min_length=1, max_length=MAX_RULES)
    today: dt.date | None = Field(None, description=(
        "The day freshness is measured from; today when not given."))


def _settings_secret(settings: Any) -> bytes:
    secret = (settings.get("pseudonymization_secret") if isinstance(settings, Mapping)
              else getattr(settings, "pseudonymization_secret", None))
    if isinstance(secret, SecretStr):
        secret = secret.get_secret_value()
    return secret.encode() if secret else DEFAULT_SECRET


def account_key(ctx: Context) -> bytes:
    """The buyer's own key when they send none: HMAC-SHA256(secret, buyer id)."""
    return hmac.new(_settings_secret(ctx.settings), b"desensitize\x00" + ctx.buyer.encode(),
                    hashlib.sha256).digest()


def _load(request: _TableInput) -> tuple[list[str], list[Mapping[str, Any]], str]:
    """The table's columns, rows, and form (``rows``, ``csv`` or ``xlsx``)."""
    if request.file is None:
        rows = request.rows or []  # the model makes sure one of the two is there
        return list(dict.fromkeys(field for row in rows for field in row)), rows, "rows"
    try:
        content = base64.b64decode(request.file.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise BadInput("file.content_base64 is not valid base64") from None
    try:
        table = read_table(content, request.file.filename)
    except TableError as error:
        raise BadInput(str(error)) from None
    return table.columns, table.rows, table.format


def _require_columns(names: Iterable[str], columns: list[str], what: str) -> None:
    for name in names:
        if name not in columns:
            raise BadInput(f"{what} {name!r} is not a column of the table; its columns are "
                           f"{', '.join(columns) or 'none'}")


def _checked(ctx: Context, rows: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    for number, row in enumerate(rows):
        if number % DEADLINE_CHECK_EVERY == 0:
            ctx.check_deadline()
        yield row


def desensitize(ctx: Context, request: DesensitizeInput) -> DesensitizeOutput:
    """Mask each field of the table as its policy says, and return it in the form asked for."""
    columns, rows, form = _load(request)
    output = request.output_format or form
    if output == "rows" and len(rows) > MAX_INLINE_ROWS:
        raise BadInput(f"the table has {len(rows):,} rows; at most {MAX_INLINE_ROWS:,} can be "
                       "returned as rows, so ask for csv or xlsx")
    _require_columns([policy.field for policy in request.policies], columns, "policy field")
    _require_columns([policy.params["entity_field"] for policy in request.policies
                      if policy.params.get("entity_field")], columns, "entity_field")
    keyed = any(STRATEGIES[policy.strategy].uses_key for policy in request.policies)
    key = None
    if keyed:
        key = (request.key.get_secret_value().encode() if request.key is not None
               else account_key(ctx))
    try:
        masked = (_masked_columns(ctx, columns, rows, request.policies, key) if form == "csv"
                  else apply_policy(_checked(ctx, rows), request.policies, key))
        if output == "rows":
            result_rows, file = list(masked), None
        else:
            content = (write_csv if output == "csv" else write_xlsx)(columns, masked)
            stem = PurePath(request.file.filename).stem if request.file else "table"
            result_rows, file = None, FileOutput(
                filename=f"{stem}-desensitized.{output}", media_type=MEDIA_TYPES[output],
                content_base64=base64.b64encode(content).decode("ascii"))
    except MaskingError as error:
        raise BadInput(str(error)) from None
    fields = []
    for policy in request.policies:
        strategy = STRATEGIES[policy.strategy]
        fields.append(AppliedPolicy(
            field=policy.field, strategy=policy.strategy,
            params=strategy.params_model.model_validate(policy.params).model_dump(mode="json"),
            keeps=strategy.keeps, destroys=strategy.destroys,
            deterministic=strategy.deterministic))
    return DesensitizeOutput(
        row_count=len(rows), columns=columns, rows=result_rows, file=file, fields=fields,
        key_source="none" if not keyed else "buyer" if request.key is not None else "account")


def _masked_columns(ctx: Context, columns: list[str], rows: list[Mapping[str, Any]],
                    policies: list[FieldPolicy], key: bytes | None) -> Iterable[dict[str, Any]]:
    """The rows of a CSV file (all text) masked a column at a time (:mod:`.columnar`).

    A value the strategy cannot read is reported as the row path reports it, with its row.
    """
    table = pa.table({name: pa.array([row.get(name) for row in rows], pa.string())
                      for name in columns})
    ctx.check_deadline()
    try:
        masked = columnar.mask_table(table, policies, key)
    except MaskingError:
        return list(apply_policy(rows, policies, key))  # raises, naming the row
    ctx.check_deadline()
    return masked.to_pylist()


def quality_report(ctx: Context, request: QualityReportInput) -> QualityReport:
    """Check the table against the rules and return the scored report."""
    columns, rows, _form = _load(request)
    _require_columns([rule.column for rule in request.rules], columns, "rule column")
    _require_columns([rule.params["reference_column"] for rule in request.rules
                      if rule.rule == "referential"], columns, "reference_column")
    try:
        return audit(_checked(ctx, rows), request.rules, today=request.today,
                     checkpoint=ctx.check_deadline)
    except QualityError as error:
        raise BadInput(str(error)) from None


_EXAMPLE_ROWS = [
    {"name": "张三", "id_number": "110105199003071239", "mobile": "13800138000",
     "birth_date": "1990-03-07", "address": "广东省深圳市南山区科技园"},
    {"name": "李四", "id_number": "11010519780615109X", "mobile": "19912345678",
     "birth_date": "1978/6/15", "address": "北京市朝阳区建国路88号"},
]

DESENSITIZE = Operation(
    name="desensitize",
    summary="Mask the sensitive fields of a table, field by field, with a chosen strategy.",
    description=(
        "Applies one desensitization strategy per field (partial or full mask, keyed "
        "pseudonym, date, age or address generalization, truncation, removal, keyed date "
        "shift) to rows or to a CSV or XLSX file, and returns the table as rows, CSV or XLSX, "
        "with what each strategy keeps and destroys. Pseudonyms stay equal for equal values, "
        "so masked tables still join."),
    input_model=DesensitizeInput,
    output_model=DesensitizeOutput,
    handler=desensitize,
    pricing_hint=PricingHint(model="per_call", unit_price=100,
                             note="Per call, for a table of up to 200,000 rows."),
    timeout_seconds=60.0,
    example_input={"rows": _EXAMPLE_ROWS, "policies": [
        {"field": "name", "strategy": "partial_mask", "params": {"keep_first": 1,
                                                                 "keep_last": 0}},
        {"field": "id_number", "strategy": "pseudonymize"},
        {"field": "mobile", "strategy": "partial_mask"},
        {"field": "birth_date", "strategy": "generalize_date", "params": {"to": "year"}},
        {"field": "address", "strategy": "generalize_address", "params": {"to": "city"}},
    ]},
)

QUALITY_REPORT = Operation(
    name="quality_report",
    summary="Audit a table against quality rules and score each column.",
    description=(
        "Checks rows or a CSV or XLSX file against rules (not null, unique, range, pattern, "
        "allowed values, referential, freshness, ID and credit-code checksums) and returns, per "
        "rule, how many values passed, the first failing rows with a masked example, a score "
        "per column and overall, and a summary in words."),
    input_model=QualityReportInput,
    output_model=QualityReport,
    handler=quality_report,
    pricing_hint=PricingHint(model="per_call", unit_price=50,
                             note="Per call, for a table of up to 200,000 rows."),
    timeout_seconds=30.0,
    example_input={"rows": _EXAMPLE_ROWS, "rules": [
        {"column": "id_number", "rule": "checksum", "params": {"kind": "resident_id"}},
        {"column": "id_number", "rule": "unique"},
        {"column": "mobile", "rule": "pattern", "params": {"regex": r"1[3-9]\d{9}"}},
        {"column": "birth_date", "rule": "range", "params": {"min": "1900-01-01"}},
        {"column": "name", "rule": "not_null"},
    ]},
)

OPERATIONS: list[Operation] = [DESENSITIZE, QUALITY_REPORT]
#: Every masking strategy and quality rule, for ``datamarket_governance_steps``.
STEPS: list[GovernanceStep] = [*masking.STEPS, *quality.STEPS]
