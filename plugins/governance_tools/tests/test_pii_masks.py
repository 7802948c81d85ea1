"""The display masks of found personal data."""

import pytest

from datamarket_governance_tools.detectors import DETECTORS, MASK_CHARACTERS
from datamarket_governance_tools.free_text import PiiMatch
from datamarket_governance_tools.pii_masks import mask, mask_value


@pytest.mark.parametrize("kind, value, masked", [
    ("resident_id", "11010519780615109x", "110***********109X"),
    ("uscc", "91350100M000100Y43", "91************0Y43"),
    ("bank_card", "6228 4801 2345 6789 015", "622848*********9015"),
    ("mobile", "+86 138-0013-8000", "138****8000"),
    ("landline", "(0755)8888 1234", "0755-****1234"),
    ("landline", "+86 10 62345678", "010-****5678"),
    ("landline", "0571 8765432", "0571-***5432"),
    ("email", "li.na@mail.example.cn", "l***@mail.example.cn"),
    ("ipv4", "192.168.10.1", "192.168.*.*"),
    ("ipv6", "2001:0db8::1", "2001:db8:*:*:*:*:*:*"),
    ("vehicle_plate", "粤B·D12345", "粤B*****5"),
    ("passport", "E12345678", "E******78"),
    ("date_of_birth", "1990年3月7日", "1990-**-**"),
    ("person_name", "张伟", "张*"),
    ("person_name", "欧阳娜娜", "欧阳**"),
    ("address", "深圳南山区科技园3栋", "广东省深圳市****"),
    ("address", "北京市朝阳区建国路88号", "北京市****"),
])
def test_each_kind_keeps_a_recognisable_part(kind, value, masked):
    assert DETECTORS[kind](value)
    assert mask_value(kind, value) == masked
    assert not DETECTORS[kind](masked)
    assert any(character in MASK_CHARACTERS for character in masked)


def test_mask_reads_the_kind_of_a_match():
    assert mask(PiiMatch("mobile", "13800138000", 0)) == "138****8000"
