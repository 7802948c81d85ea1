"""The value detectors: what each kind accepts, the near misses it turns away, and free text."""

import datetime

import pytest
from stdnum import luhn
from stdnum.cn import ric, uscc

from datamarket_governance_tools.detectors import (
    detect_value,
    is_address,
    is_bank_card,
    is_date_of_birth,
    is_email,
    is_generic_passport_number,
    is_ipv4,
    is_ipv6,
    is_landline,
    is_mobile,
    is_passport,
    is_person_name,
    is_resident_id,
    is_uscc,
    is_vehicle_plate,
)


def resident_id(division: str = "110105", born: str = "19900307", sequence: str = "123") -> str:
    body = division + born + sequence
    return body + ric.calc_check_digit(body + "0")


def organisation_code(body: str) -> str:
    total = sum(int(c, 36) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    return body + {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))


def credit_code(head: str = "91110108", organisation: str = "MA01ABCD") -> str:
    body = head + organisation_code(organisation)
    return body + uscc.calc_check_digit(body)


def card(prefix: str, length: int) -> str:
    body = prefix + "0123456789012345678"[:length - len(prefix) - 1]
    return body + luhn.calc_check_digit(body)


def other_last(value: str, alphabet: str = "0123456789") -> str:
    return value[:-1] + next(c for c in alphabet if c != value[-1])


RESIDENT_ID = resident_id()
TOMORROW = datetime.date.today() + datetime.timedelta(days=1)


@pytest.mark.parametrize("value", [
    RESIDENT_ID, resident_id(sequence="100"), resident_id(sequence="100").lower(),
    resident_id("440305", "19500101"),  # Nanshan was created in 1990; its older residents count
    resident_id(born="19000101"), f"  {RESIDENT_ID} ",
    "110105 19900307 1239", "110105-19900307-1239", "１１０１０５１９９００３０７１２３９",
])
def test_valid_resident_id_numbers(value):
    assert is_resident_id(value)
    assert detect_value(value) == ["resident_id"]


@pytest.mark.parametrize("value", [
    other_last(RESIDENT_ID, "0123456789X"),             # wrong check digit
    RESIDENT_ID[:-1], RESIDENT_ID + "1",                 # 17 and 19 digits
    resident_id(born=TOMORROW.strftime("%Y%m%d")),       # born tomorrow
    resident_id(born="18991231"),                        # born before 1900
    resident_id(born="19900230"), resident_id(born="19901307"),  # no such day
    resident_id(division="990000"),                      # no such division
    "123456789012345678", "11010519900307123Y", "110105 19900307-1239", "110***********1239",
])
def test_near_misses_are_not_resident_id_numbers(value):
    assert not is_resident_id(value)
    assert "resident_id" not in detect_value(value)


@pytest.mark.parametrize("value", [
    "91350100M000100Y43", credit_code(), credit_code("Y1110101", "12345678"),
    credit_code("12440300", "45612378"), credit_code().lower(),
])
def test_valid_credit_codes(value):
    assert is_uscc(value)
    assert detect_value(value) == ["uscc"]


def test_stdnum_alone_refuses_authority_y_which_gb_32100_allows():
    code = credit_code("Y1110101", "12345678")
    assert not uscc.is_valid(code) and is_uscc(code)


@pytest.mark.parametrize("value", [
    other_last(credit_code(), "0123456789ABCDEFGHJKLMNPQRTUWXY"),  # wrong check character
    (lambda body: body + uscc.calc_check_digit(body))(                # broken organisation code
        "91110108" + other_last(organisation_code("MA01ABCD"), "0123456789X")),
    credit_code()[:-1], credit_code() + "1",                           # 17 and 19 characters
    "91110108MA01ABCI1E", "01110108MA01ABCD1E", "96110108MA01ABCD1E",  # I, authority 0, type 6
])
def test_near_misses_are_not_credit_codes(value):
    assert not is_uscc(value)


@pytest.mark.parametrize("value", [
    card("622848", 19), card("622848", 16), card("436742", 16), card("518710", 16),
    card("356833", 17), card("601382", 19),
    " ".join(card("622848", 19)[i:i + 4] for i in range(0, 19, 4)),
    "-".join(card("436742", 16)[i:i + 4] for i in range(0, 16, 4)),
])
def test_valid_card_numbers(value):
    assert is_bank_card(value)
    assert detect_value(value) == ["bank_card"]


@pytest.mark.parametrize("value", [
    other_last(card("622848", 19)),            # Luhn fails
    card("622848", 15), card("622848", 20),    # too short, too long
    card("912345", 16), card("123456", 19),    # no issuer starts with 9 or 1
    card("518710", 19),                        # Mastercard issues 16 digits only
    card("436742", 18),                        # nor Visa 18
    "6228 4801-2345 6789 012",                 # mixed separators
    "6228480123456789 012",                    # not in groups of four
])
def test_near_misses_are_not_card_numbers(value):
    assert not is_bank_card(value)


def test_a_mistyped_resident_id_number_is_not_a_card_number_even_when_luhn_passes():
    typo = next(value for seq in range(100)
                if luhn.is_valid(value := other_last(resident_id("620102", sequence=f"{seq:03d}")))
                and not is_resident_id(value))
    assert typo.startswith("62") and not is_bank_card(typo)


def test_a_resident_id_number_that_also_passes_the_credit_code_checks_is_one_kind():
    both = next(value for seq in range(1000)
                if is_uscc(value := resident_id(sequence=f"{seq:03d}")))
    assert is_resident_id(both)
    assert detect_value(both) == ["resident_id"]


@pytest.mark.parametrize("value", [
    "13800138000", "19912345678", "+8613800138000", "+86 138 0013 8000", "0086-138-0013-8000",
    "138-0013-8000", "8613800138000",
])
def test_valid_mobile_numbers(value):
    assert is_mobile(value) and detect_value(value) == ["mobile"]


@pytest.mark.parametrize("value", [
    "12800138000", "10012345678", "11012345678", "1380013800", "138001380001", "23800138000",
    "138 0013 800", "+85 13800138000",
])
def test_near_misses_are_not_mobile_numbers(value):
    assert not is_mobile(value)


@pytest.mark.parametrize("value", [
    "010-12345678", "(0755)8888 1234", "（021）62345678", "0571 8765432", "+86 10 62345678",
    "0755-8888-1234", "020-3456789",
])
def test_valid_landline_numbers(value):
    assert is_landline(value) and detect_value(value) == ["landline"]


@pytest.mark.parametrize("value", [
    "62345678", "010-0234567", "010-123456", "0755-888812345", "755-88881234", "01062345678",
    "00-12345678", "0755_88881234",
])
def test_near_misses_are_not_landline_numbers(value):
    assert not is_landline(value)


@pytest.mark.parametrize("value", ["zhang.wei@example.com", "li_na+data@mail.example.cn",
                                   "a@b.io", "X.Y-Z%1@sub-domain.example.org"])
def test_valid_email_addresses(value):
    assert is_email(value) and detect_value(value) == ["email"]


@pytest.mark.parametrize("value", [
    "zhang.wei.example.com", "a@b@example.com", "name@localhost", "zhang wei@example.com",
    "a..b@example.com", "@example.com", "a@example.c0m", ".a@example.com", "a@-x.com",
])
def test_near_misses_are_not_email_addresses(value):
    assert not is_email(value)


@pytest.mark.parametrize("value", ["192.168.1.1", "8.8.8.8", "255.255.255.255", "0.0.0.0"])
def test_valid_ipv4_addresses(value):
    assert is_ipv4(value) and detect_value(value) == ["ipv4"]


@pytest.mark.parametrize("value", ["1.2.3.4.5", "256.1.1.1", "1.2.3", "01.2.3.4", "1.2.3.4:80",
                                   "1.2.3.-4", "１.2.3.4"])
def test_near_misses_are_not_ipv4_addresses(value):
    assert not is_ipv4(value)


@pytest.mark.parametrize("value", ["2001:db8::1", "::1", "fe80::1ff:fe23:4567:890a",
                                   "2001:0db8:0000:0000:0000:ff00:0042:8329"])
def test_valid_ipv6_addresses(value):
    assert is_ipv6(value) and detect_value(value) == ["ipv6"]


@pytest.mark.parametrize("value", ["12:30:45", "00:1a:2b:3c:4d:5e", "2001:db8::g1", "1::2::3",
                                   "1:2:3:4:5:6:7:8:9", "::", "1.2.3.4"])
def test_near_misses_are_not_ipv6_addresses(value):
    assert not is_ipv6(value)


@pytest.mark.parametrize("value", ["京A12345", "粤BD12345", "粤B12345D", "沪A·B1234", "京a12345",
                                   "苏E 1234学", "浙AFA1234"])
def test_valid_plates(value):
    assert is_vehicle_plate(value) and detect_value(value) == ["vehicle_plate"]


@pytest.mark.parametrize("value", ["京A1234O", "京I12345", "中A12345", "京112345", "京A1234",
                                   "京A1234567", "京AX12345", "京A-12345"])
def test_near_misses_are_not_plates(value):
    assert not is_vehicle_plate(value)


@pytest.mark.parametrize("value", ["E12345678", "EA1234567", "G12345678", "e12345678"])
def test_valid_passport_numbers(value):
    assert is_passport(value) and detect_value(value) == ["passport"]


@pytest.mark.parametrize("value", ["E1234567", "E123456789", "F12345678", "EI1234567",
                                   "EO1234567", "GA1234567"])
def test_near_misses_are_not_passport_numbers(value):
    assert not is_passport(value)


@pytest.mark.parametrize("value, expected", [
    ("X12345678", True), ("K1234567A", True), ("123456789", False), ("ABCDEFGHI", False),
    ("X1234567", False), ("X-1234567", False),
])
def test_generic_passport_numbers_are_nine_letters_and_digits(value, expected):
    assert is_generic_passport_number(value) is expected


@pytest.mark.parametrize("value", ["1990-03-07", "1990/3/7", "19900307", "1990年3月7日",
                                   "1990.03.07", "1900-01-01", "1990-03-07 08:30",
                                   datetime.date.today().isoformat()])
def test_dates_that_could_be_birth_dates(value):
    assert is_date_of_birth(value) and detect_value(value) == ["date_of_birth"]


@pytest.mark.parametrize("value", [TOMORROW.isoformat(), "2990-01-01", "1899-12-31",
                                   "1990-02-30", "19901307", "1990037", "1990-03/07", "1990年"])
def test_near_misses_are_not_birth_dates(value):
    assert not is_date_of_birth(value)


@pytest.mark.parametrize("value", ["张伟", "欧阳娜娜", "王小明", "司马南", " 李静 "])
def test_names_starting_with_a_common_surname(value):
    assert is_person_name(value) and detect_value(value) == ["person_name"]


@pytest.mark.parametrize("value", ["王", "王小明明明", "你好", "Zhang Wei", "张*", "张三1", "张 伟",
                                   "江苏省", "武汉", "北京"])
def test_near_misses_are_not_names(value):
    assert not is_person_name(value)


@pytest.mark.parametrize("value", ["高中", "黄金", "安全", "周末", "高速公路", "黄金价格", "李某",
                                   "张某某", "程序员"])
def test_everyday_words_that_start_with_a_surname_are_not_names(value):
    assert not is_person_name(value)


@pytest.mark.parametrize("value", ["张伟", "王建国", "欧阳娜娜", "西门英明", "李秀英"])
def test_names_whose_parts_are_words_are_still_names(value):
    assert is_person_name(value)


@pytest.mark.parametrize("value", ["高峰", "李娜", "司马光"])
def test_names_the_dictionary_lists_as_words_need_a_header(value):
    # The peak, and famous people: alone they read as words; a name column still takes them.
    from datamarket_governance_tools.columns import detect_column

    assert not is_person_name(value)
    assert detect_column("xm", [value] * 5).kind == "person_name"


@pytest.mark.parametrize("value", [
    "北京市朝阳区建国路88号", "广东省深圳市南山区科技园3栋", "深圳南山区粤海街道科苑路15号",
    "江苏省镇江市润州区中山路1号", "中国浙江省杭州市西湖区文三路90号", "上海浦东新区世纪大道100号",
    "四川省凉山彝族自治州西昌市胜利路1号", "河北省保定市清苑区东闾乡王庄村3组",
    "福州市鼓楼区五四路12楼", "南京鼓楼区宁海路2单元", "武汉市江汉区幸福小区",
])
def test_addresses(value):
    assert is_address(value) and detect_value(value) == ["address"]


def test_a_short_province_before_zhenjiang():
    # 江苏 followed by 镇 could begin a town's name, but 镇江 is a city of Jiangsu.
    assert is_address("江苏镇江润州区中山路1号")


@pytest.mark.parametrize("value", [
    "广东省", "深圳市", "广东省深圳市", "广西壮族自治区", "镇江市", "建国路88号", "朝阳区建国路",
    "北京市朝阳区人民法院", "深圳市南山区瑞达科技有限公司", "广东省深圳市南山区****",
    "山西省太原市清徐县", "上海浦东新区", "石家庄市桥西区建设路与和平路口", "福州市鼓楼区",
    "深圳南山区科苑路",
])
def test_near_misses_are_not_addresses(value):
    assert not is_address(value)


@pytest.mark.parametrize("value", ["", "   ", "hello", "12345", "3.14", "N/A", "-", "138****8000",
                                   "110***********1239"])
def test_ordinary_and_masked_values_are_nothing(value):
    assert detect_value(value) == []


def test_random_digit_runs_of_every_length_are_rarely_a_checksum_identifier():
    # A fixed pseudo-random sequence: the digits of successive powers of 7, cut to each length.
    runs = [str(7 ** power)[:length] for power in range(40, 240) for length in range(5, 26)]
    found = {value: detect_value(value) for value in runs}
    checksum = [value for value, kinds in found.items()
                if {"resident_id", "uscc", "bank_card"} & set(kinds)]
    assert len(checksum) / len(runs) < 0.005
    # Without a check digit, any 11 digits starting 13 to 19 (after an optional 86) are a
    # mobile number's shape, and any real date a birth date's; nothing else matches.
    others = {kind for value, kinds in found.items() if value not in checksum for kind in kinds}
    assert others <= {"mobile", "date_of_birth"}
    assert all(len(value) == 11 or (len(value) == 13 and value.startswith("86"))
               for value, kinds in found.items() if "mobile" in kinds)
