"""The platform console's own actions: its dashboard, the audit log and the installed plugins,
all for admins only.

The audit log and the plugin runtime stay free of accounts (they import no domain), so the
console that shows them decides who sees them.
"""

from __future__ import annotations

from marketplace.accounts.rules import is_admin
from marketplace.policy import register

for _action in ("admin.dashboard", "audit.view", "plugin.manage"):
    register(_action, is_admin)
