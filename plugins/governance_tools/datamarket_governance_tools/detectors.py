"""Recognising personal data and enterprise identifiers, in single values and in free text.

One detector per kind, ``is_<kind>(value)``, judges a whole value: surrounding whitespace is
ignored, anything else around the identifier makes it not match. Identifiers with a check digit
must pass it (``stdnum``); the others must have the exact shape their issuer uses. Three kinds
are ambiguous on their own (``date_of_birth``, ``person_name``, ``passport`` in its generic
form): the value-level detector says the value *could* be one, and :mod:`.columns` decides with
the column header. :mod:`.free_text` finds the kinds with a distinctive shape in longer text.

A value holding a mask character (``*``, ``＊``, ``•``) is never reported: masked data is what a
public sample should show.
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
import re
from collections.abc import Callable
from typing import Literal, get_args

from stdnum import luhn, numdb
from stdnum.cn import ric, uscc

from datamarket_governance_tools.dates import DateFormatError, parse_date
from datamarket_governance_tools.regions import CITIES, PROVINCES, SHORT_NAMES, split_address
from datamarket_governance_tools.surnames import COMPOUND_SURNAMES, SINGLE_SURNAMES

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
#: Birth dates before this are not plausible for a living person's records.
EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)

# Shapes shared by the value detectors (matched whole) and .free_text (matched within text).
_RESIDENT_ID = r"\d{17}[\dXx]"
# Registration authority (1-9, A, N, Y), entity category (1-5, 9), six-digit division code, nine
# characters of organisation code and the check character, from GB 32100's alphabet (no I O S V Z).
_USCC = r"[1-9ANY][1-59]\d{6}[0-9A-HJ-NP-RTUW-Y]{10}"
_BANK_CARD = r"\d{16,19}|\d{4}(?P<sep>[ -])\d{4}(?P=sep)\d{4}(?P=sep)\d{4}(?:(?P=sep)\d{1,3})?"
_MOBILE = r"(?:(?:\+|00)?86[ -]?)?(?P<number>1[3-9]\d(?:[ -]?\d{4}){2})"
_AREA = r"(?:10|2\d|[3-9]\d{2})"  # the area code after its leading 0
_LANDLINE = (rf"(?:\(0{_AREA}\)|（0{_AREA}）|0{_AREA}[ -]|\+86[ -]?{_AREA}[ -])"
             r" ?[1-9]\d{2,3}[ -]?\d{4}")
_EMAIL = (r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"
          r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,24}")
_IPV4 = r"\d{1,3}(?:\.\d{1,3}){3}"
_IPV6 = r"(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}"
PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_CHAR = "A-HJ-NP-Z0-9"  # plates never use I or O
_VEHICLE_PLATE = (rf"[{PLATE_PROVINCES}][A-HJ-NP-Z][ ·]?"
                  rf"(?:[DF][{_PLATE_CHAR}]\d{{4}}|\d{{5}}[DF]|[{_PLATE_CHAR}]{{5}}"
                  rf"|[{_PLATE_CHAR}]{{4}}[学警挂港澳领试])")
_PASSPORT = r"E\d{8}|E[A-HJ-NP-Z]\d{7}|G\d{8}"

#: The regular expression of each shaped kind, without anchors; e-mail and IPv4 addresses are
#: matched in ASCII mode. The detectors add the checks a pattern cannot express.
SHAPES: dict[Kind, str] = {
    "resident_id": _RESIDENT_ID, "uscc": _USCC, "bank_card": _BANK_CARD, "mobile": _MOBILE,
    "landline": _LANDLINE, "email": _EMAIL, "ipv4": _IPV4, "ipv6": _IPV6,
    "vehicle_plate": _VEHICLE_PLATE, "passport": _PASSPORT,
}
_WHOLE = {kind: re.compile(pattern, re.ASCII if kind in ("email", "ipv4") else 0)
          for kind, pattern in SHAPES.items()}
_GENERIC_PASSPORT = re.compile(r"(?=[A-Z0-9]*[A-Z])(?=[A-Z0-9]*\d)[A-Z0-9]{9}")
_IPV6_CHARACTERS = re.compile(r"[0-9A-Fa-f:.]+")
_CJK = re.compile(r"[\u4e00-\u9fff]+")
# What makes a place a postal address: a house-level element. A district (山西省太原市清徐县)
# or a road (建设路与和平路口) alone locates no one; 楼 counts after a number only, since
# 鼓楼区 and 钟楼区 are districts.
_HOUSE = re.compile(r"号|室|栋|幢|单元|弄|巷|村|组|小区|公寓|\d\s*楼")
# A name that starts with a place and ends like this is an organisation, not an address
# ("北京市朝阳区人民法院", "深圳市南山区某某科技有限公司").
_ORGANISATION_ENDINGS = ("法院", "检察院", "公司", "医院", "委员会", "银行", "支行", "分行",
                         "大学", "学院", "学校", "政府", "局", "厅", "事务所", "研究所",
                         "合作社", "中心")
_ANY_CARD_LENGTH = frozenset(range(16, 20))
# Issuer ranges (ISO/IEC 7812 issuer identification numbers) and the card lengths they issue.
_CARD_ISSUERS: dict[str, frozenset[int]] = {
    "62": _ANY_CARD_LENGTH, "60": _ANY_CARD_LENGTH, "65": _ANY_CARD_LENGTH,
    "35": _ANY_CARD_LENGTH, "4": frozenset({16, 19}), "36": frozenset({16}),
    "38": frozenset({16}), **{str(prefix): frozenset({16}) for prefix in range(51, 56)},
}
#: Provinces and cities, full and short: place names, not personal names.
_PLACE_NAMES = frozenset({*PROVINCES, *CITIES, *SHORT_NAMES})
# GB 11714 organisation code weights, for the code inside a unified social credit code.
_ORGANISATION_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_REGION_DB = numdb.get("cn/loc")


def _has_mask(value: str) -> bool:
    return any(character in MASK_CHARACTERS for character in value)


@functools.lru_cache(maxsize=8192)
def _known_division(code: str) -> bool:
    # stdnum's own check also wants the county to exist in the birth year, which rejects real
    # numbers of people born before their district was created (浦东新区 dates from 1993), so
    # only ask whether the division code was ever assigned.
    return any("county" in properties for _part, properties in _REGION_DB.info(code))


def _today() -> datetime.date:
    return datetime.date.today()


def _plausible_birth_date(digits: str) -> bool:
    try:
        born = datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return False
    return EARLIEST_BIRTH_DATE <= born <= _today()


def is_resident_id(value: str) -> bool:
    """Whether ``value`` is an 18-character resident ID number (居民身份证号码).

    Accepts 17 digits and a check character (a digit or ``X``/``x``) when the check character is
    right (``stdnum.cn.ric``), the first six digits are a division code that has existed, and the
    birth date exists and lies between 1900-01-01 and today. Rejects a wrong check character,
    17 or 19 digits, 15-digit first-generation numbers, unknown divisions and birth dates that
    are impossible, in the future or before 1900.
    """
    number = value.strip()
    if not _WHOLE["resident_id"].fullmatch(number):
        return False
    number = number.upper()
    return (ric.calc_check_digit(number) == number[-1]
            and _plausible_birth_date(number[6:14]) and _known_division(number[:6]))


def _organisation_code_is_valid(code: str) -> bool:
    total = sum(int(character, 36) * weight
                for character, weight in zip(code[:8], _ORGANISATION_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return code[8] == {10: "X", 11: "0"}.get(check, str(check))


def is_uscc(value: str) -> bool:
    """Whether ``value`` is an 18-character unified social credit code (统一社会信用代码).

    Accepts (upper or lower case) a registration-authority code (1-9, A, N or Y), an entity
    category (1-5 or 9), a six-digit division code, a nine-character organisation code whose own
    GB 11714 check character is right, and the GB 32100 check character
    (``stdnum.cn.uscc.calc_check_digit``).
    Rejects a wrong check character on either level, other lengths, and the letters I, O, S, V
    and Z, which the code never uses.
    """
    code = value.strip().upper()
    # Not uscc.is_valid: python-stdnum 2.2 wants eight leading digits and so refuses the
    # authority codes A, N and Y that GB 32100 defines.
    return (bool(_WHOLE["uscc"].fullmatch(code)) and uscc.calc_check_digit(code) == code[-1]
            and _organisation_code_is_valid(code[8:17]))


def _has_identifier_layout(digits: str) -> bool:
    """Whether ``digits`` read as a mistyped resident ID number (a division code, then a year
    1800–2099) or an all-digit credit code (authority, category, then a division code)."""
    if 17 <= len(digits) <= 19 and digits[6:8] in ("18", "19", "20") \
            and _known_division(digits[:6]):
        return True
    return len(digits) == 18 and digits[1] in "123459" and _known_division(digits[2:8])


def _issuer_issues(digits: str) -> bool:
    lengths = _CARD_ISSUERS.get(digits[:2], _CARD_ISSUERS.get(digits[:1], ()))
    return len(digits) in lengths


def is_bank_card(value: str) -> bool:
    """Whether ``value`` is a payment card number (银行卡号).

    Accepts 16 to 19 digits, written together or in groups of four separated by the same
    space or dash, that pass the Luhn check and start with an issuer range that issues cards of
    that length: UnionPay 62 (and the shared 60 and 65) and JCB 35 with 16 to 19 digits, Visa 4
    with 16 or 19, Mastercard 51 to 55 and Diners 36 and 38 with 16. Rejects other lengths and
    first digits, a failed Luhn check, and numbers laid out like a resident ID number or credit
    code (a mistyped one passes Luhn one time in ten; a card number practically never has that
    layout). About one random 16–19 digit number in 60 passes all of this and is
    indistinguishable from a card number.
    """
    text = value.strip()
    if not _WHOLE["bank_card"].fullmatch(text):
        return False
    digits = text.replace(" ", "").replace("-", "")
    return (_issuer_issues(digits) and luhn.is_valid(digits)
            and not _has_identifier_layout(digits))


def is_mobile(value: str) -> bool:
    """Whether ``value`` is a mainland China mobile number (手机号码).

    Accepts 11 digits starting with 13 to 19, optionally after ``+86``, ``0086`` or ``86``, and
    optionally split by spaces or dashes as 3-4-4. Rejects 10 or 12 digits and numbers starting
    with 10, 11 or 12.
    """
    return bool(_WHOLE["mobile"].fullmatch(value.strip()))


def is_landline(value: str) -> bool:
    """Whether ``value`` is a mainland China landline number with its area code (固定电话).

    Accepts an area code (010, 02x or a four-digit code starting 03 to 09) followed by a dash or a
    space, or in parentheses, or ``+86`` and the area code without its 0; then a local number of
    7 or 8 digits not starting with 0, optionally split once: ``010-12345678``,
    ``(0755)8888 1234``. Rejects numbers without an area code or separator, and local numbers
    that are too short or too long.
    """
    return bool(_WHOLE["landline"].fullmatch(value.strip()))


def is_email(value: str) -> bool:
    """Whether ``value`` is an e-mail address.

    Accepts ASCII mailboxes (letters, digits and ``._%+-``, no empty dot-separated part) at a
    domain of at least two labels whose last label is 2 to 24 letters. Rejects a missing or
    doubled ``@``, a domain without a dot, spaces and empty parts (``a..b@x.cn``).
    """
    return bool(_WHOLE["email"].fullmatch(value.strip()))


def is_ipv4(value: str) -> bool:
    """Whether ``value`` is an IPv4 address in dotted decimal.

    Accepts exactly four decimal octets of 0 to 255 without leading zeros (``ipaddress``).
    Rejects version-like strings with more or fewer parts (``1.2.3.4.5``), octets of 256 or
    more and leading zeros.
    """
    text = value.strip()
    if not _WHOLE["ipv4"].fullmatch(text):
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


def is_vehicle_plate(value: str) -> bool:
    """Whether ``value`` is a mainland China vehicle plate number (车牌号码).

    Accepts a province abbreviation (京, 粤, ...), a city letter, an optional space or ``·``,
    then five letters or digits (``京A12345``), six for new-energy plates with D or F first or
    last (``粤BD12345``, ``粤B12345D``), or four and a special suffix (学, 警, 挂, ...). Letters
    may be lower case. Rejects I and O (plates never use them), unknown province characters
    and other lengths.
    """
    return bool(_WHOLE["vehicle_plate"].fullmatch(value.strip().upper()))


def is_passport(value: str) -> bool:
    """Whether ``value`` is a Chinese ordinary passport number (护照号码).

    Accepts E and 8 digits, E, a letter (not I or O) and 7 digits, or G and 8 digits (the
    older series), in upper or lower case. Rejects other letters and lengths. Foreign
    passports have no common shape: see :func:`is_generic_passport_number`.
    """
    return bool(_WHOLE["passport"].fullmatch(value.strip().upper()))


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


def is_date_of_birth(value: str) -> bool:
    """Whether ``value`` is a date that could be a birth date: a real date in a form
    :func:`.dates.parse_date` reads (``1990-03-07``, ``1990/3/7``, ``1990.3.7``, ``19900307``,
    ``1990年3月7日``, optionally with a time) between 1900-01-01 and today. Any such date
    matches (an order date too), so only a column header makes it a birth date."""
    born = parse_written_date(value)
    return born is not None and EARLIEST_BIRTH_DATE <= born <= _today()


def is_person_name(value: str) -> bool:
    """Whether ``value`` could be a Chinese personal name: 2 to 4 Chinese characters starting
    with a common surname (one of 160 single or 36 compound ones, see :mod:`.surnames`).

    Words that start with a surname match too ("高中"), so only a column header makes it a name.
    Rejects Latin letters, digits, spaces, masked names (``张*``), other lengths, and province
    and city names, full or short ("江苏省", "武汉").
    """
    name = value.strip()
    if not 2 <= len(name) <= 4 or not _CJK.fullmatch(name) or name in _PLACE_NAMES:
        return False
    return name[0] in SINGLE_SURNAMES or (len(name) >= 3 and name[:2] in COMPOUND_SURNAMES)


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
