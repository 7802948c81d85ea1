"""Synthetic demo identifiers are valid by the checks real systems apply, and seeded."""

import datetime
import random
import re

import pytest
from datamarket_sdk import identifiers
from stdnum import luhn
from stdnum.cn import ric, uscc

from marketplace.demo import synthetic

COUNT = 2_000

GENERATORS = {
    "resident_id": synthetic.resident_id,
    "unified_social_credit_code": synthetic.unified_social_credit_code,
    "bank_card": synthetic.bank_card,
    "mobile": synthetic.mobile,
    "person_name": synthetic.person_name,
    "company_name": synthetic.company_name,
    "plate": synthetic.plate,
    "address": synthetic.address,
}

_HAN = r"[\u4e00-\u9fff]"


def generate(kind: str, seed: int = 20240601, count: int = COUNT) -> list[str]:
    rng = random.Random(seed)
    return [GENERATORS[kind](rng) for _ in range(count)]


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_the_same_seed_gives_the_same_values(kind: str):
    assert generate(kind, seed=7, count=200) == generate(kind, seed=7, count=200)


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_different_seeds_give_different_values(kind: str):
    assert generate(kind, seed=1, count=50) != generate(kind, seed=2, count=50)


def test_resident_ids_pass_stdnum_with_a_birth_date_in_range():
    values = generate("resident_id")
    for value in values:
        assert len(value) == 18
        assert ric.validate(value) == value
        birth = ric.get_birth_date(value)
        assert datetime.date(1950, 1, 1) <= birth <= datetime.date(2004, 12, 31), value
    assert len(set(values)) > COUNT * 0.99


def test_resident_ids_honour_a_narrow_year_range_and_region():
    rng = random.Random(3)
    for _ in range(COUNT):
        value = synthetic.resident_id(rng, birth_year_range=(1990, 1991), region="4403")
        ric.validate(value)
        assert value.startswith("4403")
        assert ric.get_birth_date(value).year in (1990, 1991)
        assert ric.get_birth_place(value)["province"] == "广东省"


def test_resident_ids_before_a_division_existed_are_never_made():
    # Shenzhen's districts are listed from 1990; earlier births must come from elsewhere.
    rng = random.Random(4)
    values = [synthetic.resident_id(rng, birth_year_range=(1960, 1970)) for _ in range(500)]
    for value in values:
        ric.validate(value)
    assert not any(v.startswith("4403") for v in values)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"birth_year_range": (2000, 1990)}, "earlier to later"),
        ({"region": "4403", "birth_year_range": (1960, 1970)}, "No embedded administrative"),
        ({"region": "99"}, "No embedded administrative"),
        ({"region": "G"}, "first 2 to 6 digits"),
    ],
)
def test_resident_id_refuses_impossible_requests(kwargs: dict, message: str):
    with pytest.raises(ValueError, match=message):
        synthetic.resident_id(random.Random(0), **kwargs)


def test_every_embedded_division_is_real_from_its_listed_year():
    codes = [d.code for d in synthetic.DIVISIONS]
    assert len(codes) == len(set(codes))
    for division in synthetic.DIVISIONS:
        for year in range(division.listed_since or 1950, 2025):
            place = ric.get_birth_place(f"{division.code}{year}0101001X")
            assert place["province"] == division.province, (division, year)
            assert place["county"] == division.district, (division, year)


def _gb11714_is_valid(code: str) -> bool:
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    check = 11 - sum(int(c, 36) * w for c, w in zip(code[:8], weights, strict=True)) % 11
    return code[8] == {10: "X", 11: "0"}.get(check, str(check))


def test_unified_social_credit_codes_pass_stdnum():
    known_codes = {d.code for d in synthetic.DIVISIONS}
    values = generate("unified_social_credit_code")
    for value in values:
        assert uscc.validate(value) == value
        assert value[2:8] in known_codes
        assert _gb11714_is_valid(value[8:17]), value
    assert len(set(values)) == COUNT


def test_the_organisation_code_check_matches_a_published_example():
    # 91110000600037341L is stdnum's own example of a valid code.
    assert _gb11714_is_valid("600037341")
    assert not _gb11714_is_valid("600037342")


def test_bank_cards_pass_luhn():
    values = generate("bank_card")
    for value in values:
        assert luhn.validate(value) == value
        assert value.startswith("622848")
        assert 16 <= len(value) <= 19


def test_bank_card_honours_prefix_and_length():
    rng = random.Random(5)
    for length in range(16, 20):
        value = synthetic.bank_card(rng, prefix="621700", length=length)
        luhn.validate(value)
        assert value.startswith("621700") and len(value) == length
    with pytest.raises(ValueError, match="16 to 19 digits"):
        synthetic.bank_card(rng, length=20)
    with pytest.raises(ValueError, match="must be digits"):
        synthetic.bank_card(rng, prefix="62-28")


def test_mobiles_are_eleven_digits_on_real_segments():
    for value in generate("mobile"):
        assert re.fullmatch(r"1[3-9]\d{9}", value), value
        assert value[:3] in synthetic.MOBILE_PREFIXES


def test_person_names_are_a_common_surname_and_a_given_name():
    values = generate("person_name")
    for value in values:
        assert re.fullmatch(f"{_HAN}{{2,4}}", value), value
        surname = next((s for s in synthetic.COMPOUND_SURNAMES if value.startswith(s)), value[0])
        assert surname in synthetic.COMPOUND_SURNAMES or surname in synthetic.SURNAMES
        assert 1 <= len(value) - len(surname) <= 2
    assert len(set(values)) > COUNT * 0.5


def test_company_names_start_with_the_city_and_end_with_a_legal_form():
    for value in generate("company_name"):
        assert value.endswith("有限公司"), value
        assert re.fullmatch(f"{_HAN}+", value), value
    rng = random.Random(6)
    assert synthetic.company_name(rng, city="杭州市").startswith("杭州")
    assert not synthetic.company_name(rng, city="杭州市").startswith("杭州市")


def test_plates_are_a_province_a_city_letter_and_five_characters():
    for value in generate("plate"):
        assert re.fullmatch(
            r"[京津沪渝冀晋蒙辽吉黑苏浙皖闽赣鲁豫鄂湘粤桂琼川贵云藏陕甘青宁新][A-E]"
            r"[0-9A-HJ-NP-Z]{5}",
            value,
        ), value
        assert sum(c.isalpha() for c in value[2:]) <= 2


def test_addresses_name_province_city_district_street_and_number():
    places = tuple(
        d.province + ("" if d.city == d.province else d.city) + d.district
        for d in synthetic.DIVISIONS
    )
    for value in generate("address"):
        assert value.startswith(places), value
        assert re.search(r"(路|街|大道)[1-9]\d{0,2}号$", value), value


def test_identifiers_pass_the_rule_the_platform_and_the_governance_tools_apply():
    rng = random.Random(12)
    for _ in range(500):
        assert identifiers.is_resident_id(synthetic.resident_id(rng))
        assert identifiers.is_uscc(synthetic.unified_social_credit_code(rng))
        assert identifiers.is_uscc(synthetic.unified_social_credit_code(rng, "12", "44"))
        assert identifiers.is_bank_card(synthetic.bank_card(rng))
        assert identifiers.is_mobile(synthetic.mobile(rng))
        assert identifiers.is_vehicle_plate(synthetic.plate(rng))
