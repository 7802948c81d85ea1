"""Finding personal data and identifiers inside free text."""

import pytest
from stdnum import luhn
from stdnum.cn import ric

from datamarket_governance_tools.detectors import KINDS, is_uscc
from datamarket_governance_tools.free_text import PII_KINDS, find_pii


def resident_id(sequence: str = "123") -> str:
    body = "11010519900307" + sequence
    return body + ric.calc_check_digit(body + "0")


def card(prefix: str, length: int) -> str:
    body = prefix + "0123456789012345678"[:length - len(prefix) - 1]
    return body + luhn.calc_check_digit(body)


RESIDENT_ID = resident_id()


def test_every_kind_but_birth_dates_is_found_in_free_text():
    assert set(PII_KINDS) < set(KINDS)
    assert set(KINDS) - set(PII_KINDS) == {"date_of_birth"}


@pytest.mark.parametrize("text, expected", [
    ("被告人李建国，男，1985年3月出生，住广东省深圳市南山区科技园路1号3栋502室。",
     [("person_name", "李建国"), ("address", "广东省深圳市南山区科技园路1号3栋502室")]),
    ("来电人张伟反映其车辆粤B·D12345被拖走", [("person_name", "张伟"),
                                         ("vehicle_plate", "粤B·D12345")]),
    ("原告李静与被告王伟离婚纠纷一案", [("person_name", "李静"), ("person_name", "王伟")]),
    ("王秀英女士，家住北京市朝阳区建国路88号院2号楼1单元301室，座机（010）6552 9988",
     [("person_name", "王秀英"), ("address", "北京市朝阳区建国路88号院2号楼1单元301室"),
      ("landline", "（010）6552 9988")]),
    ("Customer Zhang Wei called from +86 138 0013 8000.", [("person_name", "Zhang Wei"),
                                                         ("mobile", "138 0013 8000")]),
    ("手机：１３８００１３８０００", [("mobile", "１３８００１３８０００")]),
    # A withheld name, a surname with a title, everyday words, an organisation: none is found.
    ("被告人王某某，张先生称高中生黄金价格上涨，北京市朝阳区人民法院审理", []),
    ("Customer Service called Mr Zhang.", []),
])
def test_names_and_addresses_are_found_by_the_words_around_them(text, expected):
    assert [(match.kind, match.value) for match in find_pii(text)] == expected


def test_free_text_yields_every_kind_in_order_of_position():
    text = (f"张先生，身份证{RESIDENT_ID}，手机+86 138 0013 8000，座机(0755)8888 1234，"
            f"邮箱 zhang@example.cn，卡号 {card('622848', 19)}，车牌京A12345，护照E12345678，"
            f"企业 91350100M000100Y43，登录 IP 192.168.1.1 和 2001:db8::1。")
    kinds = [match.kind for match in find_pii(text)]
    assert kinds == ["resident_id", "mobile", "landline", "email", "bank_card", "vehicle_plate",
                     "passport", "uscc", "ipv4", "ipv6"]


def test_each_match_reports_its_value_and_offset():
    text = "call +86 138 0013 8000 now"
    (match,) = find_pii(text)
    assert match.value == "138 0013 8000" and text[match.start:].startswith(match.value)


@pytest.mark.parametrize("text, kind", [
    ("13800138000@example.cn", "email"),                        # not also a mobile
    ("version 1.2.3.4.5", None), ("v1.2.3.4", None),            # not an IP address
    ("SKU E12345678", "passport"), ("SKUE12345678", None),      # glued to letters
    ("单号 1234567890123456789012", None),                       # a longer number
    ("时间 12:30:45", None), ("地址::", None),
    ("京A12345X", None), ("粤B·D12345 停车", "vehicle_plate"),
])
def test_what_free_text_finds_and_does_not(text, kind):
    assert [match.kind for match in find_pii(text)] == ([kind] if kind else [])


def test_a_resident_id_number_is_not_also_found_as_a_card_or_credit_code():
    both = next(value for seq in range(1000)
                if is_uscc(value := resident_id(f"{seq:03d}")))
    assert [match.kind for match in find_pii(f"号码 {both}")] == ["resident_id"]
