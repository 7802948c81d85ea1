"""The compliance review of a submitted listing."""

import pytest
from datamarket_sdk import Finding, ListingSnapshot
from stdnum.cn import ric

from datamarket_governance_tools.compliance import MAX_MAPPING_FINDINGS, review_listing

BODY = "11010519900307123"
RESIDENT_ID = BODY + ric.calc_check_digit(BODY + "0")


def field(name, sensitivity="none", type_="string"):
    return {"name": name, "type": type_, "description": f"The {name}.", "sensitivity": sensitivity}


def listing(dictionary=(), samples=(), level=3, product_type="raw_dataset"):
    return ListingSnapshot(listing_id=1, product_id=2, title="Residents", product_type=product_type,
                           classification_level=level, data_dictionary=list(dictionary),
                           sample_rows=list(samples))


def codes(findings):
    return [(finding.code, finding.field) for finding in findings]


PEOPLE = [field("xm", "personal"), field("sfzh", "sensitive_personal"), field("amount")]
MASKED_PEOPLE = [{"xm": "张*", "sfzh": "110***********1239", "amount": 12.5},
                 {"xm": "欧阳**", "sfzh": "110***********123X", "amount": 8}]


def test_a_clean_listing_has_no_blocking_or_warning_finding():
    findings = review_listing(listing(PEOPLE, MASKED_PEOPLE, level=4))
    assert codes(findings) == [("standard.mapping", "xm"), ("standard.mapping", "sfzh")]
    assert findings[1] == Finding(
        "standard.mapping", "'sfzh' corresponds to the standard element 公民身份号码 (Resident ID "
        "number, PSN005): data type string, sensitivity sensitive_personal.", "info", "sfzh")


def test_an_unmasked_resident_id_number_in_the_sample_blocks():
    samples = [{"xm": "张*", "sfzh": RESIDENT_ID, "amount": 1}, *MASKED_PEOPLE]
    findings = review_listing(listing(PEOPLE, samples, level=4))
    assert findings[0] == Finding(
        "sample.unmasked_resident_id",
        "Mask the values of 'sfzh' in the sample (e.g. 110***********1239) before submitting: "
        "unmasked resident ID numbers appear in 1 of its 3 sample values, and the sample is "
        "public on the product page.", "blocking", "sfzh")
    assert [f.code for f in findings if f.severity == "blocking"] == ["sample.unmasked_resident_id"]


@pytest.mark.parametrize("value", [
    "110***********1239", "138****8000", "１３８＊＊＊＊８０００", "张*", "广东省深圳市南山区****",
    "1990-**-**", "622848*********0123", "z***@example.com", "京A****5", "138•••• 8000",
])
def test_masked_values_never_count_as_unmasked(value):
    samples = [{"remark": value}, {"remark": value}]
    findings = review_listing(listing([field("remark")], samples, level=1))
    assert [f for f in findings if f.code.startswith("sample.unmasked")] == []


def test_personal_data_inside_free_text_is_found():
    samples = [{"remark": "请联系 13800138000 或 zhang@example.cn"}, {"remark": "无"}]
    findings = review_listing(listing([field("remark", "personal")], samples, level=3))
    assert codes(findings)[:2] == [("sample.unmasked_mobile", "remark"),
                                   ("sample.unmasked_email", "remark")]
    assert "(e.g. 138****8000)" in findings[0].message
    assert "in 1 of its 2 sample values" in findings[0].message


def test_names_count_only_under_a_header_that_says_so():
    samples = [{"xm": "张伟", "col_1": "李娜"}, {"xm": "王芳", "col_1": "刘洋"}]
    findings = review_listing(listing([field("xm", "personal"), field("col_1", "personal")],
                                      samples, level=3))
    unmasked = [f for f in findings if f.code.startswith("sample.unmasked")]
    assert codes(unmasked) == [("sample.unmasked_person_name", "xm")]
    assert unmasked[0].message.startswith(
        "Mask the values of 'xm' in the sample (e.g. 张*) before submitting: unmasked personal "
        "names appear in all 2 of its sample values")


def test_public_enterprise_data_needs_no_masking():
    dictionary = [field("tyshxydm"), field("qymc"), field("zcdz"), field("qylxdh"), field("fddbr")]
    samples = [{"tyshxydm": "91350100M000100Y43", "qymc": "福州瑞达科技有限公司",
                "zcdz": "福建省福州市鼓楼区五四路100号", "qylxdh": "0591-87654321",
                "fddbr": "张伟"}]
    findings = review_listing(listing(dictionary, samples, level=2))
    assert [f for f in findings if f.severity != "info"] == []


def test_a_field_holding_more_sensitive_data_than_declared_blocks():
    samples = [{"sfzh": RESIDENT_ID}]
    findings = review_listing(listing([field("sfzh", "personal")], samples, level=3))
    assert Finding(
        "dictionary.under_declared",
        "'sfzh' holds resident ID numbers (found in its sample values), which are sensitive "
        "personal information, but the data dictionary declares its sensitivity as 'personal'. "
        "Declare it as 'sensitive_personal'.", "blocking", "sfzh") in findings


def test_the_name_alone_shows_what_a_masked_field_holds():
    findings = review_listing(listing([field("sfzh")], [{"sfzh": "110***********1239"}], level=3))
    (under,) = [f for f in findings if f.code == "dictionary.under_declared"]
    assert under.message == (
        "'sfzh' holds resident ID numbers (its name means the standard element 公民身份号码, "
        "Resident ID number), which are sensitive personal information, but the data dictionary "
        "declares its sensitivity as 'none'. Declare it as 'sensitive_personal'.")


@pytest.mark.parametrize("declared", ["sensitive_personal", "confidential"])
def test_a_declaration_at_least_as_strict_is_accepted(declared):
    findings = review_listing(listing([field("sfzh", declared)], [{"sfzh": "110***********1239"}],
                                      level=3))
    assert "dictionary.under_declared" not in [f.code for f in findings]


def test_a_level_below_what_the_fields_call_for_blocks_with_the_reason():
    findings = review_listing(listing(PEOPLE, MASKED_PEOPLE, level=2))
    (too_low,) = [f for f in findings if f.code == "classification.too_low"]
    assert too_low == Finding(
        "classification.too_low",
        "The listing is classified as level 2 (internal), but its fields call for level 4 "
        "(core). Names together with resident ID numbers identify individuals directly (columns "
        "'sfzh' and 'xm'), so the dataset is core (level 4). Raise the classification level to "
        "4, or remove the fields that require it.", "blocking")


def test_declared_sensitivities_alone_can_call_for_a_higher_level():
    findings = review_listing(listing([field("diagnosis", "sensitive_personal")],
                                      [{"diagnosis": "感冒"}], level=1))
    (too_low,) = [f for f in findings if f.code == "classification.too_low"]
    assert "The data dictionary declares 'diagnosis' as 'sensitive_personal', which needs at " \
           "least sensitive (level 3)." in too_low.message


def test_a_desensitized_dataset_is_graded_by_what_its_sample_shows():
    desensitized = listing(PEOPLE, MASKED_PEOPLE, level=3, product_type="desensitized_dataset")
    assert "classification.too_low" not in [f.code for f in review_listing(desensitized)]
    raw = listing(PEOPLE, MASKED_PEOPLE, level=3, product_type="raw_dataset")
    assert "classification.too_low" in [f.code for f in review_listing(raw)]


def test_a_model_ized_data_service_is_graded_by_the_answers_its_sample_shows():
    # A verification service: the dictionary describes what buyers send, compared and discarded.
    service = listing(PEOPLE, MASKED_PEOPLE, level=2, product_type="modelized_data")
    assert [f for f in review_listing(service) if f.severity == "blocking"] == []
    revealing = listing(PEOPLE, [{"xm": "张伟", "sfzh": RESIDENT_ID}], level=2,
                        product_type="modelized_data")
    assert "classification.too_low" in [f.code for f in review_listing(revealing)]


@pytest.mark.parametrize("product_type", ["ai_data", "governance_tool"])
def test_services_on_the_buyers_own_input_are_not_graded(product_type):
    samples = [{"column_name": "credit_code", "example": "91350100M000100Y43"}]
    tool = listing([field("column_name"), field("example")], samples, level=1,
                   product_type=product_type)
    assert [f for f in review_listing(tool) if f.severity != "info"] == []


def test_unmasked_values_of_another_sort_outweigh_a_field_name():
    samples = [{"name": "清徐县体育馆停车场"}, {"name": "城东区体育馆停车场"}]
    findings = review_listing(listing([field("name")], samples, level=1))
    assert [f for f in findings if f.severity != "info"] == []


def test_districts_and_road_junctions_are_not_addresses_to_mask():
    samples = [{"region_name": "山西省太原市清徐县", "location": "石家庄市桥西区建设路与和平路口"}]
    findings = review_listing(listing([field("region_name"), field("location")], samples,
                                      level=1))
    assert findings == []


@pytest.mark.parametrize("product_type, expected", [
    ("raw_dataset", ["dictionary.missing", "sample.missing"]),
    ("desensitized_dataset", ["dictionary.missing", "sample.missing"]),
    ("ai_data", []), ("governance_tool", []),
])
def test_datasets_need_a_dictionary_and_a_sample(product_type, expected):
    findings = review_listing(listing(level=1, product_type=product_type))
    assert [f.code for f in findings] == expected
    assert all(f.severity == "warning" for f in findings)


def test_sample_columns_missing_from_the_dictionary_are_warned_about():
    findings = review_listing(listing([field("amount")], [{"amount": 1, "colour": "red"}],
                                      level=1))
    assert findings == [Finding(
        "sample.undocumented_field",
        "The sample has a column 'colour' that the data dictionary does not describe. Add it to "
        "the dictionary or remove it from the sample.", "warning", "colour")]


def test_at_most_twenty_fields_get_a_standard_mapping_suggestion():
    names = ["xb", "mz", "hyzk", "xl", "zy", "gj", "nl", "zzmm", "qymc", "zczb", "clrq", "jyfw",
             "djzt", "qylx", "sshy", "djjg", "hzrq", "nsrmc", "sksq", "jfyf", "cbdw", "xzlx", "ah"]
    dictionary = [field(name, "sensitive_personal") for name in names]
    findings = review_listing(listing(dictionary, [{"xb": "男"}], level=3))
    mappings = [f.field for f in findings if f.code == "standard.mapping"]
    assert mappings == names[:MAX_MAPPING_FINDINGS]


def test_findings_come_blocking_first_then_warnings_then_information():
    samples = [{"sfzh": RESIDENT_ID, "colour": "red"}]
    findings = review_listing(listing([field("sfzh", "none")], samples, level=1))
    severities = [f.severity for f in findings]
    assert severities == sorted(severities, key=["blocking", "warning", "info"].index)
    assert codes(findings) == [
        ("sample.unmasked_resident_id", "sfzh"), ("dictionary.under_declared", "sfzh"),
        ("classification.too_low", None), ("sample.undocumented_field", "colour"),
        ("standard.mapping", "sfzh")]


def test_dictionary_entries_without_a_name_are_ignored():
    findings = review_listing(listing([{"type": "string"}, field("  "), field("amount")],
                                      [{"amount": 1}], level=1))
    assert findings == []


def test_a_sample_of_pseudonymized_ids_still_calls_for_level_2():
    from datamarket_governance_tools.masking import pseudonymize

    key = b"compliance-test-key-012345"
    samples = [{"sfzh": pseudonymize(RESIDENT_ID[:-1] + digit, key), "amount": 1}
               for digit in "0123"]
    public = listing([field("sfzh", "personal"), field("amount")], samples, level=1,
                     product_type="modelized_data")
    (finding,) = [f for f in review_listing(public) if f.code == "classification.too_low"]
    assert "holds pseudonymized resident ID numbers" in finding.message
    assert "PIPL art. 4 and 73" in finding.message
    internal = listing([field("sfzh", "personal"), field("amount")], samples, level=2,
                       product_type="modelized_data")
    assert [f for f in review_listing(internal) if f.severity == "blocking"] == []
