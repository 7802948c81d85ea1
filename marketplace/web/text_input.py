"""Control characters never reach the services: one request-level check for every free-text
input (form fields, query strings, URL segments and JSON bodies).

NUL and the other control characters (C0, DEL, C1) are refused with a 422 that says so; tab,
line feed and carriage return stay allowed, as multi-line fields need them. PostgreSQL refuses
NUL in text (an error, not a clean refusal) and the others have no business in a title, a
name or a description. Uploaded files are not text inputs and are checked by their own readers;
a view that receives signed third-party payloads (the payment webhook) is exempted with
:func:`exempt`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from flask import Flask, abort, current_app, request
from flask_babel import lazy_gettext as _l

F = TypeVar("F", bound=Callable[..., Any])

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: What the check accepts, as a JSON Schema pattern for the API documents.
PLAIN_TEXT = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"
REFUSED = _l("Text may not contain control characters such as NUL (allowed: tab and line "
             "breaks); remove them and send it again.")
EXEMPT_KEY = "datamarket.text_check_exempt"


def exempt(view: F) -> F:
    """Leave this view's input unchecked (it verifies its payload otherwise)."""
    view.datamarket_text_check_exempt = True  # type: ignore[attr-defined]
    return view


def has_control_characters(value: Any) -> bool:
    return any(CONTROL.search(text) for text in _strings(value))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _request_texts() -> Iterator[Any]:
    yield from request.args.items(multi=True)
    yield from (request.view_args or {}).values()
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        yield from request.form.items(multi=True)
        if request.is_json:
            yield request.get_json(silent=True)


def init_app(app: Flask) -> None:
    @app.before_request
    def _refuse_control_characters():
        view = current_app.view_functions.get(request.endpoint or "")
        if getattr(view, "datamarket_text_check_exempt", False):
            return
        for item in _request_texts():
            if has_control_characters(list(item) if isinstance(item, tuple) else item):
                abort(422, str(REFUSED))
