"""Classification and grading: levels from detected kinds, combinations and scale."""

import pytest

from datamarket_governance_tools.classification import (
    LARGE_SCALE_PEOPLE,
    Classification,
    classify,
    classify_kinds,
    level_for_sensitivities,
)
from datamarket_governance_tools.columns import ColumnDetection


def detection(kind):
    return ColumnDetection(kind, 1.0 if kind else 0.0, 1.0 if kind else 0.0, None, "", 10)


@pytest.mark.parametrize("columns, level", [
    ({}, 1),
    ({"tyshxydm": "uscc"}, 2),
    ({"xm": "person_name"}, 2), ({"dz": "address"}, 2), ({"ip": "ipv4"}, 2),
    ({"sfzh": "resident_id"}, 3), ({"sjhm": "mobile"}, 3), ({"yhkh": "bank_card"}, 3),
    ({"hzhm": "passport"}, 3), ({"cph": "vehicle_plate"}, 3), ({"email": "email"}, 3),
    ({"xm": "person_name", "dz": "address"}, 3),
    ({"csrq": "date_of_birth", "gddh": "landline"}, 3),
    ({"xm": "person_name", "sfzh": "resident_id"}, 4),
    ({"xm": "person_name", "hzhm": "passport"}, 4),
    ({"xm": "person_name", "yhkh": "bank_card"}, 4),
    ({"sfzh": "resident_id", "yhkh": "bank_card"}, 4),
    ({"xm": "person_name", "sjhm": "mobile", "dz": "address"}, 4),
    ({"xm": "person_name", "sjhm": "mobile"}, 3),
    ({"tyshxydm": "uscc", "zcdz": "address"}, 2),
])
def test_levels_follow_the_kinds_present(columns, level):
    classification = classify_kinds(columns, row_count=100)
    assert classification.level == level
    assert classification.label == {1: "public", 2: "internal", 3: "sensitive", 4: "core"}[level]


def test_the_decisive_reason_comes_first_and_names_the_columns():
    classification = classify_kinds({"xm": "person_name", "sfzh": "resident_id"}, 10)
    assert classification.reasons == [
        "Names together with resident ID numbers identify individuals directly (columns 'sfzh' "
        "and 'xm'), so the dataset is core (level 4).",
        "Column 'sfzh' holds resident ID numbers, which identify individuals, so the dataset is "
        "at least sensitive (level 3).",
        "Column 'xm' holds personal names, which are personal data, so the dataset is at least "
        "internal (level 2).",
    ]
    assert classification.sensitive_columns == {"xm": "person_name", "sfzh": "resident_id"}


def test_an_empty_dataset_is_public_and_says_why():
    assert classify_kinds({}, 0) == Classification(
        1, "public", ["No column holds personal data or enterprise identifiers, so the dataset "
                      "is public (level 1)."], {})


def test_enterprise_identifiers_are_internal_and_not_sensitive_columns():
    classification = classify_kinds({"tyshxydm": "uscc"}, 10)
    assert classification.reasons == [
        "Column 'tyshxydm' identifies enterprises by their unified social credit codes, so the "
        "dataset is at least internal (level 2)."]
    assert classification.sensitive_columns == {}


def test_several_columns_of_one_kind_are_named_together():
    classification = classify_kinds({"mobile_1": "mobile", "mobile_2": "mobile"}, 10)
    assert classification.reasons == [
        "Columns 'mobile_1' and 'mobile_2' hold mobile numbers, which identify individuals, so "
        "the dataset is at least sensitive (level 3)."]


@pytest.mark.parametrize("rows, level", [(LARGE_SCALE_PEOPLE - 1, 3), (LARGE_SCALE_PEOPLE, 4)])
def test_personal_data_on_a_million_people_is_core(rows, level):
    classification = classify_kinds({"sjhm": "mobile"}, rows)
    assert classification.level == level
    if level == 4:
        assert classification.reasons[0] == (
            "The dataset holds personal data on 1,000,000 people, 1,000,000 or more, so it is "
            "core (level 4).")


def test_scale_does_not_raise_internal_or_unknown_sizes():
    assert classify_kinds({"xm": "person_name"}, 5_000_000).level == 2
    assert classify_kinds({"sjhm": "mobile"}, 0).level == 3


def test_classify_reads_detections_and_skips_columns_without_a_kind():
    detections = {"xm": detection("person_name"), "sfzh": detection("resident_id"),
                  "amount": detection(None)}
    classification = classify(detections, 10)
    assert classification.level == 4 and "amount" not in classification.sensitive_columns


@pytest.mark.parametrize("sensitivities, level", [
    ([], 1), (["none"], 1), (["none", "personal"], 2), (["sensitive_personal"], 3),
    (["confidential", "none"], 3), (["whatever"], 1),
])
def test_declared_sensitivities_call_for_a_least_level(sensitivities, level):
    assert level_for_sensitivities(sensitivities) == level


def test_a_pseudonymized_id_column_keeps_the_dataset_at_level_2_and_says_why():
    from datamarket_governance_tools.columns import detect_columns
    from datamarket_governance_tools.masking import pseudonymize

    key = b"classification-test-key-0123"
    rows = [{"sfzh": pseudonymize(f"11010519900307{n:03d}X", key), "amount": n}
            for n in range(100)]
    detections = detect_columns(rows)
    assert detections["sfzh"].kind is None
    assert detections["sfzh"].pseudonymized_kind == "resident_id"
    result = classify(detections, row_count=100)
    assert result.level == 2
    assert result.reasons == [
        "Column 'sfzh' holds pseudonymized resident ID numbers: pseudonymized personal "
        "information is still personal information (PIPL art. 4 and 73), because whoever holds "
        "the key or other data can link it back to people, so the dataset is at least internal "
        "(level 2)."]


def test_hashed_columns_count_by_the_header_they_carry():
    import hashlib

    from datamarket_governance_tools.columns import detect_column

    digests = [hashlib.md5(f"1380013{n:04d}".encode()).hexdigest() for n in range(50)]
    assert detect_column("手机号_md5", digests).pseudonymized_kind == "mobile"
    assert detect_column("sjhm(脱敏)", [d.upper() for d in digests]).pseudonymized_kind == "mobile"
    # Hashes under a header that names no personal kind, or a credit code, are not personal.
    assert detect_column("file_checksum", digests).pseudonymized_kind is None
    assert detect_column("tyshxydm_hash", digests).pseudonymized_kind is None
    # Mostly clear values are not pseudonyms.
    assert detect_column("sjhm_hash", digests[:10] + ["13800138000"] * 40).pseudonymized_kind \
        is None
