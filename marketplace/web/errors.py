"""Error answers: an error page for a browser, an RFC 9457 problem document for the API.

Every failure speaks one of these two formats, chosen by :func:`wants_problem_json`. A domain
whose exceptions carry their own status (``status_code``, and maybe ``incident`` and
``retry_after``) has them answered here through :func:`register_status_error`.
"""

from __future__ import annotations

import logging
import uuid

from flask import Flask, current_app, g, jsonify, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

ERROR_TITLES = {
    400: _l("The request could not be understood"),
    401: _l("Please log in"),
    402: _l("The payment did not go through"),
    403: _l("You do not have access to this page"),
    404: _l("Page not found"),
    405: _l("That action is not available here"),
    409: _l("That conflicts with the current state"),
    413: _l("The upload is too large"),
    422: _l("Some input needs fixing"),
    429: _l("Too many requests"),
    500: _l("Something went wrong on our side"),
    502: _l("A plugin failed to answer"),
    503: _l("This service is paused"),
    504: _l("A plugin did not answer in time"),
}


def wants_problem_json() -> bool:
    """API paths and clients that ask for JSON get ``application/problem+json`` errors."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes.accept_html


def problem_response(status: int, detail: str, **extra):
    """An RFC 9457 problem document."""
    body = {
        "type": "about:blank",
        "title": str(ERROR_TITLES.get(status, "Error")),
        "status": status,
        "detail": detail,
        **extra,
    }
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


#: What an API client that did not sign in is told (Werkzeug's default speaks of a bad password).
NOT_SIGNED_IN = _l("Sign in first: this API uses the session cookie set by logging in on the "
                   "website (POST /login).")


def _kept_headers(error: HTTPException) -> dict[str, str]:
    """The headers an HTTP error carries besides its own body's (``Allow`` on a 405,
    ``Retry-After`` on a 429 or 503), kept on the answer that replaces its body."""
    return {name: value for name, value in error.get_headers()
            if name.lower() in ("allow", "retry-after", "www-authenticate")}


def _handle_http_error(error: HTTPException):
    status = error.code or 500
    headers = _kept_headers(error)
    if wants_problem_json():
        # flask-smorest's abort() and webargs put the message and field errors in ``data``.
        data = getattr(error, "data", None) or {}
        extra = {"errors": data["messages"]} if "messages" in data else {}
        if status == 401:
            # A refused credential (an API key's) says what was wrong with it.
            response = problem_response(401, g.get("unauthorized_detail")
                                        or str(NOT_SIGNED_IN))
            response.headers["WWW-Authenticate"] = 'Cookie realm="Datamarket"'
            return response
        response = problem_response(status, data.get("message") or error.description or "",
                                    **extra)
        response.headers.update(headers)
        return response
    if status == 401:
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    return (
        render_template("error.html", status=status, title=ERROR_TITLES.get(status, ""),
                        detail=error.description if status in (400, 409, 413, 422) else ""),
        status,
        headers,
    )


def _handle_csrf_error(error: CSRFError):
    if wants_problem_json():
        return problem_response(400, error.description)
    return (
        render_template(
            "error.html",
            status=400,
            title=_l("This form has expired"),
            detail=_l("Go back, reload the page and send the form again."),
        ),
        400,
    )


def _handle_status_error(error: Exception):
    """An error that knows its status: its sentence, and its incident id and retry delay if any
    (a plugin operation that did not answer, for one)."""
    status = error.status_code
    incident = getattr(error, "incident", None)
    retry_after = getattr(error, "retry_after", None)
    extra = {key: value for key, value in (("incident", incident),
                                           ("retry_after", retry_after)) if value}
    if wants_problem_json():
        response = problem_response(status, str(error), **extra)
    else:
        response = current_app.make_response((
            render_template("error.html", status=status, title=ERROR_TITLES.get(status, ""),
                            detail=str(error), incident=incident),
            status,
        ))
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _handle_unexpected(error: Exception):
    incident = uuid.uuid4().hex[:12]
    log.exception("unhandled error, incident %s", incident)
    if current_app.config.get("TESTING") and current_app.config.get("PROPAGATE_EXCEPTIONS"):
        raise error
    if wants_problem_json():
        return problem_response(500, "An unexpected error occurred.", incident=incident)
    return render_template("error.html", status=500, title=ERROR_TITLES[500],
                           incident=incident), 500


def register_status_error(app: Flask, error_class: type[Exception]) -> None:
    """Answer ``error_class`` with its own ``status_code`` and sentence instead of a 500.

    Its instances may carry an ``incident`` id (shown to the user and put in the problem
    document) and a ``retry_after`` delay in seconds (sent as ``Retry-After``).
    """
    app.register_error_handler(error_class, _handle_status_error)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _handle_http_error)
    app.register_error_handler(CSRFError, _handle_csrf_error)
    app.register_error_handler(Exception, _handle_unexpected)
