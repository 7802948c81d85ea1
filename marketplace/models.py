"""Every table of the platform, imported in one place so the metadata is complete.

Alembic's autogenerate and the test fixtures import this module; application code imports the
domain modules directly.
"""

from sqlmodel import SQLModel

from marketplace.accounts.models import MerchantOrganization, User
from marketplace.audit.models import AuditChainHead, AuditEntry
from marketplace.catalog.models import Listing, PricingPlan, Product, ReviewDecision
from marketplace.notifications.models import Notification, OutboundEmail
from marketplace.plugins.models import InstalledPlugin, PluginIncident

metadata = SQLModel.metadata

__all__ = [
    "AuditChainHead",
    "AuditEntry",
    "InstalledPlugin",
    "Listing",
    "MerchantOrganization",
    "Notification",
    "OutboundEmail",
    "PluginIncident",
    "PricingPlan",
    "Product",
    "ReviewDecision",
    "User",
    "metadata",
]
