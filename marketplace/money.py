"""Money as the marketplace stores it (integer minor units: fen for CNY) and as people read and
type it.

- :func:`format_money` shows an amount to a reader, in their locale, with the currency's own
  number of decimals (Babel's data: 2 for CNY, 0 for JPY);
- :func:`plain_amount` writes it the same way for every reader (``"12.50"``, ``"12.50 CNY"``):
  CSV exports, audit details, and messages whose wording people compare;
- :func:`minor_to_major` is the exact :class:`~decimal.Decimal` in major units behind both;
- :func:`parse_amount` and :func:`amount_input` read what a merchant types into a price or
  amount field (``"12.50"``, ``"¥1,200"``) and write a stored amount back into such a field.
"""

from __future__ import annotations

import re
from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency, get_currency_precision
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

#: The locale used outside a request (command line, background jobs).
DEFAULT_LOCALE = "en"
#: Amounts are stored as integers in minor units; this keeps them inside a 32-bit column.
MAX_AMOUNT = 999_999_999

_AMOUNT_RE = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$")


def decimal_digits(currency: str) -> int:
    """How many decimals ``currency`` is written with (ISO 4217, through Babel): CNY 2, JPY 0."""
    return get_currency_precision(currency.upper())


def minor_to_major(amount: int, currency: str) -> Decimal:
    """``amount`` minor units as an exact amount in major units: ``1250`` CNY -> ``12.50``,
    ``1250`` JPY -> ``1250``."""
    return Decimal(int(amount)).scaleb(-decimal_digits(currency))


def major_to_minor(amount: Decimal, currency: str) -> int:
    """An exact amount in major units as integer minor units.

    :raises ValueError: ``amount`` has more decimals than ``currency`` has.
    """
    minor = amount.scaleb(decimal_digits(currency))
    if minor != minor.to_integral_value():
        raise ValueError(f"{amount} {currency} has more decimals than {currency} is written with")
    return int(minor)


def format_money(amount_minor: int | None, currency: str = "CNY",
                 locale: str | Locale | None = None) -> str:
    """An amount in minor units as the reader's locale writes it (``¥12.50``, ``CN¥12.50``).

    :param locale: the reader's locale; the request's (flask_babel) when not given.
    :returns: ``""`` for ``None`` (no price).
    """
    if amount_minor is None:
        return ""
    return format_currency(minor_to_major(amount_minor, currency), currency.upper(),
                           locale=locale or get_locale() or DEFAULT_LOCALE)


def plain_amount(amount_minor: int, currency: str, *, code: bool = False) -> str:
    """The amount the same way for every reader, as a number a spreadsheet reads: ``"12.50"``,
    ``"-0.01"``; with ``code``, followed by the currency code (``"12.50 CNY"``)."""
    text = str(minor_to_major(amount_minor, currency))
    return f"{text} {currency}" if code else text


def parse_amount(text: str | None, currency: str = "CNY") -> int | None:
    """A price typed in major units (``"0.05"``, ``"999"``, ``"¥1,200.50"``) as integer minor
    units, exactly.

    :returns: ``None`` for an empty input.
    :raises ValueError: with a sentence that tells the merchant how to write the price.
    """
    raw = (text or "").strip().lstrip("¥￥").strip()
    if not raw:
        return None
    if raw.startswith("-"):
        raise ValueError(str(_l("A price cannot be negative.")))
    match = _AMOUNT_RE.match(raw)
    if match is None:
        raise ValueError(str(_l("Write the price in yuan as a number, such as 0.05 or 999.")))
    if match.group(1) and len(match.group(1)) > decimal_digits(currency):
        raise ValueError(str(_l(
            "A price has at most two decimals (yuan and fen), such as 0.05; this one has %(n)d.",
            n=len(match.group(1)))))
    amount = major_to_minor(Decimal(raw.replace(",", "")), currency)
    if amount > MAX_AMOUNT:
        raise ValueError(str(_l("Keep the price at or below 9,999,999.99 yuan.")))
    return amount


def amount_input(amount_minor: int | None, currency: str = "CNY") -> str:
    """A stored amount written back as :func:`parse_amount` reads it, without trailing zero
    decimals: ``5`` -> ``"0.05"``, ``1250`` -> ``"12.50"``, ``99900`` -> ``"999"``."""
    if amount_minor is None:
        return ""
    major = minor_to_major(amount_minor, currency)
    return str(major.quantize(Decimal(1))) if major == major.to_integral_value() else str(major)
