"""Synthetic values of every kind the detectors know, valid by construction.

Everything comes from the :class:`random.Random` passed in, so a seeded generator gives the same
values. No value is real personal data, but every value is valid: resident ID numbers, credit
codes and card numbers get their check characters from :mod:`datamarket_sdk.synthetic`, written
apart from the validators so that a misread standard cannot agree with itself (the organisation
code inside a credit code gets its GB 11714 one too), dates exist, names start with real
surnames, addresses with real provinces and cities, e-mail addresses use example domains.
:mod:`.corpus` builds the labelled corpus, near misses included, from these.
"""

from __future__ import annotations

import datetime
import ipaddress
import random
import string
from collections.abc import Callable

from datamarket_sdk import synthetic

from datamarket_governance_tools.detectors import PLATE_PROVINCES, Kind
from datamarket_governance_tools.regions import CITIES, CITY_PROVINCES, SHORT_NAMES
from datamarket_governance_tools.surnames import COMPOUND_SURNAMES, SINGLE_SURNAMES

Maker = Callable[[random.Random], str]

#: Division codes (县级行政区划代码) that resident ID numbers and credit codes are issued under.
DIVISIONS = (
    "110101 110105 110108 120101 120104 130102 130104 140105 150102 210102 210202 220102 "
    "230102 310101 310104 310115 320102 320106 320505 330102 330106 340102 350102 350203 "
    "360102 370102 370202 410105 420106 430102 440103 440106 440305 450102 460105 500103 "
    "510104 520102 530102 540102 610102 620102 630102 640104 650102").split()
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_ENTITIES = ("91", "92", "93", "11", "12", "51", "52", "53", "Y1")
#: Issuer identification numbers of cards issued in China, and the lengths they issue.
_CARD_ISSUERS = {"622848": (16, 19), "621700": (16, 19), "622202": (16, 19),
                 "622588": (16, 19), "621483": (16, 19), "625965": (16, 19), "601382": (19,),
                 "436742": (16,), "404117": (16,), "518710": (16,), "524374": (16,),
                 "356833": (16,)}
CARD_PREFIXES = tuple(_CARD_ISSUERS)
#: The first three digits of mainland mobile numbers in use.
MOBILE_PREFIXES = tuple(f"1{n}" for n in (30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 45, 47, 50,
                                          51, 52, 53, 55, 56, 57, 58, 59, 66, 73, 75, 76, 77,
                                          78, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 91, 98, 99))
AREA_CODES = ("010", "020", "021", "022", "023", "024", "025", "027", "028", "029", "0755",
              "0571", "0512", "0731", "0532", "0591", "0371", "0311")
SYLLABLES = ("zhang", "wang", "li", "liu", "chen", "yang", "zhao", "wei", "fang", "na", "min",
             "jing", "lei", "qiang", "jun", "yan", "tao", "ming", "hua", "hui", "xin", "yu")
#: Reserved example domains, so no generated address can be someone's.
EMAIL_DOMAINS = ("example.com", "example.cn", "example.org", "mail.example.net",
                 "example.com.cn")
#: Letters plates and passports use: never I or O.
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
GIVEN_NAME_CHARACTERS = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华慧建国平刚桂兰玉梅志红霞文辉鹏"
                         "飞宇浩然晨轩欣怡佳琪思雨涵俊博天")
SURNAMES = tuple(sorted(SINGLE_SURNAMES))
_COMPOUNDS = tuple(sorted(COMPOUND_SURNAMES))
#: Every prefecture-level city and municipality, sorted so that seeded choices repeat.
CITY_NAMES = tuple(sorted(CITIES))
_SHORT_NAMES = {full: short for short, full in SHORT_NAMES.items()}
DISTRICTS = ("中山区", "新城区", "城东区", "高新区", "经济开发区", "城关镇", "东湖街道")
ROADS = ("人民路", "建设路", "解放路", "中山路", "和平街", "文化路", "友谊大道", "新华巷")
_EARLIEST_BIRTH, _LATEST_BIRTH = datetime.date(1930, 1, 1), datetime.date(2010, 12, 31)


def digits(rng: random.Random, count: int, first: str = string.digits) -> str:
    """``count`` random digits, the first one taken from ``first``."""
    return rng.choice(first) + "".join(rng.choice(string.digits) for _ in range(count - 1))


def day_between(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    """A random day from ``start`` to ``end``, both included."""
    return start + datetime.timedelta(days=rng.randrange((end - start).days + 1))


def with_id_check_digit(body: str) -> str:
    """The 17 digits ``body`` followed by their resident ID check character."""
    return synthetic.complete_resident_id(body)


def local_number(rng: random.Random, length: int) -> str:
    """A local telephone number's digits (never starting with 0 or 1)."""
    return digits(rng, length, first="2345678")


# ---------------------------------------------------------------------------- valid values


def resident_id(rng: random.Random, born: datetime.date | None = None) -> str:
    """A valid resident ID number of someone born on ``born`` (by default 1930–2010)."""
    born = born or day_between(rng, _EARLIEST_BIRTH, _LATEST_BIRTH)
    return with_id_check_digit(f"{rng.choice(DIVISIONS)}{born:%Y%m%d}{rng.randrange(1000):03d}")


def _organisation_code(rng: random.Random) -> str:
    # Codes issued since the 2015 reform start with MA; older ones are digits.
    if rng.random() < 0.3:
        body = "MA" + "".join(rng.choice(USCC_ALPHABET) for _ in range(6))
    else:
        body = digits(rng, 8)
    return synthetic.organisation_code(body)


def credit_code(rng: random.Random) -> str:
    """A valid unified social credit code, its organisation code checked too."""
    return synthetic.credit_code(rng.choice(_USCC_ENTITIES), rng.choice(DIVISIONS),
                                 _organisation_code(rng))


def luhn_number(rng: random.Random, prefix: str, length: int) -> str:
    """A ``length``-digit number starting with ``prefix`` whose last digit makes Luhn pass."""
    return synthetic.card_number(prefix + digits(rng, length - len(prefix) - 1))


def bank_card(rng: random.Random) -> str:
    """A Luhn-valid card number of a real issuer and length, sometimes in groups of four."""
    issuer = rng.choice(CARD_PREFIXES)
    number = luhn_number(rng, issuer, rng.choice(_CARD_ISSUERS[issuer]))
    if rng.random() < 0.2:
        return " ".join(number[start:start + 4] for start in range(0, len(number), 4))
    return number


def mobile(rng: random.Random) -> str:
    """A mainland mobile number, plain or with +86 or separators."""
    number = rng.choice(MOBILE_PREFIXES) + digits(rng, 8)
    return rng.choice((number, number, number, f"+86 {number}",
                       f"{number[:3]} {number[3:7]} {number[7:]}",
                       f"{number[:3]}-{number[3:7]}-{number[7:]}"))


def landline(rng: random.Random) -> str:
    """A landline number with its area code, in one of the common spellings."""
    area = rng.choice(AREA_CODES)
    local = local_number(rng, 8 if len(area) == 3 else rng.choice((7, 8)))
    return rng.choice((f"{area}-{local}", f"({area}){local[:-4]} {local[-4:]}",
                       f"{area} {local}", f"（{area}）{local}"))


def email(rng: random.Random) -> str:
    """An address at an example domain."""
    mailbox = rng.choice(SYLLABLES) + rng.choice(("", ".", "_")) + rng.choice(SYLLABLES)
    if rng.random() < 0.5:
        mailbox += str(rng.randrange(1, 1000))
    return f"{mailbox}@{rng.choice(EMAIL_DOMAINS)}"


def ipv4(rng: random.Random) -> str:
    """A dotted-decimal IPv4 address."""
    return ".".join(str(rng.randrange(1 if i == 0 else 0, 256)) for i in range(4))


def ipv6(rng: random.Random) -> str:
    """An IPv6 address, often with a run of zero groups written as ``::``."""
    groups = [rng.randrange(0x10000) for _ in range(8)]
    if rng.random() < 0.6:
        start = rng.randrange(1, 6)
        for position in range(start, start + rng.randrange(2, 4)):
            groups[position] = 0
    address = ipaddress.IPv6Address(":".join(f"{group:x}" for group in groups))
    return str(address) if rng.random() < 0.7 else address.exploded


def vehicle_plate(rng: random.Random) -> str:
    """A plate number: ordinary (two letters at most among five) or new-energy (six)."""
    head = rng.choice(PLATE_PROVINCES) + rng.choice(PLATE_LETTERS)
    if rng.random() < 0.2:
        tail = rng.choice("DF") + rng.choice(PLATE_LETTERS + string.digits) + digits(rng, 4)
    else:
        tail = list(digits(rng, 5))
        for position in rng.sample(range(5), rng.randrange(3)):
            tail[position] = rng.choice(PLATE_LETTERS)
        tail = "".join(tail)
    return head + rng.choice(("", "", "", "·", " ")) + tail


def passport(rng: random.Random) -> str:
    """A Chinese ordinary passport number (E series, some with a letter, or the old G series)."""
    roll = rng.random()
    if roll < 0.6:
        return "E" + digits(rng, 8)
    if roll < 0.9:
        return "E" + rng.choice(PLATE_LETTERS) + digits(rng, 7)
    return "G" + digits(rng, 8)


def written_date(day: datetime.date, rng: random.Random) -> str:
    """``day`` in one of the common forms: 1990-03-07, 1990/3/7, 19900307, 1990年3月7日,
    1990.03.07."""
    return rng.choice((day.isoformat(), f"{day.year}/{day.month}/{day.day}", f"{day:%Y%m%d}",
                       f"{day.year}年{day.month}月{day.day}日", f"{day:%Y.%m.%d}"))


def date_of_birth(rng: random.Random) -> str:
    """A birth date between 1930 and 2010 in one of the common forms."""
    return written_date(day_between(rng, _EARLIEST_BIRTH, _LATEST_BIRTH), rng)


def person_name(rng: random.Random) -> str:
    """A name: a common surname (one in ten compound) and one or two given-name characters."""
    surname = rng.choice(_COMPOUNDS) if rng.random() < 0.1 else rng.choice(SURNAMES)
    return surname + "".join(rng.choice(GIVEN_NAME_CHARACTERS)
                             for _ in range(rng.choice((1, 2, 2))))


def place(rng: random.Random, short_names: bool = True) -> str:
    """A city with its province, full (广东省深圳市) or, when allowed, short (深圳市, 广东深圳)."""
    city = rng.choice(CITY_NAMES)
    province = CITIES[city]
    if city in CITY_PROVINCES:
        return city
    if not short_names:
        return province + city
    return rng.choice((province + city, city,
                       _SHORT_NAMES[province] + _SHORT_NAMES.get(city, city)))


def address(rng: random.Random) -> str:
    """An address: province and city (full or short), district, road and number."""
    street = f"{rng.choice(ROADS)}{rng.randrange(1, 300)}号"
    if rng.random() < 0.4:
        street += f"{rng.randrange(1, 30)}栋{rng.randrange(101, 2400)}室"
    return place(rng) + rng.choice(DISTRICTS) + street


VALID: dict[Kind, Maker] = {
    "resident_id": resident_id, "uscc": credit_code, "bank_card": bank_card, "mobile": mobile,
    "landline": landline, "email": email, "ipv4": ipv4, "ipv6": ipv6,
    "vehicle_plate": vehicle_plate, "passport": passport, "date_of_birth": date_of_birth,
    "person_name": person_name, "address": address,
}
