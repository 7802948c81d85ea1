"""The buyer's commerce forms. Flask-WTF adds the CSRF token; the services hold the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from marketplace.commerce.payments import TEST_CARDS
from marketplace.web.bounds import MAX_ID

_ID = NumberRange(min=1, max=MAX_ID, message=_l("Choose one of the plans on the page."))


class AddToCartForm(FlaskForm):
    """One plan of the product page; ``pack_calls`` empty buys a per-call plan pay-as-you-go."""

    plan_id = IntegerField(validators=[DataRequired(), _ID])
    pack_calls = IntegerField(_l("How to pay"), validators=[Optional(), _ID])


class QuoteRequestForm(FlaskForm):
    plan_id = IntegerField(validators=[DataRequired(), _ID])
    request = TextAreaField(
        _l("Describe the job"),
        validators=[DataRequired(message=_l("Describe the job you need quoted.")),
                    Length(max=5000)],
    )


class CheckoutForm(FlaskForm):
    # A random token rendered with the cart: submitting the same page twice makes one order.
    attempt = HiddenField(validators=[DataRequired(), Length(max=64)])


class TestPaymentForm(FlaskForm):
    """The demo's payment step: pick one of the provider's test cards."""

    __test__ = False  # not a pytest test class, whatever its name

    card = RadioField(
        _l("Test card"),
        choices=[SelectChoice(name, card.label) for name, card in TEST_CARDS.items()],
        validators=[DataRequired(message=_l("Choose a test card to pay with."))],
    )


class ConfirmForm(FlaskForm):
    """A button that needs nothing but the CSRF token (free orders, the hosted payment page)."""
