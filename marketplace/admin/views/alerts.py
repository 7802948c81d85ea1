"""Abnormal-use alerts: the open ones (or closed, or all), one with its evidence and the key,
and closing it (lifting the key's suspension when the use was legitimate)."""

from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from marketplace.accounts import services as accounts
from marketplace.admin.forms import CloseAlertForm
from marketplace.admin.views import blp, get_or_404
from marketplace.db import get_session
from marketplace.delivery.models import ApiKey
from marketplace.errors import DomainError
from marketplace.monitoring import alerts
from marketplace.monitoring.models import AlertState, UsageAlert
from marketplace.policy import authorize, current_actor

STATES = {"open": AlertState.OPEN, "closed": AlertState.CLOSED, "all": None}


@blp.route("/alerts")
def usage_alerts():
    """Abnormal-use alerts, newest first (open ones unless ``?state=closed`` or ``all``)."""
    authorize("usage_alert.view")
    state = request.args.get("state", "open")
    if state not in STATES:
        abort(404)
    db = get_session()
    rows = alerts.listed(db, STATES[state])
    return render_template("admin/alerts.html", alerts=rows, state=state,
                           keys=alerts.keys_of(db, rows), rule_labels=alerts.RULE_LABELS,
                           buyers=accounts.users_by_id(db, (a.buyer_id for a in rows)),
                           page_size=alerts.PAGE_SIZE)


@blp.route("/alerts/<int:alert_id>")
def usage_alert(alert_id: int):
    """One alert with its evidence, its key and buyer, and the form to close it."""
    alert = get_or_404(UsageAlert, alert_id)
    authorize("usage_alert.view", alert)
    return _alert_page(alert, CloseAlertForm())


def _alert_page(alert: UsageAlert, form: CloseAlertForm, status: int = 200):
    db = get_session()
    people = accounts.users_by_id(db, (alert.buyer_id, alert.closed_by_id))
    return render_template(
        "admin/alert.html", alert=alert, form=form, key=db.get(ApiKey, alert.api_key_id),
        buyer=people.get(alert.buyer_id), closed_by=people.get(alert.closed_by_id),
        rule_label=alerts.RULE_LABELS.get(alert.rule, alert.rule),
        evidence=json.dumps(alert.evidence, ensure_ascii=False, indent=2, sort_keys=True)), status


@blp.route("/alerts/<int:alert_id>/close", methods=["POST"])
def close_usage_alert(alert_id: int):
    """Close the alert with the admin's note."""
    alert = get_or_404(UsageAlert, alert_id)
    authorize("usage_alert.close", alert)
    form = CloseAlertForm()
    if not form.validate():
        return _alert_page(alert, form, 422)
    db = get_session()
    try:
        alerts.close(db, alert, actor_id=current_actor().id, note=form.note.data or "",
                     lift_suspension=bool(form.lift_suspension.data))
    except DomainError as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.usage_alert", alert_id=alert_id))
    db.commit()
    flash(_("Alert %(id)d is closed.", id=alert_id), "success")
    return redirect(url_for("admin.usage_alerts"))
