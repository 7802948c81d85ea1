"""China's provincial-level divisions and prefecture-level cities, and where an address starts.

The data is the official list of full names (民政部 administrative divisions): the 34
provincial-level divisions and the 293 prefecture-level cities (地级市). Municipalities
(北京, 天津, 上海, 重庆) and the two special administrative regions (香港, 澳门) have no
prefecture-level cities and count as their own city. Autonomous prefectures, leagues and
prefectures (自治州, 盟, 地区) are not cities and are not listed; an address in one of them
resolves to its province only when the province is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

PROVINCES: tuple[str, ...] = (
    "北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省",
    "上海市", "江苏省", "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省",
    "湖南省", "广东省", "广西壮族自治区", "海南省", "重庆市", "四川省", "贵州省", "云南省",
    "西藏自治区", "陕西省", "甘肃省", "青海省", "宁夏回族自治区", "新疆维吾尔自治区",
    "香港特别行政区", "澳门特别行政区", "台湾省",
)

#: Provincial-level divisions that are a single city: the four municipalities and the two SARs.
CITY_PROVINCES: frozenset[str] = frozenset(
    {"北京市", "天津市", "上海市", "重庆市", "香港特别行政区", "澳门特别行政区"})

_CITIES_BY_PROVINCE: dict[str, str] = {
    "河北省": "石家庄 唐山 秦皇岛 邯郸 邢台 保定 张家口 承德 沧州 廊坊 衡水",
    "山西省": "太原 大同 阳泉 长治 晋城 朔州 晋中 运城 忻州 临汾 吕梁",
    "内蒙古自治区": "呼和浩特 包头 乌海 赤峰 通辽 鄂尔多斯 呼伦贝尔 巴彦淖尔 乌兰察布",
    "辽宁省": "沈阳 大连 鞍山 抚顺 本溪 丹东 锦州 营口 阜新 辽阳 盘锦 铁岭 朝阳 葫芦岛",
    "吉林省": "长春 吉林 四平 辽源 通化 白山 松原 白城",
    "黑龙江省": "哈尔滨 齐齐哈尔 鸡西 鹤岗 双鸭山 大庆 伊春 佳木斯 七台河 牡丹江 黑河 绥化",
    "江苏省": "南京 无锡 徐州 常州 苏州 南通 连云港 淮安 盐城 扬州 镇江 泰州 宿迁",
    "浙江省": "杭州 宁波 温州 嘉兴 湖州 绍兴 金华 衢州 舟山 台州 丽水",
    "安徽省": "合肥 芜湖 蚌埠 淮南 马鞍山 淮北 铜陵 安庆 黄山 滁州 阜阳 宿州 六安 亳州 池州 宣城",
    "福建省": "福州 厦门 莆田 三明 泉州 漳州 南平 龙岩 宁德",
    "江西省": "南昌 景德镇 萍乡 九江 新余 鹰潭 赣州 吉安 宜春 抚州 上饶",
    "山东省": "济南 青岛 淄博 枣庄 东营 烟台 潍坊 济宁 泰安 威海 日照 临沂 德州 聊城 滨州 菏泽",
    "河南省": "郑州 开封 洛阳 平顶山 安阳 鹤壁 新乡 焦作 濮阳 许昌 漯河 三门峡 南阳 商丘 信阳 "
              "周口 驻马店",
    "湖北省": "武汉 黄石 十堰 宜昌 襄阳 鄂州 荆门 孝感 荆州 黄冈 咸宁 随州",
    "湖南省": "长沙 株洲 湘潭 衡阳 邵阳 岳阳 常德 张家界 益阳 郴州 永州 怀化 娄底",
    "广东省": "广州 韶关 深圳 珠海 汕头 佛山 江门 湛江 茂名 肇庆 惠州 梅州 汕尾 河源 阳江 清远 "
              "东莞 中山 潮州 揭阳 云浮",
    "广西壮族自治区": "南宁 柳州 桂林 梧州 北海 防城港 钦州 贵港 玉林 百色 贺州 河池 来宾 崇左",
    "海南省": "海口 三亚 三沙 儋州",
    "四川省": "成都 自贡 攀枝花 泸州 德阳 绵阳 广元 遂宁 内江 乐山 南充 眉山 宜宾 广安 达州 雅安 "
              "巴中 资阳",
    "贵州省": "贵阳 六盘水 遵义 安顺 毕节 铜仁",
    "云南省": "昆明 曲靖 玉溪 保山 昭通 丽江 普洱 临沧",
    "西藏自治区": "拉萨 日喀则 昌都 林芝 山南 那曲",
    "陕西省": "西安 铜川 宝鸡 咸阳 渭南 延安 汉中 榆林 安康 商洛",
    "甘肃省": "兰州 嘉峪关 金昌 白银 天水 武威 张掖 平凉 酒泉 庆阳 定西 陇南",
    "青海省": "西宁 海东",
    "宁夏回族自治区": "银川 石嘴山 吴忠 固原 中卫",
    "新疆维吾尔自治区": "乌鲁木齐 克拉玛依 吐鲁番 哈密",
}

#: Prefecture-level city full name → province full name; a municipality or SAR maps to itself.
CITIES: dict[str, str] = {
    **{city: city for city in PROVINCES if city in CITY_PROVINCES},
    **{f"{short}市": province for province, shorts in _CITIES_BY_PROVINCE.items()
       for short in shorts.split()},
}

_PROVINCE_SUFFIX = re.compile(r"(?:壮族|回族|维吾尔)?自治区$|特别行政区$|[省市]$")


def _short_name(full_name: str) -> str:
    return _PROVINCE_SUFFIX.sub("", full_name)


#: Short name → full name, for provinces (广东 → 广东省, 内蒙古 → 内蒙古自治区) and cities
#: (深圳 → 深圳市). 吉林 is both a province and a city; the short name means the province, as it
#: does in everyday use, and the city is written 吉林市.
SHORT_NAMES: dict[str, str] = {
    **{_short_name(city): city for city in CITIES},
    **{_short_name(province): province for province in PROVINCES},
}

# Leading words that name the country, not a place within it.
_COUNTRY_NAMES = ("中华人民共和国", "中国")
# After a short name, one of these means the name belongs to a smaller unit or a street
# ("朝阳区", "南京路", "吉林市" read as the city, not the province).
_NOT_AFTER_SHORT_NAME = frozenset("市区县州盟旗镇乡村路街道巷里")

_Lookup = dict[str, list[tuple[str, str]]]


def _lookup(full_names: Iterable[str]) -> _Lookup:
    """Full and short names by their first two characters, longest first: (written, full)."""
    by_start: _Lookup = {}
    for full in full_names:
        for written in {full, _short_name(full)}:
            by_start.setdefault(written[:2], []).append((written, full))
    for candidates in by_start.values():
        candidates.sort(key=lambda candidate: len(candidate[0]), reverse=True)
    return by_start


# Every name has at least two characters, so two characters pick the few candidates to try;
# this keeps split_address fast enough to generalize a million addresses.
_PROVINCE_LOOKUP = _lookup(PROVINCES)
_CITY_LOOKUP = _lookup(CITIES)


def _match(text: str, lookup: _Lookup,
           then: _Lookup | None = None) -> tuple[str, int] | None:
    """The full name of the place that starts ``text``, and how many characters it took.

    A short name followed by a character that would make it part of a longer name (江苏镇 …) is
    no match, unless what follows is itself a place of ``then`` (江苏镇江: Zhenjiang).
    """
    for written, full in lookup.get(text[:2], ()):
        if text.startswith(written):
            after = text[len(written):]
            if written != full and after[:1] in _NOT_AFTER_SHORT_NAME and not (
                    then is not None and _match(after, then) is not None):
                continue
            return full, len(written)
    return None


def split_address(text: str) -> tuple[str | None, str | None]:
    """The full province and city names at the start of an address, each ``None`` if absent.

    Full names (广东省深圳市) and short ones (广东深圳) are both understood, a leading 中国 is
    skipped, and a city alone implies its province: ``"深圳市南山区…"`` → ``("广东省",
    "深圳市")``. A municipality or SAR is its own city: ``"北京市朝阳区…"`` → ``("北京市",
    "北京市")``. A city that does not belong to the written province is not reported, so a
    typo cannot move an address to another province; text that does not start with a place gives
    ``(None, None)``.
    """
    rest = text.strip()
    for country in _COUNTRY_NAMES:
        if rest.startswith(country):
            rest = rest[len(country):].lstrip()
            break
    province_match = _match(rest, _PROVINCE_LOOKUP, then=_CITY_LOOKUP)
    if province_match is not None:
        province = province_match[0]
        if province in CITY_PROVINCES:
            return province, province
        city_match = _match(rest[province_match[1]:].lstrip(), _CITY_LOOKUP)
        if city_match is not None and CITIES[city_match[0]] == province:
            return province, city_match[0]
        return province, None
    city_match = _match(rest, _CITY_LOOKUP)
    if city_match is not None:
        return CITIES[city_match[0]], city_match[0]
    return None, None
