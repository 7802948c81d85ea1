"""The notifications page behind the bell."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for

from marketplace.db import get_session
from marketplace.notifications import services
from marketplace.notifications.models import Notification
from marketplace.policy import authorize, current_actor

blp = Blueprint("notifications", __name__, template_folder="templates")


@blp.route("/notifications")
def index():
    authorize("notification.list")
    user = current_actor()
    items = services.recent(get_session(), user.id)
    return render_template(
        "notifications/index.html", items=items, render_notification=services.render
    )


@blp.route("/notifications/<int:notification_id>/open", methods=["POST"])
def open_one(notification_id: int):
    db = get_session()
    notification = db.get(Notification, notification_id)
    if notification is None:
        abort(404)
    authorize("notification.read", notification)
    services.mark_read(db, notification.user_id, notification.id)
    db.commit()
    return redirect(notification.link or url_for("notifications.index"))


@blp.route("/notifications/read-all", methods=["POST"])
def read_all():
    authorize("notification.list")
    db = get_session()
    services.mark_read(db, current_actor().id)
    db.commit()
    return redirect(url_for("notifications.index"))
