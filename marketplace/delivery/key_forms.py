"""Forms of the API keys page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class NewKeyForm(FlaskForm):
    """A new key: its name, the entitlements it covers, networks, expiry."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)],
                       render_kw={"placeholder": _l("e.g. billing server")})
    entitlements = SelectMultipleField(
        _l("Entitlements it covers"), coerce=int, validators=[Optional()],
        option_widget=widgets.CheckboxInput(), widget=widgets.ListWidget(prefix_label=False))
    networks = TextAreaField(_l("Allowed networks (one per line; empty: any)"),
                             validators=[Optional(), Length(max=2000)],
                             render_kw={"rows": 3, "class": "mono",
                                        "placeholder": "203.0.113.0/24"})
    expires_in_days = IntegerField(_l("Expires after (days; empty: never)"),
                                   validators=[Optional(), NumberRange(min=1, max=3660)])
    create = SubmitField(_l("Create the key"))


class RotateKeyForm(FlaskForm):
    overlap_hours = IntegerField(_l("Old key keeps working for (hours)"), default=24,
                                 validators=[NumberRange(min=0, max=168)])
    rotate = SubmitField(_l("Rotate"))
