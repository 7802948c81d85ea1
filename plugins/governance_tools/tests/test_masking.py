"""Each desensitization strategy on one value: what it keeps, what it destroys, its errors."""

import datetime as dt
import re

import pytest
from pydantic import ValidationError
from stdnum.cn import ric

from datamarket_governance_tools.maskers import normalise_identifier
from datamarket_governance_tools.masking import (
    STEPS,
    STRATEGIES,
    MaskingError,
    full_mask,
    generalize_address,
    generalize_age,
    generalize_date,
    nullify,
    partial_mask,
    pseudonymize,
    shift_date,
    truncate,
)

KEY = b"test-key-0123456789abcdef"
OTHER_KEY = b"another-key-0123456789abc"


def resident_id(body: str = "11010519900307123") -> str:
    """A synthetic resident ID number with its check digit computed by stdnum."""
    return body + ric.calc_check_digit(body + "0")


ID = resident_id()
ID_X = resident_id("11010519780615109")  # its check digit is X
DATE_FORMS = ["1990-03-07", "1990/3/7", "1990/03/07", "1990.03.07", "19900307", "1990年3月7日",
              "1990年03月07日", dt.date(1990, 3, 7), dt.datetime(1990, 3, 7, 8, 30), 19900307,
              "1990-03-07 08:30", "1990-03-07T08:30:00"]


def test_the_synthetic_ids_are_valid():
    assert ric.is_valid(ID) and ric.is_valid(ID_X) and ID_X.endswith("X")


@pytest.mark.parametrize("value, expected", [
    ("13800138000", "138****8000"),
    (13800138000, "138****8000"),
    (ID, ID[:3] + "*" * 11 + ID[-4:]),
    ("12345678901", "123****8901"),  # 4 of 11 hidden: at least a third
    ("1234567890", "**********"),     # 3 of 10 would be hidden: too few, so all
    ("abc", "***"),
    ("", ""),
    (None, None),
])
def test_partial_mask_keeps_ends_and_length_unless_too_little_would_be_hidden(value, expected):
    assert partial_mask(value) == expected


@pytest.mark.parametrize("name, expected", [("张三丰", "张**"), ("张三", "张*"), ("张", "*"),
                                            ("欧阳娜娜", "欧***")])
def test_partial_mask_of_names_keeps_the_surname(name, expected):
    assert partial_mask(name, keep_first=1, keep_last=0) == expected


def test_partial_mask_takes_another_mask_character_but_not_a_letter_or_digit():
    assert partial_mask("13800138000", mask_char="#") == "138####8000"
    with pytest.raises(ValidationError, match="must not be a letter or digit"):
        partial_mask("13800138000", mask_char="x")
    with pytest.raises(ValidationError, match="at most 1 character"):
        partial_mask("13800138000", mask_char="**")


@pytest.mark.parametrize("value, keep_length, expected", [
    ("张三丰", True, "***"), ("张三丰", False, "****"), ("13800138000", False, "****"),
    (12345, True, "*****"), ("", True, ""), (None, False, None),
])
def test_full_mask_keeps_only_the_length_if_asked(value, keep_length, expected):
    assert full_mask(value, keep_length=keep_length) == expected


def test_pseudonymize_is_deterministic_and_letters_only():
    token = pseudonymize(ID, KEY)
    assert token == pseudonymize(ID, KEY)
    assert re.fullmatch(r"[a-p]{16}", token)
    assert token != pseudonymize(resident_id("11010519900307124"), KEY)


@pytest.mark.parametrize("spelling", [ID_X.lower(), f"  {ID_X} ", ID_X.translate(
    str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))])
def test_pseudonymize_gives_one_token_to_every_spelling_of_an_id(spelling):
    assert pseudonymize(spelling, KEY) == pseudonymize(ID_X, KEY)


def test_pseudonymize_keeps_the_case_of_free_text():
    assert pseudonymize("Li Na", KEY) != pseudonymize("li na", KEY)
    assert normalise_identifier(" ab12x ") == "AB12X"


def test_another_key_gives_an_unrelated_token():
    assert pseudonymize(ID, KEY) != pseudonymize(ID, OTHER_KEY)


def test_pseudonymize_prefix_and_length():
    token = pseudonymize("13800138000", KEY, prefix="P", length=24)
    assert token.startswith("P") and len(token) == 25
    assert token[1:17] == pseudonymize("13800138000", KEY)
    with pytest.raises(ValidationError, match="greater than or equal to 12"):
        pseudonymize("x", KEY, length=8)


@pytest.mark.parametrize("key", [b"", b"x" * 15, "a-text-key-of-enough-length"])
def test_pseudonymize_refuses_an_empty_short_or_text_key(key):
    with pytest.raises(MaskingError, match="needs a key of at least 16 bytes"):
        pseudonymize(ID, key)


def test_pseudonymize_leaves_missing_values_missing():
    assert pseudonymize(None, KEY) is None
    assert pseudonymize("", KEY) == ""
    assert pseudonymize("   ", KEY) == ""


@pytest.mark.parametrize("value", DATE_FORMS)
def test_generalize_date_reads_every_format(value):
    assert generalize_date(value) == "1990"
    assert generalize_date(value, to="month") == "1990-03"


@pytest.mark.parametrize("value", ["1990-02-30", "19901307", "1990-13-01", "abc", "1990-3",
                                   "90-03-07", "1990-03-07x", "1990/03-07", 3.5, True])
def test_generalize_date_refuses_what_is_not_a_date(value):
    with pytest.raises(MaskingError, match="is not a date; write dates like 1990-03-07"):
        generalize_date(value)


def test_a_long_bad_value_is_not_echoed_in_full():
    with pytest.raises(MaskingError) as error:
        generalize_date(ID)
    assert ID not in str(error.value) and "18 characters" in str(error.value)


def test_generalize_date_leaves_missing_values_missing():
    assert generalize_date(None) is None and generalize_date("") == ""


@pytest.mark.parametrize("value, expected", [
    (34, "30-39"), ("39", "30-39"), (40, "40-49"), (0, "0-9"), (89, "80-89"), (90, "90+"),
    (120, "90+"), (35.9, "30-39"), (None, None), ("", ""),
])
def test_generalize_age_bands(value, expected):
    assert generalize_age(value) == expected


def test_generalize_age_band_width_and_top():
    assert generalize_age(37, band=5) == "35-39"
    assert generalize_age(85, band=20) == "80-89"  # the band stops below the open top band
    assert generalize_age(66, top=65) == "65+"


@pytest.mark.parametrize("value", [-1, 151, "abc", True, "3 years", "inf", "nan"])
def test_generalize_age_refuses_what_is_not_an_age(value):
    with pytest.raises(MaskingError, match="is not an age; ages are numbers from 0 to 150"):
        generalize_age(value)


@pytest.mark.parametrize("value, to, expected", [
    ("广东省深圳市南山区科技园路1号", "province", "广东省"),
    ("广东省深圳市南山区科技园路1号", "city", "广东省深圳市"),
    ("深圳南山区", "city", "广东省深圳市"),
    ("北京市朝阳区建国路88号", "city", "北京市"),
    ("四川省凉山彝族自治州西昌市", "city", "四川省"),  # no prefecture-level city: the province
    ("朝阳区建国路88号", "province", ""),               # nothing safe to keep
    (None, "city", None),
])
def test_generalize_address_keeps_province_or_city(value, to, expected):
    assert generalize_address(value, to=to) == expected


@pytest.mark.parametrize("value, length, expected", [
    ("518057", 2, "51"), (518057, 3, "518"), ("ab", 5, "ab"), (None, 2, None),
])
def test_truncate_keeps_the_start(value, length, expected):
    assert truncate(value, length) == expected


def test_truncate_needs_a_positive_length():
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        truncate("518057", 0)


@pytest.mark.parametrize("value", ["张三", 42, dt.date(1990, 3, 7), "", None])
def test_nullify_removes_everything(value):
    assert nullify(value) is None


# Each accepted form, and how a shifted date ``d`` must be written to keep that form.
SHIFTED_FORMS = [
    ("1990-03-07", lambda d: d.isoformat()),
    ("1990/3/7", lambda d: f"{d.year}/{d.month}/{d.day}"),
    ("1990/03/07", lambda d: f"{d:%Y/%m/%d}"),
    ("1990.03.07", lambda d: f"{d:%Y.%m.%d}"),
    ("19900307", lambda d: f"{d:%Y%m%d}"),
    ("1990年3月7日", lambda d: f"{d.year}年{d.month}月{d.day}日"),
    ("1990年03月07日", lambda d: f"{d.year}年{d:%m}月{d:%d}日"),
    (dt.date(1990, 3, 7), lambda d: d),
    (dt.datetime(1990, 3, 7, 8, 30), lambda d: dt.datetime(d.year, d.month, d.day, 8, 30)),
    (19900307, lambda d: int(f"{d:%Y%m%d}")),
    ("1990-03-07 08:30", lambda d: f"{d.isoformat()} 08:30"),
    ("1990-03-07T08:30:00", lambda d: f"{d.isoformat()}T08:30:00"),
]


@pytest.mark.parametrize("value, written", SHIFTED_FORMS)
def test_shift_date_keeps_the_format_and_moves_every_form_alike(value, written):
    moved = shift_date(dt.date(1990, 3, 7), KEY, entity="person-1")
    assert shift_date(value, KEY, entity="person-1") == written(moved)


def test_shift_date_moves_one_entitys_dates_together():
    visits = [dt.date(2024, 1, 5), dt.date(2024, 2, 29), dt.date(2024, 12, 31)]
    moved = [shift_date(day, KEY, entity=ID) for day in visits]
    assert [b - a for a, b in zip(moved, moved[1:], strict=False)] == [
        b - a for a, b in zip(visits, visits[1:], strict=False)]
    assert moved[0] != visits[0]
    assert shift_date(visits[0], KEY, entity=ID.lower()) == moved[0]


def test_shift_date_offsets_are_never_zero_and_stay_within_max_days():
    offsets = {(shift_date(dt.date(2024, 1, 1), KEY, max_days=7, entity=f"p{n}")
                - dt.date(2024, 1, 1)).days for n in range(300)}
    assert offsets == set(range(-7, 0)) | set(range(1, 8))


def test_shift_date_depends_on_the_key_and_is_deterministic():
    days = [dt.date(2024, 1, day) for day in range(1, 11)]
    assert [shift_date(d, KEY) for d in days] == [shift_date(d, KEY) for d in days]
    assert [shift_date(d, KEY) for d in days] != [shift_date(d, OTHER_KEY) for d in days]


def test_shift_date_errors():
    with pytest.raises(MaskingError, match="shift_date needs a key of at least 16 bytes"):
        shift_date("2024-01-01", b"short")
    with pytest.raises(MaskingError, match="'2024-02-30' is not a date"):
        shift_date("2024-02-30", KEY)
    assert shift_date(None, KEY) is None and shift_date("", KEY) == ""


def test_every_strategy_is_listed_once_with_what_it_keeps_and_destroys():
    assert list(STRATEGIES) == ["partial_mask", "full_mask", "pseudonymize", "generalize_date",
                                "generalize_age", "generalize_address", "truncate", "nullify",
                                "shift_date"]
    assert {name for name, s in STRATEGIES.items() if s.uses_key} == {"pseudonymize",
                                                                      "shift_date"}
    assert [step.name for step in STEPS] == list(STRATEGIES)
    for step in STEPS:
        assert step.kind == "masking" and step.keeps and step.destroys and step.summary
        assert step.function is STRATEGIES[step.name].function
        assert step.params_model is STRATEGIES[step.name].params_model
