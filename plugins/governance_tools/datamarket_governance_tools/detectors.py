"""Recognising personal data and enterprise identifiers, in single values and in free text.

One detector per kind, ``is_<kind>(value)``, judges a whole value: surrounding blanks are
ignored, anything else around the identifier makes it not match. Identifiers are judged by
:mod:`datamarket_sdk.identifiers`, the one rule per kind that the platform applies too; IP
addresses, dates, names and addresses here. Three kinds are ambiguous on their own
(``date_of_birth``, ``person_name``, ``passport`` in its generic form): the value-level
detector says the value *could* be one, and :mod:`.columns` decides with the column header.
:mod:`.free_text` finds the kinds with a distinctive shape in longer text.

A value holding a mask character (``*``, ``＊``, ``•``) is never reported: masked data is what a
public sample should show.
"""

from __future__ import annotations

import datetime
import ipaddress
import re
from collections.abc import Callable
from typing import Literal, get_args

from datamarket_sdk import identifiers

from datamarket_governance_tools.dates import DateFormatError, parse_date
from datamarket_governance_tools.names import is_chinese_name
from datamarket_governance_tools.regions import split_address

Kind = Literal["resident_id", "uscc", "bank_card", "mobile", "landline", "email", "ipv4", "ipv6",
               "vehicle_plate", "passport", "date_of_birth", "person_name", "address"]
#: Every kind, in the order detectors run and results are listed.
KINDS: tuple[Kind, ...] = get_args(Kind)

#: What one value of each kind is called in messages.
KIND_LABELS: dict[Kind, str] = {
    "resident_id": "resident ID number", "uscc": "unified social credit code",
    "bank_card": "bank card number", "mobile": "mobile number", "landline": "landline number",
    "email": "e-mail address", "ipv4": "IPv4 address", "ipv6": "IPv6 address",
    "vehicle_plate": "vehicle plate number", "passport": "passport number",
    "date_of_birth": "date of birth", "person_name": "personal name", "address": "address",
}
#: What several values of each kind are called in messages.
KIND_PLURALS: dict[Kind, str] = {
    **{kind: label + "s" for kind, label in KIND_LABELS.items()},
    "email": "e-mail addresses", "ipv4": "IPv4 addresses", "ipv6": "IPv6 addresses",
    "address": "addresses", "date_of_birth": "dates of birth",
}

MASK_CHARACTERS = frozenset("*＊•")
EARLIEST_BIRTH_DATE = identifiers.EARLIEST_BIRTH_DATE
PLATE_PROVINCES = identifiers.PLATE_PROVINCES

# Shapes shared by the value detectors and .free_text (matched within text). The identifier
# kinds are judged by the SDK's validators; these shapes only find candidates in longer text.
_RESIDENT_ID = r"\d{17}[\dXx]"
# Registration authority (1-9, A, N, Y), entity category (1-5, 9), six-digit division code, nine
# characters of organisation code and the check character, from GB 32100's alphabet (no I O S V Z).
_USCC = r"[1-9ANY][1-59]\d{6}[0-9A-HJ-NP-RTUW-Y]{10}"
_BANK_CARD = r"\d{16,19}|\d{4}(?P<sep>[ -])\d{4}(?P=sep)\d{4}(?P=sep)\d{4}(?:(?P=sep)\d{1,3})?"
_IPV4 = r"\d{1,3}(?:\.\d{1,3}){3}"
_IPV6 = r"(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}"

#: The regular expression of each shaped kind, without anchors; e-mail and IPv4 addresses are
#: matched in ASCII mode. The detectors add the checks a pattern cannot express.
SHAPES: dict[Kind, str] = {
    "resident_id": _RESIDENT_ID, "uscc": _USCC, "bank_card": _BANK_CARD,
    "mobile": identifiers.MOBILE_PATTERN, "landline": identifiers.LANDLINE_PATTERN,
    "email": identifiers.EMAIL_PATTERN, "ipv4": _IPV4, "ipv6": _IPV6,
    "vehicle_plate": identifiers.PLATE_PATTERN, "passport": identifiers.PASSPORT_PATTERN,
}
_IPV4_SHAPE = re.compile(_IPV4, re.ASCII)
_GENERIC_PASSPORT = re.compile(r"(?=[A-Z0-9]*[A-Z])(?=[A-Z0-9]*\d)[A-Z0-9]{9}")
_IPV6_CHARACTERS = re.compile(r"[0-9A-Fa-f:.]+")
# What makes a place a postal address: a house-level element. A district (山西省太原市清徐县)
# or a road (建设路与和平路口) alone locates no one; 楼 counts after a number only, since
# 鼓楼区 and 钟楼区 are districts.
_HOUSE = re.compile(r"号|室|栋|幢|单元|弄|巷|村|组|小区|公寓|\d\s*楼")
# A name that starts with a place and ends like this is an organisation, not an address
# ("北京市朝阳区人民法院", "深圳市南山区某某科技有限公司").
_ORGANISATION_ENDINGS = ("法院", "检察院", "公司", "医院", "委员会", "银行", "支行", "分行",
                         "大学", "学院", "学校", "政府", "局", "厅", "事务所", "研究所",
                         "合作社", "中心")


_MASK = re.compile("[*＊•]")


def _has_mask(value: str) -> bool:
    return _MASK.search(value) is not None


#: Whether a value is a resident ID number, credit code, card, mobile or landline number,
#: e-mail address, plate or Chinese passport number: the SDK's one rule per kind
#: (:mod:`datamarket_sdk.identifiers`), which the platform applies too. Values may be written
#: as people type them: full-width digits, lower-case letters, the usual separators.
is_resident_id = identifiers.is_resident_id
is_uscc = identifiers.is_uscc
is_bank_card = identifiers.is_bank_card
is_mobile = identifiers.is_mobile
is_landline = identifiers.is_landline
is_email = identifiers.is_email
is_vehicle_plate = identifiers.is_vehicle_plate
is_passport = identifiers.is_passport


def is_ipv4(value: str) -> bool:
    """Whether ``value`` is an IPv4 address in dotted decimal.

    Accepts exactly four decimal octets of 0 to 255 without leading zeros (``ipaddress``).
    Rejects version-like strings with more or fewer parts (``1.2.3.4.5``), octets of 256 or
    more and leading zeros.
    """
    text = value.strip()
    if not _IPV4_SHAPE.fullmatch(text):
        return False
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def is_ipv6(value: str) -> bool:
    """Whether ``value`` is an IPv6 address, full or compressed (``ipaddress``).

    Rejects times (``12:30:45``), MAC addresses, more than eight groups, more than one ``::``
    and non-hexadecimal digits.
    """
    text = value.strip()
    # "::" alone is valid but is punctuation far more often than an address.
    if text.count(":") < 2 or not _IPV6_CHARACTERS.fullmatch(text) or not text.strip(":"):
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def is_generic_passport_number(value: str) -> bool:
    """Whether ``value`` is 9 letters and digits with at least one of each, as many passport
    numbers are. This says nothing without a column header that names passports."""
    return bool(_GENERIC_PASSPORT.fullmatch(value.strip().upper()))


def parse_written_date(value: str) -> datetime.date | None:
    """The date ``value`` writes in a form :func:`.dates.parse_date` reads, or ``None``."""
    text = value.strip()
    # Every written form starts with the year: most values are turned away without a parse.
    if len(text) < 8 or not text[:4].isdigit():
        return None
    try:
        day, _style = parse_date(text)
    except DateFormatError:
        return None
    return day.date() if isinstance(day, datetime.datetime) else day


def _today() -> datetime.date:
    return datetime.date.today()


def is_date_of_birth(value: str) -> bool:
    """Whether ``value`` is a date that could be a birth date: a real date in a form
    :func:`.dates.parse_date` reads (``1990-03-07``, ``1990/3/7``, ``1990.3.7``, ``19900307``,
    ``1990年3月7日``, optionally with a time) between 1900-01-01 and today. Any such date
    matches (an order date too), so only a column header makes it a birth date."""
    born = parse_written_date(value)
    return born is not None and EARLIEST_BIRTH_DATE <= born <= _today()


def is_person_name(value: str) -> bool:
    """Whether ``value`` is a Chinese personal name: 2 to 4 Chinese characters, a common surname
    (one of 160 single or 36 compound ones) and a given name, and not an everyday word or a
    place (:func:`.names.is_chinese_name`: 高中, 黄金价格 and 江苏省 are not names).

    Rejects Latin letters, digits, spaces, masked names (``张*``, ``李某``) and other lengths.
    A rare name that is also a word (高峰 the peak) needs a column header to count.
    """
    return is_chinese_name(value.strip())


def is_address(value: str) -> bool:
    """Whether ``value`` is a postal address in mainland China.

    Accepts text that starts with a province or city name, full or short (``regions``), and
    then names a house: a number, building, room, unit, lane, village or residential compound
    (号, 栋, 室, 单元, 弄, 村, 小区, ...). Rejects a bare province or city, administrative
    areas (山西省太原市清徐县) and roads (建设路与和平路口) without a house, text that does not
    start with a place, organisation names that start with a place (法院, 公司, 医院, ...) and
    masked addresses.
    """
    text = value.strip()
    if (len(text) < 4 or len(text) > 200 or _has_mask(text)
            or not _HOUSE.search(text)
            or text.endswith(_ORGANISATION_ENDINGS)):
        return False
    # No province or city name holds a house marker, so the house lies within the place.
    return split_address(text) != (None, None)


#: The detector of each kind, in :data:`KINDS` order.
DETECTORS: dict[Kind, Callable[[str], bool]] = {
    "resident_id": is_resident_id, "uscc": is_uscc, "bank_card": is_bank_card,
    "mobile": is_mobile, "landline": is_landline, "email": is_email, "ipv4": is_ipv4,
    "ipv6": is_ipv6, "vehicle_plate": is_vehicle_plate, "passport": is_passport,
    "date_of_birth": is_date_of_birth, "person_name": is_person_name, "address": is_address,
}

# When one value passes two checksum detectors, the stricter identifier wins: about one valid
# resident ID number in 400 also passes every credit-code check, and an all-digit credit code
# registered at province level can pass Luhn; the reverse coincidences are far rarer.
_OUTRANKS: dict[Kind, frozenset[Kind]] = {
    "resident_id": frozenset({"uscc"}),
    "uscc": frozenset({"bank_card"}),
}


def detect_value(value: str) -> list[Kind]:
    """Every kind ``value`` is, in :data:`KINDS` order (usually none or one).

    A resident ID number is not also reported as a credit code, nor a credit code as a card
    number (and :func:`is_bank_card` turns away numbers laid out like either).
    """
    if not value or _has_mask(value):
        return []
    kinds = [kind for kind, detector in DETECTORS.items() if detector(value)]
    if len(kinds) > 1:
        beaten = {loser for kind in kinds for loser in _OUTRANKS.get(kind, ())}
        kinds = [kind for kind in kinds if kind not in beaten]
    return kinds
