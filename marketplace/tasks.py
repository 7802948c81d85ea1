"""The modules that define background job kinds: importing this module registers them.

Each domain keeps its jobs beside the work they do, registered with
:func:`marketplace.jobs.job`; this is the one list of those modules, imported by
:func:`marketplace.jobs.init_app` in the web processes and in every worker, so both know the
same kinds. A new domain with jobs adds its module here.
"""

from __future__ import annotations

from marketplace.commerce.buyer_requests import tasks as refund_request_jobs
from marketplace.delivery import announce as plugin_events
from marketplace.delivery import download_jobs
from marketplace.monitoring import tasks as usage_sweeps
from marketplace.notifications import owner_notices as plugin_owner_notices
from marketplace.notifications import tasks as notification_jobs

MODULES = (plugin_events, download_jobs, notification_jobs, plugin_owner_notices,
           refund_request_jobs, usage_sweeps)
