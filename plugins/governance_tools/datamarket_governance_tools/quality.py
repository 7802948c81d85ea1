"""Quality audit (数据稽核): rules checked against the columns of a table, and a scored report.

Rules: ``not_null``, ``unique``, ``range``, ``pattern``, ``allowed_values``, ``referential``,
``freshness`` and ``checksum`` (see :mod:`quality_rules`). Empty cells are counted only by
``not_null``.

Scores, 0 to 100:

- a rule's pass rate is ``passed / checked``; a rule that checked nothing has none;
- a column's score is the mean pass rate of its rules (each rule counts the same);
- the overall score is ``100 * (values passed) / (values checked)`` over every rule, so a rule
  that checked 10,000 values weighs more than one that checked 10. ``freshness`` tests a column
  as a whole and weighs as one value.

Reports never carry a value in full: a failing rule shows one example with all but its first and
last characters masked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from datamarket_sdk import GovernanceStep
from pydantic import BaseModel, ConfigDict, Field, model_validator

from datamarket_governance_tools.masking import partial_mask
from datamarket_governance_tools.params import check_params, unknown_choice
from datamarket_governance_tools.quality_rules import (
    RULES,
    Outcome,
    ReferentialParams,
    RuleKind,
    blank,
)

#: How many failing row numbers a rule's result lists.
LISTED_ROWS = 5


class QualityError(ValueError):
    """The rules cannot be checked against these rows (e.g. a rule names a missing column)."""


class Rule(BaseModel):
    """One rule applied to one column, with its parameters (checked when the rule is made)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str = Field(min_length=1, max_length=128, description="The column to check.")
    rule: str = Field(description="One of: " + ", ".join(RULES) + ".")
    params: dict[str, Any] = Field(default_factory=dict, description="The rule's parameters.")

    @model_validator(mode="after")
    def _known_rule_and_params(self) -> Rule:
        kind = RULES.get(self.rule)
        if kind is None:
            raise unknown_choice("rule", self.rule, f"for column {self.column!r}", RULES)
        check_params(kind.params_model, self.params, f"rule {self.rule!r} on column "
                                                     f"{self.column!r}")
        return self


class RuleResult(BaseModel):
    """What one rule found in its column."""

    column: str
    rule: str
    params: dict[str, Any]
    checked: int = Field(description="Values checked (empty cells count only for not_null).")
    passed: int
    failed: int
    pass_rate: float | None = Field(description="passed / checked, 0 to 1; none if nothing "
                                                "was checked.")
    failing_rows: list[int] = Field(description=f"The first {LISTED_ROWS} failing rows, counted "
                                                "from 1 after the header.")
    example: str | None = Field(description="One failing value, masked.")
    message: str


class ColumnScore(BaseModel):
    """A column's score: the mean pass rate of its rules, 0 to 100."""

    column: str
    score: float | None
    rules: int


class QualityReport(BaseModel):
    """The audit of a table: per rule, per column, overall, and in words."""

    rows: int
    results: list[RuleResult]
    columns: list[ColumnScore]
    score: float | None = Field(description="100 × values passed / values checked, every rule.")
    summary: str


def _mask_example(value: Any) -> str:
    return partial_mask(str(value), keep_first=1, keep_last=1) or ""


def _result(rule: Rule, kind: RuleKind, params: BaseModel, values: list[Any],
            outcome: Outcome) -> RuleResult:
    failed = outcome.failed
    passed = outcome.checked - failed
    if outcome.note:
        message = outcome.note
    elif not outcome.checked:
        message = "There were no values to check: the column is empty."
    elif failed:
        message = f"{failed:,} of {outcome.checked:,} values {kind.failing(params)}."
    else:
        message = f"All {outcome.checked:,} values pass."
    example = None
    if outcome.failures and rule.rule != "freshness" and not blank(values[outcome.failures[0]]):
        example = _mask_example(values[outcome.failures[0]])
    return RuleResult(
        column=rule.column, rule=rule.rule, params=params.model_dump(mode="json"),
        checked=outcome.checked, passed=passed, failed=failed,
        pass_rate=round(passed / outcome.checked, 4) if outcome.checked else None,
        failing_rows=[position + 1 for position in outcome.failures[:LISTED_ROWS]],
        example=example, message=message)


def _columns(rows: Iterable[Mapping[str, Any]], needed: list[str]) -> tuple[int, dict[str, list]]:
    table: dict[str, list[Any]] = {column: [] for column in needed}
    count = 0
    for count, row in enumerate(rows, start=1):
        for column, values in table.items():
            try:
                values.append(row[column])
            except KeyError:
                where = "the table" if count == 1 else f"row {count}"
                raise QualityError(f"{where} has no column {column!r}; the known columns are "
                                   f"{', '.join(map(str, row))}") from None
    return count, table


def _summary(count: int, results: list[RuleResult], score: float | None) -> str:
    columns = len({result.column for result in results})
    checked = sum(result.checked for result in results)
    passed = sum(result.passed for result in results)
    head = (f"{len(results)} rules on {columns} columns checked {count:,} rows: {passed:,} of "
            f"{checked:,} checks passed")
    if score is None:
        return f"{head}; every cell the rules look at is empty, so there is no score."
    failing = sorted((r for r in results if r.failed), key=lambda r: r.pass_rate or 0)
    if not failing:
        return f"{head}, a score of {score:.1f} out of 100. Every check passed."
    worst = " ".join(
        f"Column {r.column!r}, {r.rule}: {r.message.rstrip('.')}"
        f"{', first at row ' + str(r.failing_rows[0]) if r.failing_rows else ''}."
        for r in failing[:3])
    return f"{head}, a score of {score:.1f} out of 100. {worst}"


def audit(rows: Iterable[Mapping[str, Any]], rules: Sequence[Rule], *,
          today: dt.date | None = None,
          checkpoint: Callable[[], None] | None = None) -> QualityReport:
    """Check every rule against ``rows`` and score the result (see the module's docstring).

    :param today: the day ``freshness`` measures age from; today's date when not given.
    :param checkpoint: called before each rule is checked, e.g. to stop at a deadline.
    :raises QualityError: a rule names a column the rows do not have (the message lists the
        known ones).
    """
    today = today or dt.date.today()
    prepared = []
    for rule in rules:
        kind = RULES[rule.rule]
        prepared.append((rule, kind, kind.params_model.model_validate(rule.params)))
    needed = list(dict.fromkeys(
        [rule.column for rule in rules]
        + [params.reference_column for _r, _k, params in prepared
           if isinstance(params, ReferentialParams)]))
    count, table = _columns(rows, needed)
    results = []
    for rule, kind, params in prepared:
        if checkpoint is not None:
            checkpoint()
        outcome = kind.check(table[rule.column], params, table, today)
        results.append(_result(rule, kind, params, table[rule.column], outcome))
    columns = []
    for column in dict.fromkeys(result.column for result in results):
        rates = [r.pass_rate for r in results if r.column == column and r.pass_rate is not None]
        columns.append(ColumnScore(
            column=column, rules=sum(1 for r in results if r.column == column),
            score=round(100 * sum(rates) / len(rates), 1) if rates else None))
    checked = sum(result.checked for result in results)
    score = round(100 * sum(r.passed for r in results) / checked, 1) if checked else None
    return QualityReport(rows=count, results=results, columns=columns, score=score,
                         summary=_summary(count, results, score))


def check_rule(rule: str, rows: Iterable[Mapping[str, Any]], column: str,
               params: Mapping[str, Any] | None = None, *,
               today: dt.date | None = None) -> RuleResult:
    """The result of one rule on one column: the function of each ``quality_rule`` step.

    :raises pydantic.ValidationError: unknown rule or bad parameters.
    :raises QualityError: the rows have no such column.
    """
    checked = Rule(column=column, rule=rule, params=dict(params or {}))
    return audit(rows, [checked], today=today).results[0]


STEPS: list[GovernanceStep] = [
    GovernanceStep(kind="quality_rule", name=kind.name, summary=kind.summary,
                   function=partial(check_rule, kind.name), params_model=kind.params_model)
    for kind in RULES.values()
]
