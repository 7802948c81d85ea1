"""Column detection: the values decide, the header helps, ambiguous kinds need the header."""

import datetime

import pytest
from stdnum.cn import ric

from datamarket_governance_tools.columns import (
    ColumnDetection,
    as_text,
    detect_column,
    detect_columns,
    percent,
)


def resident_ids(count: int) -> list[str]:
    bodies = [f"11010519900307{n:03d}" for n in range(count)]
    return [body + ric.calc_check_digit(body + "0") for body in bodies]


MOBILES = [f"138{n:08d}" for n in range(100)]
NAMES = ["张伟", "李静", "王芳", "刘洋", "陈静", "欧阳娜娜", "赵磊", "黄勇", "周杰", "吴敏"] * 10
DATES = [f"19{60 + n % 40}-0{1 + n % 9}-1{n % 10}" for n in range(100)]


def test_a_resident_id_column_with_its_header():
    detection = detect_column("sfzh", resident_ids(97) + ["N/A", "-", "123"])
    assert detection.kind == "resident_id" and detection.header_hint == "resident_id"
    assert detection.matched_share == 0.97 and detection.sampled == 100
    assert detection.confidence == pytest.approx((0.97 + 1.0) / 2)
    assert detection.explanation == ("97% of 100 sampled values are valid resident ID numbers "
                                     "and the header 'sfzh' means resident ID number.")


def test_a_checksum_column_needs_a_clear_majority_without_a_header():
    mostly = resident_ids(80) + ["x"] * 20
    assert detect_column("col_7", mostly).kind == "resident_id"
    assert detect_column("col_7", mostly).confidence == 0.8
    detection = detect_column("col_7", resident_ids(79) + ["x"] * 21)
    assert detection.kind is None
    assert detection.explanation == ("Only 79% of 100 sampled values are valid resident ID "
                                     "numbers (80% needed), so the column is not classified.")


def test_a_matching_header_lowers_the_bar_to_half():
    values = resident_ids(50) + ["x"] * 50
    assert detect_column("身份证号", values).kind == "resident_id"
    assert detect_column("col_7", values).kind is None
    detection = detect_column("身份证号", resident_ids(49) + ["x"] * 51)
    assert detection.kind is None
    assert detection.explanation == (
        "The header '身份证号' suggests resident ID numbers, but only 49% of 100 sampled values "
        "are valid resident ID numbers (50% needed), so the column is not classified.")


def test_values_outweigh_a_header_that_says_something_else():
    detection = detect_column("sfzh", MOBILES)
    assert detection.kind == "mobile" and detection.header_hint == "resident_id"
    assert detection.confidence == 1.0
    assert detection.explanation == ("100% of 100 sampled values are mobile numbers, although "
                                     "the header 'sfzh' suggests resident ID numbers.")


def test_a_phone_header_vouches_for_landlines_too():
    values = ["010-62345678"] * 55 + ["n/a"] * 45
    assert detect_column("lxdh", values).kind == "landline"
    assert detect_column("col_1", values).kind is None


@pytest.mark.parametrize("header, values, kind", [
    ("xm", NAMES, "person_name"), ("customer_name", NAMES, "person_name"),
    ("csrq", DATES, "date_of_birth"), ("出生日期", DATES, "date_of_birth"),
    ("hzhm", ["E12345678", "X98765432", "K1234567A"] * 30, "passport"),
])
def test_ambiguous_kinds_are_detected_with_their_header(header, values, kind):
    assert detect_column(header, values).kind == kind


@pytest.mark.parametrize("header, values", [
    ("col_7", NAMES), ("trade_date", DATES), ("remark", ["E12345678"] * 50),
    ("xm", NAMES[:50] + ["-"] * 50),  # header, but only half the values
])
def test_ambiguous_kinds_without_header_or_enough_matches_are_not_detected(header, values):
    assert detect_column(header, values).kind is None


def test_an_ambiguous_column_without_its_header_explains_why():
    detection = detect_column("col_7", NAMES)
    assert detection.explanation == ("100% of 100 sampled values could be personal names, but "
                                     "the header 'col_7' does not say so, so the column is not "
                                     "classified.")


def test_ambiguous_confidence_is_the_share_times_the_header_confidence():
    assert detect_column("xm", NAMES).confidence == 1.0
    assert detect_column("customer_name", NAMES).confidence == 0.8


@pytest.mark.parametrize("values, explanation", [
    ([], "The column has no values to check."),
    ([None, "", "  "], "The column has no values to check."),
    (["apple", "pear", 3], "None of the 3 sampled values is personal data or an identifier the "
                           "detectors know."),
])
def test_columns_with_nothing_to_find(values, explanation):
    detection = detect_column("notes", values)
    assert detection == ColumnDetection(None, 0.0, 0.0, None, explanation, detection.sampled)


def test_an_empty_column_with_a_header_says_nothing_confirms_it():
    assert detect_column("sfzh", [None]).explanation == (
        "The column has no values to check, so nothing confirms that the header 'sfzh' means "
        "resident ID numbers.")


def test_masked_columns_are_not_sensitive():
    detection = detect_column("sfzh", ["110***********1239"] * 10)
    assert detection.kind is None and detection.header_hint == "resident_id"


def test_the_sample_is_the_first_non_empty_values():
    values = [None, ""] + MOBILES[:5] + ["x"] * 100
    detection = detect_column("phone", values, sample_size=5)
    assert (detection.sampled, detection.matched_share) == (5, 1.0)
    assert detect_column("phone", values, sample_size=10).matched_share == 0.5


def test_the_sample_size_must_be_positive():
    with pytest.raises(ValueError, match="sample_size must be at least 1, not 0"):
        detect_column("x", [], sample_size=0)


@pytest.mark.parametrize("cell, text", [
    (None, None), ("  ", None), (13800138000, "13800138000"), (13800138000.0, "13800138000"),
    (12.5, "12.5"), (datetime.date(1990, 3, 7), "1990-03-07"),
    (datetime.datetime(1990, 3, 7), "1990-03-07"),
    (datetime.datetime(2024, 1, 2, 8, 30), "2024-01-02T08:30:00"), (True, "True"),
    (float("nan"), "nan"),
])
def test_cells_become_text_the_way_spreadsheets_mean_them(cell, text):
    assert as_text(cell) == text


def test_numbers_from_a_spreadsheet_are_still_mobile_numbers():
    assert detect_column("sjhm", [13800138000.0, 13912345678]).kind == "mobile"


@pytest.mark.parametrize("share, text", [(0.0, "0%"), (0.004, "less than 1%"), (0.29, "29%"),
                                         (0.996, "99%"), (1.0, "100%")])
def test_percentages_never_round_to_none_or_all(share, text):
    assert percent(share) == text


def test_detect_columns_keeps_the_order_columns_first_appear_in():
    rows = [{"sjhm": "13800138000", "amount": 3}, {"xm": "张伟", "sjhm": "13912345678"}]
    checked = []
    detections = detect_columns(rows, checkpoint=lambda: checked.append(1))
    assert list(detections) == ["sjhm", "amount", "xm"]
    assert detections["sjhm"].kind == "mobile" and detections["xm"].kind == "person_name"
    assert len(checked) == 3


def test_a_checkpoint_that_raises_stops_the_run():
    def stop() -> None:
        raise TimeoutError("late")

    with pytest.raises(TimeoutError):
        detect_columns([{"a": 1}], checkpoint=stop)


def test_names_beside_an_id_column_count_without_a_header():
    from datamarket_governance_tools.columns import detect_columns

    names = ["张伟", "王秀英", "李建国", "欧阳娜娜", "刘洋"] * 10
    ids = ["11010519491231002X"] * 50
    detections = detect_columns([{"c1": name, "c2": number} for name, number in zip(names, ids,
                                                                                   strict=True)])
    assert detections["c1"].kind == "person_name"
    assert "the column beside it, 'c2', holds resident ID numbers" in detections["c1"].explanation
    # Alone, or beside what identifies no one, the same values stay unclassified.
    alone = detect_columns([{"c1": name, "amount": 1} for name in names])
    assert alone["c1"].kind is None
    # Everyday words beside an ID column are not names.
    words = ["高中", "黄金", "安全", "周末", "程序"] * 10
    detections = detect_columns([{"c1": word, "c2": number} for word, number in zip(words, ids,
                                                                                   strict=True)])
    assert detections["c1"].kind is None
