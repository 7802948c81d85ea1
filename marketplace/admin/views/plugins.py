"""Plugins: enabling, disabling, trusting them to run inside the platform or not."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from marketplace.admin.forms import PluginStateForm, PluginTrustForm
from marketplace.admin.views import blp
from marketplace.db import get_session
from marketplace.errors import DomainError
from marketplace.plugins import get_runtime
from marketplace.plugins import services as plugin_services
from marketplace.plugins.models import InstalledPlugin, PluginState
from marketplace.policy import authorize, current_actor
from marketplace.web.forms import errors_text


@blp.route("/plugins")
def plugins():
    authorize("plugin.manage")
    runtime = get_runtime()
    runtime.sync()
    db = get_session()
    rows = plugin_services.installed(db)
    return render_template(
        "admin/plugins.html",
        plugins=rows,
        breakers={row.name: runtime.breaker_states(row.name) for row in rows},
        incidents=plugin_services.recent_incidents(db),
    )


def _plugin_or_404(plugin_name: str) -> InstalledPlugin:
    get_runtime().sync()
    plugin = plugin_services.find(get_session(), plugin_name)
    if plugin is None:
        abort(404)
    return plugin


@blp.route("/plugins/<plugin_name>/state", methods=["POST"])
def plugin_state(plugin_name: str):
    plugin = _plugin_or_404(plugin_name)
    authorize("plugin.manage", plugin)
    form = PluginStateForm()
    if not form.validate_on_submit():
        flash(errors_text(form.state), "error")
        return redirect(url_for("admin.plugins"))
    db = get_session()
    try:
        plugin_services.set_state(db, current_actor(), plugin, form.state.data)
        db.commit()
    except DomainError as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.plugins"))
    if plugin.state == PluginState.ENABLED:
        flash(_("%(name)s is enabled; its operations are available again.", name=plugin.name),
              "success")
    else:
        get_runtime().release_worker(plugin.name)
        flash(_("%(name)s is disabled; its operations are unavailable until you enable it.",
                name=plugin.name), "success")
    return redirect(url_for("admin.plugins"))


@blp.route("/plugins/<plugin_name>/trust", methods=["POST"])
def plugin_trust(plugin_name: str):
    plugin = _plugin_or_404(plugin_name)
    authorize("plugin.manage", plugin)
    form = PluginTrustForm()
    if not form.validate_on_submit():
        flash(errors_text(form.trusted), "error")
        return redirect(url_for("admin.plugins"))
    db = get_session()
    try:
        plugin_services.set_trusted(db, current_actor(), plugin, form.trusted.data == "yes")
        db.commit()
    except DomainError as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.plugins"))
    if plugin.trusted:
        get_runtime().release_worker(plugin.name)
        flash(_("%(name)s is trusted: it now runs inside the platform.", name=plugin.name),
              "success")
    else:
        flash(_("%(name)s is no longer trusted: it now runs in a separate worker process with "
                "limited CPU time and memory.", name=plugin.name), "success")
    return redirect(url_for("admin.plugins"))
