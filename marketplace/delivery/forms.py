"""The try-it console's form, and the download form of a data package."""

from __future__ import annotations

import json
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, SubmitField, TextAreaField
from wtforms.validators import InputRequired, ValidationError


class OperationConsoleForm(FlaskForm):
    """The try-it console: the operation chosen on the page, and the JSON input to run it on.

    After ``validate()``, ``payload_object`` holds the parsed input.
    """

    operation = HiddenField()
    payload = TextAreaField(
        _l("Input (JSON)"),
        render_kw={"rows": 10, "spellcheck": "false", "class": "mono", "autocomplete": "off"},
    )
    run = SubmitField(_l("Run the operation"))

    payload_object: dict[str, Any] | None = None

    def validate_operation(self, field: HiddenField) -> None:
        if not (field.data or "").strip():
            raise ValidationError(str(_l("Choose an operation to run.")))

    def validate_payload(self, field: TextAreaField) -> None:
        text = (field.data or "").strip()
        if not text:
            raise ValidationError(str(_l(
                "Write the input as a JSON object; {} for an operation that takes no input.")))
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(str(_l(
                "The input is not valid JSON: check line %(line)d, column %(column)d.",
                line=exc.lineno, column=exc.colno))) from None
        if not isinstance(value, dict):
            raise ValidationError(str(_l(
                "The input must be a JSON object in braces, such as {\"text\": \"hello\"}.")))
        self.payload_object = value


class DownloadForm(FlaskForm):
    """Asking for a download of a data package: the file format."""

    fmt = RadioField(_l("Format"), choices=[SelectChoice("csv", "CSV"),
                                            SelectChoice("xlsx", "XLSX (Excel)"),
                                            SelectChoice("parquet", "Parquet")],
                     default="csv", validators=[InputRequired(_l("Choose a format."))])
    submit = SubmitField(_l("Get a download link"))
