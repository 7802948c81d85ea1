"""The standard data elements and mapping field names onto them."""

from collections import Counter

import pytest

from datamarket_governance_tools.detectors import KINDS
from datamarket_governance_tools.standards import (
    ELEMENTS,
    map_field,
    map_fields,
    normalise_name,
)

DATA_TYPES = {"string", "integer", "decimal", "boolean", "date", "datetime"}
SENSITIVITIES = {"none", "personal", "sensitive_personal", "confidential"}


def test_there_are_at_least_fifty_well_formed_elements():
    assert len(ELEMENTS) >= 50
    assert len({element.code for element in ELEMENTS}) == len(ELEMENTS)
    for element in ELEMENTS:
        assert element.data_type in DATA_TYPES
        assert element.sensitivity in SENSITIVITIES
        assert element.kind is None or element.kind in KINDS
        assert element.name_zh and element.name_en and element.aliases


def test_every_alias_and_chinese_name_is_unique_across_elements_even_when_normalised():
    names = Counter(normalise_name(name) for element in ELEMENTS
                    for name in (element.name_zh, *element.aliases))
    assert [name for name, count in names.items() if count > 1] == []


def test_every_element_maps_from_its_chinese_name_and_its_aliases():
    for element in ELEMENTS:
        for name in (element.name_zh, *element.aliases):
            mapping = map_field(name)
            assert mapping is not None and mapping.element == element, name
            assert mapping.confidence == 1.0


def test_every_detector_kind_has_an_element_that_hints_it():
    assert {element.kind for element in ELEMENTS} - {None} == set(KINDS)


@pytest.mark.parametrize("name, code, confidence", [
    ("sfzh", "PSN005", 1.0), ("xm", "PSN001", 1.0), ("lxdh", "PSN006", 1.0),
    ("tyshxydm", "ENT001", 1.0), ("id_number", "PSN005", 1.0), ("身份证号码", "PSN005", 1.0),
    ("SFZH", "PSN005", 0.95), ("idNumber", "PSN005", 0.95), ("ID-Number", "PSN005", 0.95),
    ("IDNumber", "PSN005", 0.95), ("ＳＦＺＨ", "PSN005", 0.95), ("Email Address", "PSN010", 0.95),
    ("id_no", "PSN005", 0.9), ("passport_no", "PSN011", 0.9), ("tel", "PSN006", 0.9),
    ("phone_2", "PSN006", 0.9), ("手机号码2", "PSN006", 0.9), ("home_addr", "PSN008", 0.9),
    ("sfzhm", "PSN005", 0.85), ("sjh", "PSN006", 0.85), ("jszhm", "TRF002", 0.85),
    ("customer_id_number", "PSN005", 0.8), ("客户手机号码", "PSN006", 0.8),
    ("法人身份证号码", "PSN005", 0.8), ("client_ip", "COM001", 0.8), ("kh_xm", "PSN001", 0.8),
    ("customer_name", "PSN001", 0.8), ("patientName", "PSN001", 0.8),
    ("服务器IP地址", "COM001", 0.8),
])
def test_field_names_map_with_the_confidence_of_their_rule(name, code, confidence):
    mapping = map_field(name)
    assert mapping is not None
    assert (mapping.element.code, mapping.confidence) == (code, confidence)


@pytest.mark.parametrize("name", [
    "product_name", "order_date", "trade_date", "交易日期", "col_7", "zip_code", "手机号码归属地",
    "", "   ", "___", "birth_year", "order_id", "xmmc", "field_a",
])
def test_names_that_map_to_no_element(name):
    assert map_field(name) is None


def test_map_fields_keys_each_result_by_the_name_as_given():
    mappings = map_fields(["sfzh", "SFZH", "nothing_here", "sfzh"])
    assert list(mappings) == ["sfzh", "SFZH", "nothing_here"]
    assert mappings["sfzh"].confidence == 1.0 and mappings["SFZH"].confidence == 0.95
    assert mappings["nothing_here"] is None


def test_enterprise_fields_are_not_personal():
    for name in ("tyshxydm", "zcdz", "qylxdh", "company_email", "fddbr"):
        assert map_field(name).element.sensitivity == "none", name
