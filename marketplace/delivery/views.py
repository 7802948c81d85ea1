"""The try-it console's page (``/merchant/operations``): pick one of your operations, run it on
sample input, see its answer or its error as a buyer would."""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    abort,
    jsonify,
    make_response,
    render_template,
    request,
)
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.catalog import operations
from marketplace.catalog.operations import OperationOwner
from marketplace.catalog.schemas_shown import example_payload, pretty_json
from marketplace.db import get_session
from marketplace.delivery import console
from marketplace.delivery.forms import OperationConsoleForm
from marketplace.plugins import get_runtime
from marketplace.plugins import services as plugin_services
from marketplace.plugins.errors import (
    InvocationError,
    OperationNotFound,
    OperationPaused,
    PluginBadInput,
    PluginFault,
    PluginNotFoundError,
    PluginTimeout,
)
from marketplace.plugins.owners import PluginOwner
from marketplace.plugins.runtime import OperationInfo, Snapshot
from marketplace.policy import authorize, check, current_actor
from marketplace.web.errors import problem_response, wants_problem_json

blp = Blueprint("delivery", __name__, template_folder="templates")


def _console_groups(available: list[tuple[OperationInfo, OperationOwner]],
                    actor: User) -> list[tuple[str, list[OperationInfo]]]:
    """The console's operations grouped for its picker: the merchant's own, the platform's,
    and (for admins) every other merchant's."""
    own = [info for info, owner in available
           if not owner.is_platform and owner.organization_id == actor.organization_id]
    platform = [info for info, owner in available if owner.is_platform]
    others = [info for info, _owner in available if info not in own and info not in platform]
    groups = [(_("Your organization's operations"), own), (_("Platform operations"), platform),
              (_("Other merchants' operations"), others)]
    return [(title, infos) for title, infos in groups if infos]


def _console_operation(ref: str | None,
                       snapshot: Snapshot) -> tuple[OperationInfo, OperationOwner]:
    """The operation ``ref`` names, authorized for the current user (404, then 403)."""
    try:
        parsed = operations.parse_operation_ref(ref)
    except ValueError:
        parsed = None
    if parsed is None:
        abort(404)
    # OperationNotFound: a 404 for the caller
    info = get_runtime().operation(*parsed, snapshot=snapshot)
    owner = operations.owner_of(get_session(), info)
    authorize("operation.try", owner)
    return info, owner


def _incident_details(exc: InvocationError, owner: OperationOwner) -> dict[str, str] | None:
    """The real error behind ``exc``'s incident, for the plugin's own organization (and
    admins); None for anyone else, who sees only the incident id, as a buyer does."""
    if not exc.incident or not check("plugin.incident_details", PluginOwner(
            owner.plugin, owner.merchant, owner.organization_id)):
        return None
    incident = plugin_services.find_incident(get_session(), exc.incident)
    if incident is None:
        return None
    return {"incident": incident.incident, "kind": incident.kind, "message": incident.message}


CONSOLE_ERROR_KINDS = {
    PluginBadInput: "bad_input",
    PluginNotFoundError: "not_found",
    OperationNotFound: "unavailable",
    PluginFault: "fault",
    PluginTimeout: "timeout",
    OperationPaused: "paused",
}


@blp.route("/merchant/operations", methods=["GET", "POST"])
def try_operation():
    """Run one of the merchant's operations on sample input, as a buyer's call would run.

    Answers JSON (``{"output": ...}``, or the runtime's problem+json) to a client that asks
    for it. The result is shown directly rather than after a redirect: running an operation
    changes nothing the merchant would reload.
    """
    authorize("operation.try")
    actor = current_actor()
    db = get_session()
    json_wanted = wants_problem_json()
    form = OperationConsoleForm()
    ref = form.operation.data if request.method == "POST" else request.args.get("operation")
    # The plugins' records, read once for the whole call and passed down.
    snapshot = get_runtime().snapshot()
    available = console.console_operations(db, actor, snapshot)
    if not ref and available and request.method == "GET":
        ref = operations.operation_ref(available[0][0].plugin, available[0][0].name)
    selected, owner, unavailable = None, None, None
    if ref:
        try:
            selected, owner = _console_operation(ref, snapshot)
        except OperationNotFound as exc:
            if json_wanted or request.method == "GET":
                raise
            unavailable = exc  # shown on the page, with what the merchant typed
    if request.method == "GET" and selected is not None:
        form.operation.data = ref
        form.payload.data = pretty_json(example_payload(selected))

    page = {"form": form, "groups": _console_groups(available, actor), "selected": selected,
            "details": (operations.AttachedOperation(selected.plugin, selected.name, selected)
                        if selected is not None else None),
            "buyer": console.console_buyer(actor), "output": None, "error": None,
            "elapsed_ms": None}
    if request.method == "GET":
        return render_template("merchant/operations.html", **page)

    if not form.validate():
        if json_wanted:
            return problem_response(422, _("The input cannot be sent: fix it and try again."),
                                    errors=dict(form.errors))
        return render_template("merchant/operations.html", **page), 422
    if unavailable is not None:
        page["error"] = {"kind": "unavailable", "error": unavailable}
        return render_template("merchant/operations.html", **page), unavailable.status_code
    started = time.perf_counter()
    try:
        output = console.try_operation(actor, selected, form.payload_object,
                                          snapshot)
    except InvocationError as exc:
        assert owner is not None  # set with ``selected``
        details = _incident_details(exc, owner)
        if json_wanted:
            if details is None:
                raise  # the app's handler answers problem+json with the incident id
            # The app's problem document, with the error only the owner may read.
            extra = {"retry_after": exc.retry_after} if exc.retry_after else {}
            response = problem_response(exc.status_code, str(exc), incident=exc.incident,
                                        incident_error=details["message"], **extra)
            if exc.retry_after:
                response.headers["Retry-After"] = str(exc.retry_after)
            return response
        page["error"] = {"kind": CONSOLE_ERROR_KINDS.get(type(exc), "fault"), "error": exc,
                         "details": details}
        response = make_response(render_template("merchant/operations.html", **page),
                                 exc.status_code)
        if exc.retry_after:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if json_wanted:
        return jsonify(output=output)
    page["output"] = pretty_json(output)
    page["elapsed_ms"] = round((time.perf_counter() - started) * 1000)
    return render_template("merchant/operations.html", **page)
