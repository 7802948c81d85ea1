"""Forms of the merchant's and the admin's commerce pages: refunds, quotes, commission, payouts.

People type amounts in yuan (``1,234.50``) and rates in percent (``12.5``); these forms read them
into fen and basis points exactly (no floats). Whether an amount is allowed (refundable, within
the balance, at least the plan's price) is for the services to say.
"""

from __future__ import annotations

import re
import secrets
from calendar import monthrange
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from flask_babel import format_percent
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from marketplace.commerce.orders.quotes import MAX_CALLS, MAX_VALID_DAYS
from marketplace.money import parse_amount

AMOUNT_HINT = _l("In yuan, with at most two decimals, such as 1,234.50.")


class YuanAmount:
    """The field holds an amount in yuan that :func:`marketplace.money.parse_amount` reads
    exactly."""

    def __call__(self, _form: FlaskForm, field: StringField) -> None:
        try:
            fen = parse_amount(field.data)
        except ValueError:
            fen = -1
        if fen is None:
            raise ValidationError(str(_l("Enter an amount in yuan.")))
        if fen < 0:
            raise ValidationError(str(_l(
                "Write the amount in yuan with at most two decimals, such as 1,234.50 "
                "(up to 9,999,999.99).")))


def amount_in_fen(field: StringField) -> int:
    """A validated yuan field's value in fen."""
    return parse_amount(field.data) or 0


def new_request_key() -> str:
    """A random token for one refund form: submitting the same form twice refunds once."""
    return secrets.token_urlsafe(18)


class RefundForm(FlaskForm):
    amount = StringField(_l("Amount to refund"), validators=[YuanAmount()])
    reason = TextAreaField(_l("Reason"), validators=[
        DataRequired(message=_l("Say why the order is refunded.")), Length(max=500)])
    request_key = HiddenField(validators=[Regexp(r"^[A-Za-z0-9_-]{16,64}$", message=_l(
        "This refund form is incomplete. Reload the page and try again."))])

    @classmethod
    def for_order(cls) -> RefundForm:
        """A fresh form with the amount left empty: one click must not refund everything and
        end the buyer's access (the page says how much can still be refunded)."""
        form = cls(formdata=None)
        form.request_key.data = new_request_key()
        return form

    def renew_key(self) -> None:
        """After a refused submission, the form shown again is a new request."""
        self.request_key.data = new_request_key()


class QuoteAnswerForm(FlaskForm):
    amount = StringField(_l("Your price"), validators=[YuanAmount()])
    # Required by the quote itself (``quotes.send_quote`` names what is missing); bounded here
    # so that a number too large for the database never reaches it.
    calls = IntegerField(_l("Calls included"), validators=[
        Optional(), NumberRange(min=1, max=MAX_CALLS)])
    valid_days = IntegerField(_l("Usable for (days after payment)"), validators=[
        Optional(), NumberRange(min=1, max=MAX_VALID_DAYS)])
    note = TextAreaField(_l("Note for the buyer"), validators=[Length(max=5000)])


class ConfirmForm(FlaskForm):
    """A button that needs nothing but the CSRF token (declining a quote, clearing a rate)."""


_PERCENT_RE = re.compile(r"^\d{1,3}(?:\.\d{1,2})?$")


def percent_to_bp(text: str | None) -> int:
    """A rate typed in percent (``"10"``, ``"12.5"``, ``"7.25 %"``) in basis points, exactly.

    :raises ValueError: with a sentence that says how to write the rate.
    """
    raw = (text or "").strip().rstrip("%").strip()
    if not _PERCENT_RE.match(raw):
        raise ValueError(str(_l("Write the rate in percent with at most two decimals, such as "
                                "10 or 12.5.")))
    return int(Decimal(raw) * 100)


def bp_to_percent(rate_bp: int | None) -> str:
    """Basis points written back as a percent for a form: ``1250`` -> ``"12.5"``."""
    if rate_bp is None:
        return ""
    return str(Decimal(rate_bp) / 100)


def rate_label(rate_bp: int | None) -> str:
    """Basis points as the reader's locale writes a percentage: ``1250`` -> ``12.5 %``."""
    if rate_bp is None:
        return ""
    return format_percent(Decimal(rate_bp) / 10_000, "#,##0.##%")


class PercentRate:
    def __call__(self, _form: FlaskForm, field: StringField) -> None:
        try:
            percent_to_bp(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class CommissionForm(FlaskForm):
    """The platform's default commission rate."""

    rate = StringField(_l("Default commission (%)"), validators=[PercentRate()])


class OverrideForm(FlaskForm):
    """A rate of its own for one merchant."""

    organization = SelectField(_l("Merchant"), coerce=int, validate_choice=True)
    rate = StringField(_l("Commission for this merchant (%)"), validators=[PercentRate()])


class PayoutForm(FlaskForm):
    organization = SelectField(_l("Merchant"), coerce=int, validate_choice=True)
    amount = StringField(_l("Amount paid out"), validators=[YuanAmount()])
    reference = StringField(_l("Bank transfer reference"), validators=[
        DataRequired(message=_l("Give the bank transfer's reference.")), Length(max=100)])
    note = TextAreaField(_l("Remark"), validators=[Length(max=1000)])


_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str | None, today: date) -> tuple[date, str | None]:
    """The first day of the month typed as ``YYYY-MM`` (a month picker's value).

    :returns: the month, and a sentence when the text could not be read (then this month).
    """
    if not (text or "").strip():
        return today.replace(day=1), None
    match = _MONTH_RE.match(text.strip())
    if match and 2000 <= int(match.group(1)) <= 9999 and 1 <= int(match.group(2)) <= 12:
        return date(int(match.group(1)), int(match.group(2)), 1), None
    return today.replace(day=1), str(_l("Choose a month, written as YYYY-MM such as 2025-03."))


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The start of ``month`` and of the month after it (UTC, as ledger times are stored)."""
    days = monthrange(month.year, month.month)[1]
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    return start, start + timedelta(days=days)


def shift_month(month: date, by: int) -> date:
    """The first day of the month ``by`` months after (or before) ``month``."""
    index = month.year * 12 + month.month - 1 + by
    return date(index // 12, index % 12 + 1, 1)
