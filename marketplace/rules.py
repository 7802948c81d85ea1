"""The domains whose authorization rules the policy knows: importing this module registers them.

Each domain decides about its own resources in its ``rules`` module, through
:func:`marketplace.policy.rule`; this is the one list of those modules, imported by
:func:`marketplace.create_app` (and by tests that ask the policy without an app). A new domain
adds its rules module here and edits nothing else.
"""

from __future__ import annotations

from marketplace.accounts import rules as accounts
from marketplace.admin import rules as admin
from marketplace.authorization import rules as authorization
from marketplace.catalog import rules as catalog
from marketplace.commerce import rules as commerce
from marketplace.delivery import rules as delivery
from marketplace.jobs import rules as jobs
from marketplace.monitoring import rules as monitoring
from marketplace.notifications import rules as notifications
from marketplace.plugins import rules as plugins
from marketplace.reviews import rules as reviews

DOMAINS = (accounts, catalog, commerce, authorization, delivery, notifications, reviews, admin,
           monitoring, jobs, plugins)
