"""A labelled corpus of synthetic values, to measure the detectors against.

Valid values come from :mod:`.synthetic`. Near misses are what a detector must turn away: wrong
check digits, one digit too few or too many, impossible or future birth dates, phone-like
numbers, random digit runs, plates with I or O... :data:`NEAR_MISSES` names each category, so a
benchmark can say where errors come from. A random digit run is labelled ``None`` even in the
rare case it passes every check: that is the honest count of how often chance produces a
real-format identifier. The same seed always gives the same corpus; labelled columns are in
:mod:`.corpus_columns`.
"""

from __future__ import annotations

import datetime
import ipaddress
import random
import string
from typing import NamedTuple

from datamarket_sdk import synthetic

from datamarket_governance_tools.detectors import KINDS, PLATE_PROVINCES, Kind
from datamarket_governance_tools.regions import CITIES
from datamarket_governance_tools.synthetic import (
    AREA_CODES,
    CARD_PREFIXES,
    CITY_NAMES,
    DISTRICTS,
    DIVISIONS,
    EMAIL_DOMAINS,
    GIVEN_NAME_CHARACTERS,
    MOBILE_PREFIXES,
    PLATE_LETTERS,
    ROADS,
    SURNAMES,
    SYLLABLES,
    USCC_ALPHABET,
    VALID,
    Maker,
    bank_card,
    credit_code,
    day_between,
    digits,
    email,
    ipv4,
    ipv6,
    local_number,
    luhn_number,
    person_name,
    place,
    resident_id,
    with_id_check_digit,
    written_date,
)


def _other(rng: random.Random, current: str, alphabet: str) -> str:
    return rng.choice([character for character in alphabet if character != current])


def _replace(rng: random.Random, text: str, positions: range, alphabet: str) -> str:
    position = rng.choice(positions)
    return text[:position] + _other(rng, text[position], alphabet) + text[position + 1:]


def _in_the_future(rng: random.Random) -> datetime.date:
    return day_between(rng, datetime.date.today() + datetime.timedelta(days=1),
                       datetime.date(2099, 12, 31))


def _before_1900(rng: random.Random) -> datetime.date:
    return day_between(rng, datetime.date(1800, 1, 1), datetime.date(1899, 12, 31))


def _impossible_birth_id(rng: random.Random) -> str:
    year = rng.randrange(1930, 2010)
    month, day = rng.choice(((2, 30), (2, 31), (4, 31), (13, 1), (0, 10), (6, 0), (19, 12)))
    return with_id_check_digit(f"{rng.choice(DIVISIONS)}{year}{month:02d}{day:02d}"
                               f"{rng.randrange(1000):03d}")


def _credit_code_with_broken_organisation_code(rng: random.Random) -> str:
    code = _replace(rng, credit_code(rng), range(16, 17), "0123456789X")
    # The final check character is recomputed, so only the organisation code's check fails.
    return synthetic.credit_code(code[:2], code[2:8], code[8:17])


def _card_with_one_digit_changed(rng: random.Random) -> str:
    number = bank_card(rng).replace(" ", "")
    return _replace(rng, number, range(len(number) - 1), string.digits)


def _plate_tail(rng: random.Random, length: int) -> str:
    return rng.choice(PLATE_PROVINCES) + rng.choice(PLATE_LETTERS) + digits(rng, length)


_NOT_SURNAMES = ("你好", "我们", "这个", "什么", "今天", "大家", "公司", "产品", "服务", "数据",
                 "经理", "客户", "未知", "不详", "其他", "男", "女")
#: Everyday words that start with a surname character: a name detector cannot tell them apart.
WORDS_STARTING_WITH_A_SURNAME = ("高中", "高考", "黄金", "金融", "文化", "方向", "林业", "石油",
                                 "马路", "钱包", "白天", "江南", "程序", "安全", "常规", "高速",
                                 "周末", "田野", "董事", "余额", "任务", "黄色", "夏天", "方法")

NEAR_MISSES: dict[Kind, tuple[tuple[str, Maker], ...]] = {
    "resident_id": (
        ("wrong check digit", lambda r: _replace(r, resident_id(r), range(17, 18), "0123456789X")),
        ("17 digits", lambda r: resident_id(r)[:-1]),
        ("19 digits", lambda r: resident_id(r) + digits(r, 1)),
        ("birth date in the future", lambda r: resident_id(r, _in_the_future(r))),
        ("born before 1900", lambda r: resident_id(r, _before_1900(r))),
        ("impossible birth date", _impossible_birth_id),
        ("unknown division code",
         lambda r: with_id_check_digit(f"99{digits(r, 4)}19900307{r.randrange(1000):03d}")),
        ("random 18 digits", lambda r: digits(r, 18, first="123456789")),
    ),
    "uscc": (
        ("wrong check character", lambda r: _replace(r, credit_code(r), range(17, 18),
                                                     USCC_ALPHABET)),
        ("broken organisation code", _credit_code_with_broken_organisation_code),
        ("letters the code never uses",
         lambda r: _replace(r, credit_code(r), range(8, 16), "IOSVZ")),
        ("17 characters", lambda r: credit_code(r)[:-1]),
        ("19 characters", lambda r: credit_code(r) + digits(r, 1)),
        ("random 18 characters", lambda r: digits(r, 8) + "".join(
            r.choice(string.ascii_uppercase + string.digits) for _ in range(10))),
    ),
    "bank_card": (
        ("one digit changed", _card_with_one_digit_changed),
        ("15 digits", lambda r: luhn_number(r, r.choice(CARD_PREFIXES), 15)),
        ("20 digits", lambda r: luhn_number(r, r.choice(CARD_PREFIXES), 20)),
        ("no card issuer starts so",
         lambda r: luhn_number(r, r.choice("1789"), r.choice((16, 19)))),
        ("random 16 to 19 digits", lambda r: digits(r, r.randrange(16, 20))),
    ),
    "mobile": (
        ("10 digits", lambda r: r.choice(MOBILE_PREFIXES) + digits(r, 7)),
        ("12 digits", lambda r: r.choice(MOBILE_PREFIXES) + digits(r, 9)),
        ("starts with 10, 11 or 12", lambda r: r.choice(("10", "11", "12")) + digits(r, 9)),
        ("random 11 digits", lambda r: digits(r, 11, first="23456789")),
        ("0 and 10 digits", lambda r: "0" + digits(r, 10)),
    ),
    "landline": (
        ("no area code", lambda r: local_number(r, 8)),
        ("local number starting with 0", lambda r: f"{r.choice(AREA_CODES)}-0{digits(r, 7)}"),
        ("local number too short", lambda r: f"{r.choice(AREA_CODES)}-{local_number(r, 6)}"),
        ("local number too long", lambda r: f"{r.choice(AREA_CODES)}-{local_number(r, 9)}"),
        ("area code without its 0", lambda r: f"{r.choice(AREA_CODES)[1:]}-{local_number(r, 8)}"),
        ("no separator", lambda r: r.choice(AREA_CODES) + local_number(r, 8)),
    ),
    "email": (
        ("no @", lambda r: email(r).replace("@", "")),
        ("two @", lambda r: email(r).replace("@", "@x@")),
        ("no dot in the domain", lambda r: email(r).split("@")[0] + "@localhost"),
        ("space inside", lambda r: email(r).replace("@", " @")),
        ("empty part", lambda r: "zhang..wei@" + r.choice(EMAIL_DOMAINS)),
        ("no mailbox", lambda r: "@" + r.choice(EMAIL_DOMAINS)),
        ("digit in the top-level domain", lambda r: email(r) + "1"),
    ),
    "ipv4": (
        ("five parts", lambda r: ipv4(r) + f".{r.randrange(256)}"),
        ("octet of 256 or more",
         lambda r: ipv4(r).rsplit(".", 1)[0] + f".{r.randrange(256, 1000)}"),
        ("three parts", lambda r: ipv4(r).rsplit(".", 1)[0]),
        ("leading zero", lambda r: ipv4(r).rsplit(".", 1)[0] + f".0{r.randrange(1, 100)}"),
        ("with a port", lambda r: f"{ipv4(r)}:{r.randrange(1, 65536)}"),
    ),
    "ipv6": (
        ("nine groups", lambda r: ipaddress.IPv6Address(ipv6(r)).exploded + ":1"),
        ("non-hexadecimal digit", lambda r: ipaddress.IPv6Address(ipv6(r)).exploded[:-1] + "g"),
        ("two ::", lambda r: f"{r.randrange(0x10000):x}::{r.randrange(0x10000):x}::1"),
        ("time of day", lambda r: f"{r.randrange(24):02d}:{r.randrange(60):02d}:"
                                  f"{r.randrange(60):02d}"),
        ("MAC address", lambda r: ":".join(f"{r.randrange(256):02x}" for _ in range(6))),
    ),
    "vehicle_plate": (
        ("I or O", lambda r: _plate_tail(r, 4) + r.choice("IO")),
        ("unknown province", lambda r: r.choice("中国东南西北") + _plate_tail(r, 5)[1:]),
        ("digit for the city letter", lambda r: r.choice(PLATE_PROVINCES) + digits(r, 6)),
        ("four characters", lambda r: _plate_tail(r, 4)),
        ("seven characters", lambda r: _plate_tail(r, 7)),
        ("six without D or F", lambda r: _plate_tail(r, 0)[:2] + "X" + digits(r, 5)),
    ),
    "passport": (
        ("E and 7 digits", lambda r: "E" + digits(r, 7)),
        ("E and 9 digits", lambda r: "E" + digits(r, 9)),
        ("another series letter", lambda r: r.choice("ABCDFHKMPSTW") + digits(r, 8)),
        ("I or O after E", lambda r: "E" + r.choice("IO") + digits(r, 7)),
        ("G and a letter", lambda r: "G" + r.choice(PLATE_LETTERS) + digits(r, 7)),
    ),
    "date_of_birth": (
        ("in the future", lambda r: written_date(_in_the_future(r), r)),
        ("before 1900", lambda r: written_date(_before_1900(r), r)),
        ("impossible date", lambda r: f"{r.randrange(1930, 2010)}-"
                                      f"{r.choice(('02-30', '02-31', '04-31', '13-01', '00-10'))}"),
        ("seven digits", lambda r: f"{r.randrange(1930, 2010)}{digits(r, 3)}"),
        ("mixed separators", lambda r: f"{r.randrange(1930, 2010)}-0{r.randrange(1, 10)}/1"
                                       f"{r.randrange(10)}"),
    ),
    "person_name": (
        ("one character", lambda r: r.choice(SURNAMES)),
        ("five or more characters", lambda r: r.choice(SURNAMES) + "".join(
            r.choice(GIVEN_NAME_CHARACTERS) for _ in range(r.randrange(4, 7)))),
        ("no common surname", lambda r: r.choice(_NOT_SURNAMES)),
        ("Latin letters", lambda r: f"{r.choice(SYLLABLES)} {r.choice(SYLLABLES)}".title()),
        ("masked", lambda r: r.choice(SURNAMES) + r.choice(("*", "**", "＊"))),
        ("digits", lambda r: person_name(r) + str(r.randrange(10))),
        ("word starting with a surname", lambda r: r.choice(WORDS_STARTING_WITH_A_SURNAME)),
    ),
    "address": (
        ("province only", lambda r: CITIES[r.choice(CITY_NAMES)]),
        ("city only", lambda r: r.choice(CITY_NAMES)),
        ("province and city only", lambda r: place(r, short_names=False)),
        ("no place at the start", lambda r: f"{r.choice(ROADS)}{r.randrange(1, 300)}号"),
        ("organisation", lambda r: place(r) + r.choice(DISTRICTS[:5])
                                   + r.choice(("人民法院", "科技有限公司", "第一人民医院"))),
        ("masked", lambda r: place(r) + r.choice(DISTRICTS) + "****"),
    ),
}


# ---------------------------------------------------------------------------- labelled values


class LabelledValue(NamedTuple):
    """A corpus value, the kind it is (``None`` for a near miss) and where it came from."""

    value: str
    kind: Kind | None
    source: str


def generate_values(kind: Kind, n: int, rng: random.Random) -> list[str]:
    """``n`` valid values of ``kind``."""
    return [VALID[kind](rng) for _ in range(n)]


def _near_misses(kind: Kind, n: int, rng: random.Random) -> list[tuple[str, str]]:
    categories = NEAR_MISSES[kind]
    return [(category, maker(rng))
            for category, maker in (categories[i % len(categories)] for i in range(n))]


def generate_near_misses(kind: Kind, n: int, rng: random.Random) -> list[str]:
    """``n`` values that resemble ``kind`` but are not valid ones, taking the categories of
    :data:`NEAR_MISSES` in turn."""
    return [value for _category, value in _near_misses(kind, n, rng)]


def described_values(n_per_kind: int, seed: int) -> list[LabelledValue]:
    """For every kind, ``n_per_kind`` valid values and as many near misses, with their source:
    ``"valid"`` or ``"<kind> near miss: <category>"``."""
    rng = random.Random(seed)
    corpus: list[LabelledValue] = []
    for kind in KINDS:
        corpus += [LabelledValue(value, kind, "valid")
                   for value in generate_values(kind, n_per_kind, rng)]
        corpus += [LabelledValue(value, None, f"{kind} near miss: {category}")
                   for category, value in _near_misses(kind, n_per_kind, rng)]
    return corpus


def labelled_values(n_per_kind: int, seed: int) -> list[tuple[str, Kind | None]]:
    """:func:`described_values` as ``(value, kind or None)`` pairs."""
    return [(item.value, item.kind) for item in described_values(n_per_kind, seed)]
