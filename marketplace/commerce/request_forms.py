"""Forms of refund requests and invoice requests. Flask-WTF adds the CSRF token; amounts are
typed in yuan and read exactly (:class:`YuanAmount`); the services hold the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.commerce.buyer_requests.invoices import OPTIONAL
from marketplace.commerce.buyer_requests.refund_requests import MAX_REASON
from marketplace.commerce.merchant_admin_forms import YuanAmount


class RefundRequestForm(FlaskForm):
    amount = StringField(_l("Amount to refund"), validators=[YuanAmount()])
    reason = TextAreaField(_l("Why do you ask for a refund?"), validators=[
        DataRequired(message=_l("Say why you ask for a refund.")), Length(max=MAX_REASON)])


class OptionalYuanAmount(YuanAmount):
    """Like :class:`YuanAmount`, but an empty field is allowed (it means "all of it")."""

    def __call__(self, form: FlaskForm, field: StringField) -> None:
        if (field.data or "").strip():
            super().__call__(form, field)


class RefundDecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=[
        SelectChoice("approve", _l("Approve and refund now")),
        SelectChoice("reject", _l("Refuse"))],
        validators=[DataRequired(message=_l("Choose to approve or to refuse."))])
    amount = StringField(_l("Amount to refund"), validators=[OptionalYuanAmount()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=MAX_REASON)])


class InvoiceRequestForm(FlaskForm):
    company_name = StringField(_l("Company name (as registered)"), validators=[
        DataRequired(message=_l("Give the company name as registered.")), Length(max=200)])
    taxpayer_id = StringField(_l("Taxpayer id (unified social credit code)"), validators=[
        DataRequired(message=_l("Give the company's unified social credit code.")),
        Length(max=40)])
    address = StringField(_l("Registered address"), validators=[
        Optional(), Length(max=OPTIONAL["address"])])
    phone = StringField(_l("Telephone"), validators=[Optional(), Length(max=OPTIONAL["phone"])])
    bank_name = StringField(_l("Bank"), validators=[
        Optional(), Length(max=OPTIONAL["bank_name"])])
    bank_account = StringField(_l("Bank account"), validators=[
        Optional(), Length(max=OPTIONAL["bank_account"])])


class InvoiceIssueForm(FlaskForm):
    invoice_number = StringField(_l("Invoice number"), validators=[Optional(), Length(max=40)])
    pdf = FileField(_l("Invoice (PDF)"))
