"""Admin forms. Reasons are not required here: the services decide when one is needed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from marketplace.accounts.models import Role
from marketplace.catalog.lifecycle import Transition

DECISION_CHOICES = [
    SelectChoice(Transition.APPROVE.value, _l("Approve")),
    SelectChoice(Transition.REQUEST_CHANGES.value, _l("Request changes")),
    SelectChoice(Transition.REJECT.value, _l("Reject")),
]

ROLE_CHOICES = [
    SelectChoice(Role.BUYER.value, _l("Buyer")),
    SelectChoice(Role.MERCHANT.value, _l("Merchant")),
    SelectChoice(Role.ADMIN.value, _l("Admin")),
]


class ReviewDecisionForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=DECISION_CHOICES,
        validators=[DataRequired(message=_l("Choose a decision."))],
    )
    reason = TextAreaField(_l("Reason for the merchant"), validators=[Length(max=5000)])


class ReasonForm(FlaskForm):
    """A written reason: suspending a listing, retiring it, or refusing an organization."""

    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)])


class RoleForm(FlaskForm):
    role = SelectField(
        _l("Role"), choices=ROLE_CHOICES, validators=[DataRequired(message=_l("Choose a role."))]
    )


class PluginStateForm(FlaskForm):
    """Enable or disable a plugin: each button sends the state it stands for."""

    state = HiddenField(validators=[AnyOf(["enabled", "disabled"], message=_l(
        "Choose whether to enable or disable the plugin."))])


class PluginTrustForm(FlaskForm):
    """Trust a plugin (it runs inside the platform) or not (it runs in a limited worker)."""

    trusted = HiddenField(validators=[AnyOf(["yes", "no"], message=_l(
        "Choose whether to trust the plugin."))])


class CloseAlertForm(FlaskForm):
    """Close an abnormal-use alert with a note, lifting the key's suspension or not."""

    note = TextAreaField(_l("What you found"), validators=[Optional(), Length(max=1000)])
    lift_suspension = BooleanField(_l("Lift the key's suspension (the use was legitimate)"))
