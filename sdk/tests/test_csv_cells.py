"""The one rule for formula-safe CSV cells, for the marketplace and plugins alike."""

from __future__ import annotations

import re

import pytest

from datamarket_sdk.csv_cells import (
    FORMULA_START,
    FORMULA_START_PATTERN,
    PLAIN_NUMBER_PATTERN,
    is_formula_like,
    safe_cell,
    safe_text,
)


@pytest.mark.parametrize(("text", "written"), [
    ("=1+1", "'=1+1"),
    ('=HYPERLINK("http://x")', "'=HYPERLINK(\"http://x\")"),
    ("+86 138 0013 8000", "'+86 138 0013 8000"),
    ("-2+3", "'-2+3"),
    ("-", "'-"),
    ("-inf", "'-inf"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"),
    ("\r=cmd", "'\r=cmd"),
    ("-12.5\n", "'-12.5\n"),
])
def test_formula_like_text_is_quoted(text, written):
    assert is_formula_like(text)
    assert safe_text(text) == written


@pytest.mark.parametrize("text", [
    # plain numbers stay numbers, so negative amounts still add up in a spreadsheet
    "-12.5", "-0.01", "-7", "+3", "-.5", "-1e-3", "+2E5", "12.50",
    # text that does not start like a formula
    "a=b", "x+1", "", " =1", "张三",
])
def test_numbers_and_ordinary_text_are_left_alone(text):
    assert not is_formula_like(text)
    assert safe_text(text) == text


@pytest.mark.parametrize(("value", "written"), [
    (None, ""), (-7, "-7"), (12.5, "12.5"), ("=1", "'=1"), (True, "True"),
])
def test_safe_cell_writes_any_value(value, written):
    assert safe_cell(value) == written


def test_patterns_agree_with_the_function():
    # The columnar writer matches these patterns over whole columns; they must say what
    # is_formula_like says, cell by cell.
    start, number = re.compile(FORMULA_START_PATTERN), re.compile(PLAIN_NUMBER_PATTERN)
    for text in ["=1", "+3", "-12.5", "-2+3", "@x", "\tx", "\rx", "a=b", "", "-.5", "-1e-3"]:
        by_pattern = bool(start.search(text)) and not number.search(text)
        assert by_pattern == is_formula_like(text), text
    assert set(FORMULA_START) == set("=+-@\t\r")
