"""The audit log: the latest entries, and the hash chain verified on request."""

from __future__ import annotations

import json
from typing import Any

from flask import render_template

from marketplace.accounts import services as accounts
from marketplace.admin.views import blp
from marketplace.audit import services as audit
from marketplace.db import get_session
from marketplace.policy import authorize

AUDIT_PAGE_SIZE = 200


def compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str)


def _render_audit(report: audit.ChainReport | None = None):
    db = get_session()
    entries = audit.recent_entries(db, AUDIT_PAGE_SIZE)
    return render_template(
        "admin/audit.html",
        entries=entries,
        actors=accounts.users_by_id(db, (e.actor_id for e in entries)),
        report=report,
        compact_json=compact_json,
        page_size=AUDIT_PAGE_SIZE,
    )


@blp.route("/audit")
def audit_log():
    authorize("audit.view")
    return _render_audit()


@blp.route("/audit/verify", methods=["POST"])
def verify_audit():
    authorize("audit.view")
    # Verifying changes nothing, so the result is shown directly rather than after a redirect.
    return _render_audit(audit.verify_chain(get_session()))
