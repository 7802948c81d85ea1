"""Synthetic but valid Chinese identifiers and names for demo data.

Every value is made up, yet passes the checks a real system applies: resident identity numbers
(居民身份证号码) and unified social credit codes (统一社会信用代码) carry correct check digits and
real administrative division codes, bank card numbers pass Luhn. No value belongs to a real person
or company except by coincidence.

Each function takes the ``random.Random`` to draw from, so a seed fixes the output; nothing here
touches a database or global random state.
"""

from __future__ import annotations

import datetime
import random
from typing import NamedTuple

from datamarket_sdk import synthetic as valid_identifiers


class Division(NamedTuple):
    """A real county-level administrative division (区/县), by its GB/T 2260 code."""

    code: str
    province: str
    city: str
    district: str
    #: First birth year for which python-stdnum's division table lists this code under this name
    #: (None: every year it knows). ``stdnum.cn.ric.validate`` refuses an identity number whose
    #: division did not exist in the holder's birth year.
    listed_since: int | None


DIVISIONS: tuple[Division, ...] = (
    Division("110101", "北京市", "北京市", "东城区", None),
    Division("110102", "北京市", "北京市", "西城区", None),
    Division("110105", "北京市", "北京市", "朝阳区", None),
    Division("110106", "北京市", "北京市", "丰台区", None),
    Division("110108", "北京市", "北京市", "海淀区", None),
    Division("120101", "天津市", "天津市", "和平区", None),
    Division("120103", "天津市", "天津市", "河西区", None),
    Division("120104", "天津市", "天津市", "南开区", None),
    Division("310101", "上海市", "上海市", "黄浦区", None),
    Division("310104", "上海市", "上海市", "徐汇区", None),
    Division("310105", "上海市", "上海市", "长宁区", None),
    Division("310106", "上海市", "上海市", "静安区", None),
    Division("310109", "上海市", "上海市", "虹口区", None),
    Division("310110", "上海市", "上海市", "杨浦区", None),
    Division("130102", "河北省", "石家庄市", "长安区", 1983),
    Division("130104", "河北省", "石家庄市", "桥西区", 1983),
    Division("140105", "山西省", "太原市", "小店区", 1997),
    Division("140121", "山西省", "太原市", "清徐县", None),
    Division("150102", "内蒙古自治区", "呼和浩特市", "新城区", 1983),
    Division("150121", "内蒙古自治区", "呼和浩特市", "土默特左旗", None),
    Division("210102", "辽宁省", "沈阳市", "和平区", 1983),
    Division("210202", "辽宁省", "大连市", "中山区", 1983),
    Division("220102", "吉林省", "长春市", "南关区", 1983),
    Division("230102", "黑龙江省", "哈尔滨市", "道里区", 1983),
    Division("320102", "江苏省", "南京市", "玄武区", 1983),
    Division("320106", "江苏省", "南京市", "鼓楼区", 1983),
    Division("330106", "浙江省", "杭州市", "西湖区", 1983),
    Division("330122", "浙江省", "杭州市", "桐庐县", None),
    Division("330203", "浙江省", "宁波市", "海曙区", 1983),
    Division("340121", "安徽省", "合肥市", "长丰县", None),
    Division("350102", "福建省", "福州市", "鼓楼区", 1983),
    Division("350121", "福建省", "福州市", "闽侯县", None),
    Division("350203", "福建省", "厦门市", "思明区", 1983),
    Division("360102", "江西省", "南昌市", "东湖区", 1983),
    Division("360121", "江西省", "南昌市", "南昌县", None),
    Division("370102", "山东省", "济南市", "历下区", 1983),
    Division("370202", "山东省", "青岛市", "市南区", 1983),
    Division("410105", "河南省", "郑州市", "金水区", 1983),
    Division("420102", "湖北省", "武汉市", "江岸区", 1983),
    Division("420106", "湖北省", "武汉市", "武昌区", 1983),
    Division("430104", "湖南省", "长沙市", "岳麓区", 1996),
    Division("430121", "湖南省", "长沙市", "长沙县", None),
    Division("440103", "广东省", "广州市", "荔湾区", 1983),
    Division("440104", "广东省", "广州市", "越秀区", 1983),
    Division("440106", "广东省", "广州市", "天河区", 1985),
    Division("440303", "广东省", "深圳市", "罗湖区", 1990),
    Division("440304", "广东省", "深圳市", "福田区", 1990),
    Division("440305", "广东省", "深圳市", "南山区", 1990),
    Division("450103", "广西壮族自治区", "南宁市", "青秀区", 2004),
    Division("460106", "海南省", "海口市", "龙华区", 2002),
    Division("500103", "重庆市", "重庆市", "渝中区", 1997),
    Division("500106", "重庆市", "重庆市", "沙坪坝区", 1997),
    Division("510104", "四川省", "成都市", "锦江区", 1990),
    Division("510107", "四川省", "成都市", "武侯区", 1990),
    Division("510121", "四川省", "成都市", "金堂县", None),
    Division("520102", "贵州省", "贵阳市", "南明区", 1983),
    Division("530102", "云南省", "昆明市", "五华区", 1983),
    Division("530124", "云南省", "昆明市", "富民县", None),
    Division("540102", "西藏自治区", "拉萨市", "城关区", 1983),
    Division("610103", "陕西省", "西安市", "碑林区", 1983),
    Division("610113", "陕西省", "西安市", "雁塔区", 1983),
    Division("620102", "甘肃省", "兰州市", "城关区", 1983),
    Division("620123", "甘肃省", "兰州市", "榆中县", None),
    Division("630102", "青海省", "西宁市", "城东区", 1983),
    Division("640104", "宁夏回族自治区", "银川市", "兴庆区", 2002),
    Division("640121", "宁夏回族自治区", "银川市", "永宁县", None),
    Division("650102", "新疆维吾尔自治区", "乌鲁木齐市", "天山区", 1983),
)

# Mainland mobile number segments (号段) assigned to China Mobile, China Unicom, China Telecom
# and China Broadnet.
MOBILE_PREFIXES: tuple[str, ...] = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
    "145", "147", "150", "151", "152", "153", "155", "156", "157", "158", "159",
    "166", "173", "175", "176", "177", "178",
    "180", "181", "182", "183", "184", "185", "186", "187", "188", "189",
    "190", "191", "192", "193", "195", "196", "197", "198", "199",
)  # fmt: skip

# The one-character abbreviations (简称) that open a licence plate, one per provincial division.
PLATE_PROVINCES = "京津沪渝冀晋蒙辽吉黑苏浙皖闽赣鲁豫鄂湘粤桂琼川贵云藏陕甘青宁新"
# Plates never use I or O, which read as 1 and 0.
_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
# Every province issues plates for the city letters A to E.
_PLATE_CITY_LETTERS = "ABCDE"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方")
GIVEN_NAME_CHARACTERS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华慧巧美霞平刚桂兰玉萍红娥玲芬燕彩春菊凤洁梅琳素云"
    "莲真环雪荣爱妹香月莺媛瑞凡佳嘉琼勤珍贞莉宁欣飘育滢馥筠柔竹霭凝晓欢枫芸菲寒伊亚宜可姣婉娴"
    "瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希"
    "浩宇轩然子涵博文俊晨辰睿泽思源一诺志鹏宏昊天翔嘉豪建国家明永新海斌鑫"
)

_COMPANY_BRANDS = (
    "云澜", "星河", "恒信", "华瑞", "中联", "金桥", "启明", "远航", "汇通", "诚达",
    "锦程", "瑞丰", "长风", "新元", "安泰", "博远", "睿智", "鼎盛", "和信", "天衡",
)  # fmt: skip
_COMPANY_TRADES = (
    "数据科技", "信息技术", "网络科技", "智能科技", "征信服务", "物流", "商贸",
    "医药", "医疗科技", "建设工程", "融资租赁", "保险代理", "软件", "环保科技",
)  # fmt: skip
_COMPANY_FORMS = ("有限公司", "有限公司", "有限公司", "股份有限公司")

_STREETS = (
    "人民路", "中山路", "解放路", "建设路", "和平路", "胜利路", "文化路", "新华路", "长江路",
    "黄河路", "朝阳路", "东风路", "青年路", "光明路", "友谊路", "民主路", "学府路", "科技路",
    "滨江路", "府前街", "南京路", "北京路", "振兴大道", "世纪大道",
)  # fmt: skip

# Leading pairs of a unified social credit code: registering authority and entity type
# (91 enterprise, 92 individual business, 93 farmers' cooperative, 12 public institution,
# 51 social organisation, 52 private non-enterprise unit, 53 foundation).
_USCC_KINDS = ("91", "91", "91", "91", "92", "93", "12", "51", "52", "53")
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _divisions_in(region: str | None) -> list[Division]:
    if region is not None and not (region.isdigit() and 2 <= len(region) <= 6):
        raise ValueError(
            f"region must be the first 2 to 6 digits of a division code, like '44', got {region!r}."
        )
    return [d for d in DIVISIONS if d.code.startswith(region or "")]


def resident_id(
    rng: random.Random,
    birth_year_range: tuple[int, int] = (1950, 2004),
    region: str | None = None,
) -> str:
    """Return an 18-character resident identity number that passes ``stdnum.cn.ric.validate``.

    The number is a real administrative division code, a birth date within ``birth_year_range``
    (both years included), a 3-digit sequence number and the ISO 7064 MOD 11-2 check character.

    :param region: restrict the division to codes starting with these digits (``"44"``
        Guangdong, ``"4403"`` Shenzhen); ``None`` for any embedded division.
    :raises ValueError: if the year range is reversed, or no embedded division matches ``region``
        and existed in the range.
    """
    first_year, last_year = birth_year_range
    if first_year > last_year:
        raise ValueError(f"birth_year_range {birth_year_range} must run from earlier to later.")
    candidates = [
        d for d in _divisions_in(region) if d.listed_since is None or d.listed_since <= last_year
    ]
    if not candidates:
        raise ValueError(
            f"No embedded administrative division matches region {region!r} "
            f"for births in {first_year}–{last_year}."
        )
    division = rng.choice(candidates)
    # Born no earlier than the division existed, or the number is not valid.
    earliest = datetime.date(max(first_year, division.listed_since or first_year), 1, 1)
    latest = datetime.date(last_year, 12, 31)
    birth = datetime.date.fromordinal(rng.randint(earliest.toordinal(), latest.toordinal()))
    return valid_identifiers.resident_id(division.code, birth, rng.randint(1, 999))


def organisation_code(rng: random.Random) -> str:
    """Return a 9-character GB 11714 organisation code, the middle of a credit code."""
    if rng.random() < 0.3:
        # Codes issued since the 2015 reform start with "MA".
        body = "MA" + "".join(rng.choice(_USCC_ALPHABET) for _ in range(6))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    return valid_identifiers.organisation_code(body)


def unified_social_credit_code(rng: random.Random, kind: str | None = None,
                               region: str = "") -> str:
    """Return an 18-character unified social credit code that passes ``stdnum.cn.uscc.validate``.

    Authority and entity type, a real division code, an organisation code with its own GB 11714
    check character, and the GB 32100 check character.

    :param kind: the authority and entity type (``"91"`` enterprise, ``"12"`` public
        institution); ``None`` picks one, mostly enterprises.
    :param region: the first digits of the division code (``"4403"`` Shenzhen).
    """
    kind = kind or rng.choice(_USCC_KINDS)
    division = rng.choice(_divisions_in(region) if region else DIVISIONS)
    return valid_identifiers.credit_code(kind, division.code, organisation_code(rng))


def bank_card(rng: random.Random, prefix: str = "622848", length: int | None = None) -> str:
    """Return a bank card number starting with ``prefix`` that passes ``stdnum.luhn.validate``.

    :param prefix: the issuer identification number; the default is Agricultural Bank of China.
    :param length: total digits, 16 to 19; ``None`` picks 16 or 19, the common lengths.
    """
    if length is None:
        length = rng.choice((16, 19))
    if not 16 <= length <= 19:
        raise ValueError(f"A bank card has 16 to 19 digits, not {length}.")
    if not prefix.isdigit() or len(prefix) >= length:
        raise ValueError(f"prefix {prefix!r} must be digits, shorter than the card ({length}).")
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return valid_identifiers.card_number(body)


def mobile(rng: random.Random) -> str:
    """Return an 11-digit mainland mobile number on a real operator segment."""
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"


def person_name(rng: random.Random) -> str:
    """Return a Chinese full name: a common surname and a one- or two-character given name."""
    surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.02 else rng.choice(SURNAMES)
    given_length = 1 if rng.random() < 0.3 else 2
    return surname + "".join(rng.choice(GIVEN_NAME_CHARACTERS) for _ in range(given_length))


def company_name(rng: random.Random, city: str | None = None) -> str:
    """Return a company name such as ``杭州云澜数据科技有限公司``.

    :param city: the city the name starts with (``"杭州"`` or ``"杭州市"``); ``None`` picks one.
    """
    if city is None:
        city = rng.choice(DIVISIONS).city
    city = city.removesuffix("市")
    return (
        city
        + rng.choice(_COMPANY_BRANDS)
        + rng.choice(_COMPANY_TRADES)
        + rng.choice(_COMPANY_FORMS)
    )


def plate(rng: random.Random) -> str:
    """Return an ordinary licence plate such as ``京A12345``: province, city letter, 5 characters.

    The five serial characters hold at most two letters, as ordinary plates do.
    """
    serial = [rng.choice("0123456789") for _ in range(5)]
    for position in rng.sample(range(5), rng.choice((0, 0, 1, 2))):
        serial[position] = rng.choice(_PLATE_LETTERS)
    return rng.choice(PLATE_PROVINCES) + rng.choice(_PLATE_CITY_LETTERS) + "".join(serial)


def address(rng: random.Random) -> str:
    """Return a street address: province, city, district, street and number.

    Municipalities (北京市, 上海市...) are named once, as Chinese addresses write them.
    """
    division = rng.choice(DIVISIONS)
    city = "" if division.city == division.province else division.city
    street = rng.choice(_STREETS)
    return f"{division.province}{city}{division.district}{street}{rng.randint(1, 999)}号"
