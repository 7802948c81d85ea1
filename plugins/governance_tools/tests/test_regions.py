"""Provinces, cities and where an address starts."""

import pytest

from datamarket_governance_tools.regions import (
    CITIES,
    CITY_PROVINCES,
    PROVINCES,
    SHORT_NAMES,
    split_address,
)

CAPITALS = {
    "河北省": "石家庄市", "山西省": "太原市", "内蒙古自治区": "呼和浩特市", "辽宁省": "沈阳市",
    "吉林省": "长春市", "黑龙江省": "哈尔滨市", "江苏省": "南京市", "浙江省": "杭州市",
    "安徽省": "合肥市", "福建省": "福州市", "江西省": "南昌市", "山东省": "济南市",
    "河南省": "郑州市", "湖北省": "武汉市", "湖南省": "长沙市", "广东省": "广州市",
    "广西壮族自治区": "南宁市", "海南省": "海口市", "四川省": "成都市", "贵州省": "贵阳市",
    "云南省": "昆明市", "西藏自治区": "拉萨市", "陕西省": "西安市", "甘肃省": "兰州市",
    "青海省": "西宁市", "宁夏回族自治区": "银川市", "新疆维吾尔自治区": "乌鲁木齐市",
}


def test_there_are_34_provincial_divisions_and_293_prefecture_level_cities():
    assert len(PROVINCES) == len(set(PROVINCES)) == 34
    prefecture_cities = {city for city, province in CITIES.items() if city != province}
    assert len(prefecture_cities) == 293
    assert set(CITIES.values()) <= set(PROVINCES)
    assert CITY_PROVINCES <= set(PROVINCES)


def test_every_provincial_capital_belongs_to_its_province():
    for province, capital in CAPITALS.items():
        assert CITIES[capital] == province


def test_municipalities_are_their_own_city():
    for city in ("北京市", "天津市", "上海市", "重庆市"):
        assert CITIES[city] == city


@pytest.mark.parametrize("short, full", [
    ("广东", "广东省"), ("深圳", "深圳市"), ("内蒙古", "内蒙古自治区"),
    ("新疆", "新疆维吾尔自治区"), ("广西", "广西壮族自治区"), ("宁夏", "宁夏回族自治区"),
    ("西藏", "西藏自治区"), ("香港", "香港特别行政区"), ("北京", "北京市"), ("吉林", "吉林省"),
    ("鄂尔多斯", "鄂尔多斯市"),
])
def test_short_names_lead_to_full_names(short, full):
    assert SHORT_NAMES[short] == full


@pytest.mark.parametrize("address, expected", [
    ("广东省深圳市南山区科技园", ("广东省", "深圳市")),
    ("深圳市南山区粤海街道", ("广东省", "深圳市")),
    ("北京市朝阳区建国路88号", ("北京市", "北京市")),
    ("上海浦东新区", ("上海市", "上海市")),
    ("广东深圳南山", ("广东省", "深圳市")),
    ("中国广东省广州市天河区", ("广东省", "广州市")),
    ("内蒙古包头市昆都仑区", ("内蒙古自治区", "包头市")),
    ("新疆维吾尔自治区乌鲁木齐市", ("新疆维吾尔自治区", "乌鲁木齐市")),
    ("吉林省吉林市船营区", ("吉林省", "吉林市")),
    ("吉林市船营区", ("吉林省", "吉林市")),
    ("吉林长春朝阳区", ("吉林省", "长春市")),
    ("江苏 苏州工业园区", ("江苏省", "苏州市")),
    ("香港九龙", ("香港特别行政区", "香港特别行政区")),
    ("四川省凉山彝族自治州", ("四川省", None)),
])
def test_addresses_split_into_province_and_city(address, expected):
    assert split_address(address) == expected


@pytest.mark.parametrize("address", [
    "no address", "", "朝阳区建国路", "南京路100号", "   ", "12345",
])
def test_text_that_does_not_start_with_a_place_has_none(address):
    assert split_address(address) == (None, None)


def test_a_city_of_another_province_is_not_reported():
    # 朝阳市 is in Liaoning; an address claiming it is in Guangdong keeps only the province.
    assert split_address("广东省朝阳市") == ("广东省", None)
