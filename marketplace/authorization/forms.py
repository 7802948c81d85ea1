"""The application form, and the decision forms of the merchant, the admin and the buyer.

The operations and fields an application asks for are checkboxes made from the listing's
operations (``op`` values ``<plugin>.<operation>``, ``field:<ref>`` values the field names), and
a narrower decision's masking is one select per field (``mask:<ref>:<field>``): their number
depends on the product, so the views read them with :func:`chosen_operations` and
:func:`chosen_masking` rather than as declared fields.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from marketplace.authorization.models import LegalBasis
from marketplace.authorization.requests import Chosen

LEGAL_BASIS_LABELS = {
    LegalBasis.CONSENT: _l("Consent of the people the data is about"),
    LegalBasis.CONTRACT: _l("Needed to conclude or perform a contract with them"),
    LegalBasis.LEGAL_DUTY: _l("Needed to fulfil a legal duty or obligation"),
    LegalBasis.PUBLIC_INTEREST: _l("Public interest: public health, news reporting, "
                                   "supervision"),
    LegalBasis.GOVERNMENT_AUTHORIZATION: _l("An authorization or commission from a government "
                                            "body"),
    LegalBasis.OTHER: _l("Another basis provided by law (name it below)"),
}


class ApplicationForm(FlaskForm):
    """What a buyer states when applying."""

    purpose = TextAreaField(_l("Purpose"), validators=[Length(max=2000)],
                            render_kw={"rows": 4, "maxlength": 2000})
    scenario = StringField(_l("Business scenario"), validators=[Length(max=500)],
                           render_kw={"maxlength": 500})
    legal_basis = SelectField(
        _l("Legal basis"), validate_choice=False, default="",
        choices=[SelectChoice("", _l("Choose the legal basis")),
                 *(SelectChoice(basis.value, text) for basis, text in
                   LEGAL_BASIS_LABELS.items())])
    legal_basis_detail = TextAreaField(_l("Legal basis, in your words"),
                                       validators=[Length(max=1000)], render_kw={"rows": 2})
    starts_on = DateField(_l("First day"), validators=[Optional()])
    ends_on = DateField(_l("Last day"), validators=[Optional()])


class DecisionForm(FlaskForm):
    """The merchant's or the admin's decision, and a revocation or withdrawal: the decision
    is the button pressed (``decision``), the reason is written to the other side."""

    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)],
                           render_kw={"rows": 2, "maxlength": 2000})


def chosen_operations(form: MultiDict) -> dict[str, list[str] | None]:
    """The operations ticked (``op``) and for each its fields ticked (``field:<ref>``); an
    operation whose form offered no field checkboxes gets None (every field)."""
    chosen: dict[str, list[str] | None] = {}
    for ref in form.getlist("op"):
        ref = ref.strip()
        if ref:
            offered = form.get(f"fields-offered:{ref}") == "1"
            chosen[ref] = [name for name in form.getlist(f"field:{ref}") if name] \
                if offered else None
    return chosen


def chosen_masking(form: MultiDict, chosen: Chosen) -> dict[str, dict[str, str]]:
    """The masking strategy picked per field (``mask:<ref>:<field>``; empty: none)."""
    masking: dict[str, dict[str, str]] = {}
    prefix = "mask:"
    for key, value in form.items(multi=True):
        if key.startswith(prefix) and value:
            ref, _sep, name = key[len(prefix):].rpartition(":")
            if ref in chosen and name:
                masking.setdefault(ref, {})[name] = value
    return masking
