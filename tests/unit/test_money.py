"""One way to turn stored minor units into what people read, and what they type back."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask
from flask_babel import Babel

from marketplace.money import (
    amount_input,
    decimal_digits,
    format_money,
    major_to_minor,
    minor_to_major,
    parse_amount,
    plain_amount,
)

LARGE = 123_456_789


@pytest.mark.parametrize(("currency", "digits"), [("CNY", 2), ("cny", 2), ("JPY", 0),
                                                   ("USD", 2)])
def test_currency_digits_come_from_babel(currency, digits):
    assert decimal_digits(currency) == digits


@pytest.mark.parametrize(("amount", "currency", "major"), [
    (-1, "CNY", Decimal("-0.01")), (0, "CNY", Decimal("0.00")), (1, "CNY", Decimal("0.01")),
    (1250, "CNY", Decimal("12.50")), (LARGE, "CNY", Decimal("1234567.89")),
    (-1, "JPY", Decimal("-1")), (0, "JPY", Decimal("0")), (1, "JPY", Decimal("1")),
    (LARGE, "JPY", Decimal("123456789")),
])
def test_minor_to_major_is_exact_and_round_trips(amount, currency, major):
    converted = minor_to_major(amount, currency)
    assert converted == major and str(converted) == str(major)
    assert major_to_minor(converted, currency) == amount


def test_major_to_minor_refuses_digits_the_currency_does_not_have():
    with pytest.raises(ValueError, match="more decimals"):
        major_to_minor(Decimal("12.5"), "JPY")
    with pytest.raises(ValueError, match="more decimals"):
        major_to_minor(Decimal("0.001"), "CNY")


@pytest.mark.parametrize(("amount", "currency", "locale", "text"), [
    (-1, "CNY", "en", "-CN¥0.01"),
    (0, "CNY", "en", "CN¥0.00"),
    (1, "CNY", "en", "CN¥0.01"),
    (LARGE, "CNY", "en", "CN¥1,234,567.89"),
    (-1, "CNY", "zh_Hans", "-¥0.01"),
    (0, "CNY", "zh_Hans", "¥0.00"),
    (1, "CNY", "zh_Hans", "¥0.01"),
    (LARGE, "CNY", "zh_Hans", "¥1,234,567.89"),
    (-1, "JPY", "en", "-¥1"),
    (0, "JPY", "en", "¥0"),
    (1, "JPY", "en", "¥1"),
    (LARGE, "JPY", "en", "¥123,456,789"),
    (-1, "JPY", "zh_Hans", "-JP¥1"),
    (LARGE, "JPY", "zh_Hans", "JP¥123,456,789"),
])
def test_format_money_in_each_locale(amount, currency, locale, text):
    assert format_money(amount, currency, locale=locale) == text


def test_format_money_of_no_amount_is_empty():
    assert format_money(None, "CNY", locale="en") == ""


@pytest.mark.parametrize(("locale", "text"), [("en", "CN¥12.50"), ("zh_Hans", "¥12.50")])
def test_format_money_reads_the_request_locale(locale, text):
    app = Flask(__name__)
    Babel(app, locale_selector=lambda: locale)
    with app.test_request_context("/"):
        assert format_money(1250, "CNY") == text


def test_format_money_outside_a_request_is_english():
    assert format_money(1250, "CNY") == "CN¥12.50"


@pytest.mark.parametrize(("amount", "currency", "code", "text"), [
    (-1, "CNY", False, "-0.01"), (0, "CNY", False, "0.00"), (1, "CNY", True, "0.01 CNY"),
    (45000, "CNY", False, "450.00"), (LARGE, "CNY", True, "1234567.89 CNY"),
    (-1, "JPY", True, "-1 JPY"), (0, "JPY", False, "0"), (LARGE, "JPY", False, "123456789"),
])
def test_plain_amount_is_the_same_for_every_reader(amount, currency, code, text):
    assert plain_amount(amount, currency, code=code) == text


@pytest.mark.parametrize(("typed", "amount"), [
    ("12.50", 1250), ("12.5", 1250), ("0.05", 5), ("999", 99900), ("¥1,200.50", 120050),
    ("0", 0), ("9999999.99", 999_999_999), ("", None), ("  ", None),
])
def test_parse_amount_reads_what_merchants_type(typed, amount):
    assert parse_amount(typed) == amount


@pytest.mark.parametrize(("typed", "problem"), [
    ("-1", "cannot be negative"), ("abc", "as a number"), ("1.234", "at most two decimals"),
    ("10000000", "at or below"),
])
def test_parse_amount_says_what_is_wrong(typed, problem):
    with pytest.raises(ValueError, match=problem):
        parse_amount(typed)


def test_zero_decimal_currency_takes_no_decimals():
    assert parse_amount("1,200", "JPY") == 1200
    with pytest.raises(ValueError):
        parse_amount("12.5", "JPY")


@pytest.mark.parametrize(("amount", "text"), [
    (None, ""), (0, "0"), (1, "0.01"), (5, "0.05"), (1250, "12.50"), (99900, "999"),
    (LARGE, "1234567.89"),
])
def test_amount_input_is_what_parse_amount_reads_back(amount, text):
    assert amount_input(amount) == text
    if amount is not None:
        assert parse_amount(text) == amount


def test_amount_input_of_a_zero_decimal_currency():
    assert amount_input(1200, "JPY") == "1200"
