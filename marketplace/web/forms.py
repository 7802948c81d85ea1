"""Form handling every page shares: a service's refusal shown beside the fields it concerns."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm


def apply_field_errors(form: FlaskForm, field_errors: dict[str, list[str]]) -> None:
    """Show a service's validation errors beside the fields they concern."""
    for name, messages in field_errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, *messages]
        else:
            form.form_errors.extend(messages)


def errors_text(field: Any) -> str:
    """A form field's validation errors as one sentence (they may be lazy strings)."""
    return " ".join(str(error) for error in field.errors)
