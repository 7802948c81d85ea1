"""A request body limit of a route's own, above or below ``MAX_CONTENT_LENGTH``.

``@body_limit("SETTING")`` on a view sets Flask's per-request ``max_content_length`` from that
setting before anything reads the body (this hook runs ahead of the CSRF check and the
control-character check, which both read forms). A request that announces a larger body is
refused at once with 413 and the view's sentence; one that sends more than it announced is cut
off by Werkzeug while it is read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, request
from flask_babel import lazy_gettext as _l

F = TypeVar("F", bound=Callable[..., Any])
TOO_LARGE = _l("This upload is larger than the %(limit)s MB this page accepts.")


def body_limit(setting: str, message: Callable[[int], str] | None = None) -> Callable[[F], F]:
    """Limit the request body of the decorated view to ``app.config[setting]`` bytes.

    :param message: the sentence for a refused body, given the limit; a general one if None.
    """
    def decorate(view: F) -> F:
        view.datamarket_body_limit = (setting, message)  # type: ignore[attr-defined]
        return view
    return decorate


def too_large(limit: int, message: Callable[[int], str] | None = None) -> str:
    """The sentence for a body over ``limit`` bytes."""
    return message(limit) if message else str(TOO_LARGE % {"limit": f"{limit / 2**20:g}"})


def init_app(app: Flask) -> None:
    @app.before_request
    def _route_body_limit():
        view = current_app.view_functions.get(request.endpoint or "")
        declared = getattr(view, "datamarket_body_limit", None)
        if declared is None:
            return
        setting, message = declared
        limit = int(current_app.config[setting])
        request.max_content_length = limit
        if request.content_length is not None and request.content_length > limit:
            abort(413, too_large(limit, message))
