"""What every HTML page shares: CSRF, template helpers, error pages, mail after commit."""

from __future__ import annotations

import logging
import uuid

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlmodel import Session
from werkzeug.exceptions import HTTPException

from marketplace import policy
from marketplace.catalog.content import render_markdown
from marketplace.catalog.labels import label, plan_details, plan_headline
from marketplace.db import get_engine, get_session
from marketplace.money import format_money
from marketplace.notifications.services import deliver_outbox, unread_count
from marketplace.plugins.errors import InvocationError
from marketplace.settings import settings

log = logging.getLogger(__name__)
csrf = CSRFProtect()

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


def _handle_http_error(error: HTTPException):
    status = error.code or 500
    if wants_problem_json():
        # flask-smorest's abort() and webargs put the message and field errors in ``data``.
        data = getattr(error, "data", None) or {}
        extra = {"errors": data["messages"]} if "messages" in data else {}
        return problem_response(status, data.get("message") or error.description or "", **extra)
    if status == 401:
        from flask import redirect, url_for

        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    return (
        render_template("error.html", status=status, title=ERROR_TITLES.get(status, ""),
                        detail=error.description if status in (400, 409, 413, 422) else ""),
        status,
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


def _handle_plugin_error(error: InvocationError):
    """A plugin operation that did not answer: its status, its sentence, its incident id."""
    status = error.status_code
    extra = {key: value for key, value in (("incident", error.incident),
                                           ("retry_after", error.retry_after)) if value}
    if wants_problem_json():
        response = problem_response(status, str(error), **extra)
    else:
        response = current_app.make_response((
            render_template("error.html", status=status, title=ERROR_TITLES.get(status, ""),
                            detail=str(error), incident=error.incident),
            status,
        ))
    if error.retry_after:
        response.headers["Retry-After"] = str(error.retry_after)
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


def _template_globals():
    user = current_user if current_user and current_user.is_authenticated else None
    unread = 0
    if user is not None:
        unread = unread_count(get_session(), user.id)
    return {"unread_notifications": unread, "can": policy.check}


def _deliver_mail(response):
    session = g.get("db_session")
    if session is not None and session.info.pop("outbox_committed", False):
        # A session of its own, so that delivery can never commit the request's unfinished work.
        try:
            with Session(get_engine()) as mail_session:
                deliver_outbox(mail_session, settings().mail)
        except Exception:  # mail must never break the page that caused it
            log.exception("e-mail delivery failed; the outbox keeps the messages")
    return response


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.register_error_handler(HTTPException, _handle_http_error)
    app.register_error_handler(CSRFError, _handle_csrf_error)
    app.register_error_handler(InvocationError, _handle_plugin_error)
    app.register_error_handler(Exception, _handle_unexpected)
    app.context_processor(_template_globals)
    app.after_request(_deliver_mail)
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.globals.update(label=label, plan_headline=plan_headline,
                                 plan_details=plan_details)
