"""The quality audit: every rule passing, failing and at its edges, and the scored report."""

import datetime as dt
import json

import pytest
from pydantic import ValidationError
from stdnum import luhn
from stdnum.cn import ric, uscc

from datamarket_governance_tools.quality import STEPS, QualityError, Rule, audit, check_rule
from datamarket_governance_tools.quality_rules import RULES

TODAY = dt.date(2025, 6, 30)


def resident_id(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


def credit_code(body: str) -> str:
    return body + uscc.calc_check_digit(body)


def bank_card(body: str) -> str:
    return body + luhn.calc_check_digit(body)


ID = resident_id("11010519900307123")
USCC = credit_code("91350100M000100Y4")
CARD = bank_card("622202123456789012")
CARD16 = bank_card("622202123456789")
WRONG_DIGIT = ID[:-1] + ("0" if ID[-1] != "0" else "1")


def run(rule: str, cells: list, **params):
    return check_rule(rule, [{"v": cell} for cell in cells], "v", params, today=TODAY)


def failures(rule: str, cells: list, **params) -> list[int]:
    result = run(rule, cells, **params)
    assert result.failed == len(result.failing_rows) or len(result.failing_rows) == 5
    return result.failing_rows


def test_the_synthetic_identifiers_are_valid():
    assert ric.is_valid(ID) and uscc.is_valid(USCC) and luhn.is_valid(CARD)
    assert not ric.is_valid(WRONG_DIGIT)


def test_not_null_counts_none_and_blank_text_as_empty():
    result = run("not_null", ["a", None, "", "  ", 0, False])
    assert (result.checked, result.failed, result.failing_rows) == (6, 3, [2, 3, 4])
    assert result.message == "3 of 6 values are empty."


def test_unique_fails_the_repeats_not_the_first_and_ignores_blanks():
    assert failures("unique", ["a", "b", "a ", None, None, "b", "c"]) == [3, 6]
    assert run("unique", ["a", None, None]).checked == 1


@pytest.mark.parametrize("values, params, failing", [
    ([0, 5, 10, -1, 11, "7", "x", True], {"min": 0, "max": 10}, [4, 5, 7, 8]),
    (["10.5", 10.49], {"max": 10.5}, []),
    ([10.51], {"max": 10.5}, [1]),
    (["2020-01-01", "2019/12/31", "2021年1月1日", "not a date"],
     {"min": "2020-01-01", "max": "2020-12-31"}, [2, 3, 4]),
    ([dt.date(2020, 6, 1), "20200601"], {"min": "2020-06-01"}, []),
])
def test_range_is_inclusive_and_fails_what_is_not_a_number_or_date(values, params, failing):
    assert failures("range", values, **params) == failing


@pytest.mark.parametrize("params, message", [
    ({}, "give min, max or both"),
    ({"min": 5, "max": 1}, "min must not be greater than max"),
    ({"min": 1, "max": "2020-01-01"}, "both be numbers or both be dates"),
])
def test_range_params_must_make_sense(params, message):
    with pytest.raises(ValidationError, match=message):
        Rule(column="v", rule="range", params=params)


def test_range_messages_say_the_bounds():
    assert run("range", [200], min=0, max=120).message == (
        "1 of 1 values are not numbers from 0 to 120.")
    assert run("range", ["2019-01-01"], min="2020-01-01").message == (
        "1 of 1 values are not dates on or after 2020-01-01.")


def test_pattern_must_match_the_whole_value():
    assert failures("pattern", ["13800138000", "138001380001", "x13800138000", 13800138000],
                    regex=r"1[3-9]\d{9}") == [2, 3]


def test_a_bad_regex_is_refused_with_the_reason():
    with pytest.raises(ValidationError, match=r"'\[a-' is not a valid regular expression"):
        Rule(column="v", rule="pattern", params={"regex": "[a-"})


def test_allowed_values_compare_as_text():
    assert failures("allowed_values", ["M", "F", 1, 1.0, "1", "m", "X"],
                    values=["M", "F", "1"]) == [6, 7]


def test_referential_values_must_appear_in_the_other_column():
    rows = [{"dept": "A", "parent": "A"}, {"dept": "B", "parent": "A"},
            {"dept": "C", "parent": "Z"}, {"dept": "D", "parent": None}]
    result = check_rule("referential", rows, "parent", {"reference_column": "dept"})
    assert (result.checked, result.failing_rows) == (3, [3])
    assert result.message == "1 of 3 values do not appear in column 'dept'."


def test_referential_to_a_missing_column_lists_the_known_ones():
    with pytest.raises(QualityError, match="no column 'dept'; the known columns are parent"):
        check_rule("referential", [{"parent": "A"}], "parent", {"reference_column": "dept"})


@pytest.mark.parametrize("newest, passes", [
    ("2025-06-30", True), ("2025-05-31", True), ("2025-05-30", False), ("2024-01-01", False),
])
def test_freshness_compares_the_newest_date_with_today(newest, passes):
    result = run("freshness", ["2020-01-01", newest, None], max_age_days=30)
    assert result.checked == 1 and result.failed == (0 if passes else 1)
    assert "the limit is 30 days" in result.message and result.example is None


def test_freshness_refuses_a_newest_date_in_the_future():
    result = run("freshness", ["2025-06-01", "2025-07-30", "2025-06-30"], max_age_days=30)
    assert (result.checked, result.failed, result.failing_rows) == (1, 1, [2])
    assert result.message == ("The newest date, 2025-07-30, is 30 days after 2025-06-30: a date "
                              "in the future is an error in the data, not a sign that it is "
                              "fresh.")


def test_freshness_without_dates_fails_and_says_what_was_skipped():
    result = run("freshness", ["soon", "later"], max_age_days=30)
    assert (result.checked, result.failed, result.failing_rows) == (1, 1, [])
    assert result.message == ("The column holds no dates. 2 values that are not dates were "
                              "skipped.")


@pytest.mark.parametrize("kind, valid, invalid", [
    ("resident_id", [ID, ID.lower(), resident_id("11010519780615109")],
     [WRONG_DIGIT, ID[:17], ID + "1", "13800138000", "110105199013071232", "123456789012345678"]),
    ("uscc", [USCC], [USCC[:-1] + ("0" if USCC[-1] != "0" else "1"), USCC[:17], ID]),
    ("bank_card", [CARD, CARD16, " ".join(CARD16[start:start + 4] for start in (0, 4, 8, 12))],
     [CARD[:-1] + str((int(CARD[-1]) + 1) % 10), bank_card("62220212345"), "13800138000",
      bank_card("62220212345678901234"), bank_card("122202123456789")]),
])
def test_checksums_accept_valid_identifiers_and_refuse_near_misses(kind, valid, invalid):
    result = run("checksum", valid + invalid, kind=kind)
    assert result.failed == len(invalid)
    assert result.failing_rows == list(range(len(valid) + 1, len(valid) + len(invalid) + 1))[:5]


def test_a_failing_rule_lists_five_rows_and_one_masked_example():
    values = [ID] + [WRONG_DIGIT] * 7
    result = run("checksum", values, kind="resident_id")
    assert result.failing_rows == [2, 3, 4, 5, 6] and result.failed == 7
    assert result.example == WRONG_DIGIT[0] + "*" * 16 + WRONG_DIGIT[-1]
    assert result.pass_rate == 0.125


def test_the_report_never_carries_a_value_in_full():
    rows = [{"id": WRONG_DIGIT, "phone": "138001380001", "code": USCC}] * 3
    rules = [Rule(column="id", rule="checksum", params={"kind": "resident_id"}),
             Rule(column="phone", rule="pattern", params={"regex": r"1\d{10}"}),
             Rule(column="id", rule="unique"), Rule(column="code", rule="allowed_values",
                                                    params={"values": ["x"]})]
    dumped = json.dumps(audit(rows, rules, today=TODAY).model_dump(mode="json"))
    for secret in (WRONG_DIGIT, "138001380001", USCC):
        assert secret not in dumped and secret[2:8] not in dumped


def test_scores_per_column_and_overall():
    rows = [{"a": "x", "b": "1"}, {"a": None, "b": "2"}, {"a": "x", "b": "200"},
            {"a": "y", "b": "3"}]
    report = audit(rows, [Rule(column="a", rule="not_null"), Rule(column="a", rule="unique"),
                          Rule(column="b", rule="range", params={"min": 0, "max": 100})])

    assert [(r.checked, r.passed) for r in report.results] == [(4, 3), (3, 2), (4, 3)]
    assert [(c.column, c.score, c.rules) for c in report.columns] == [
        ("a", round(100 * (3 / 4 + 2 / 3) / 2, 1), 2), ("b", 75.0, 1)]
    assert report.score == round(100 * 8 / 11, 1) and report.rows == 4
    assert report.summary.startswith("3 rules on 2 columns checked 4 rows: 8 of 11 checks "
                                     "passed, a score of 72.7 out of 100.")
    assert "Column 'a', unique: 1 of 3 values repeat an earlier value, first at row 3." in (
        report.summary)


def test_a_report_with_nothing_to_check_has_no_score():
    report = audit([{"a": None}, {"a": ""}], [Rule(column="a", rule="unique")])
    assert report.score is None and report.columns[0].score is None
    assert report.results[0].pass_rate is None
    assert report.results[0].message == "There were no values to check: the column is empty."
    assert "so there is no score" in report.summary


def test_a_clean_table_says_so():
    report = audit([{"a": "x"}], [Rule(column="a", rule="not_null")])
    assert report.score == 100.0 and report.summary.endswith("Every check passed.")


def test_a_missing_column_lists_the_known_ones():
    with pytest.raises(QualityError, match="the table has no column 'phone'; the known columns "
                                           "are id, name"):
        audit([{"id": 1, "name": "x"}], [Rule(column="phone", rule="not_null")])
    with pytest.raises(QualityError, match="row 2 has no column 'phone'"):
        audit([{"phone": "1"}, {"id": 2}], [Rule(column="phone", rule="not_null")])


def test_an_unknown_rule_lists_the_rules():
    with pytest.raises(ValidationError, match="unknown rule 'nonnull' for column 'a'; choose "
                                              "one of not_null, unique, range"):
        Rule(column="a", rule="nonnull")
    with pytest.raises(ValidationError, match="rule 'checksum' on column 'a' has bad params "
                                              r"\(kind: Input should be 'resident_id'"):
        Rule(column="a", rule="checksum", params={"kind": "passport"})


def test_every_rule_is_a_step_whose_function_checks_a_column():
    assert [step.name for step in STEPS] == list(RULES) == [
        "not_null", "unique", "range", "pattern", "allowed_values", "referential", "freshness",
        "checksum", "identifier"]
    steps = {step.name: step for step in STEPS}
    assert all(step.kind == "quality_rule" and step.params_model for step in STEPS)
    result = steps["checksum"].function([{"id": ID}, {"id": WRONG_DIGIT}], "id",
                                        {"kind": "resident_id"})
    assert result.failing_rows == [2]


def test_the_checkpoint_runs_before_each_rule_and_can_stop_the_audit():
    calls = []
    rules = [Rule(column="a", rule="not_null"), Rule(column="a", rule="unique")]
    audit([{"a": "x"}], rules, checkpoint=lambda: calls.append(len(calls)))
    assert calls == [0, 1]

    def stop():
        raise TimeoutError("deadline")

    with pytest.raises(TimeoutError):
        audit([{"a": "x"}], rules, checkpoint=stop)
