"""Every table of the platform, imported in one place so the metadata is complete.

Alembic's autogenerate and the test fixtures import this module; application code imports the
domain modules directly.
"""

from sqlmodel import SQLModel

from marketplace.accounts.models import MerchantOrganization, User
from marketplace.audit.models import AuditChainHead, AuditEntry
from marketplace.authorization.models import ApplicationEvent, AuthorizationApplication
from marketplace.catalog.models import (
    ComplianceReport,
    Listing,
    ListingDatasetGrant,
    ListingOperation,
    PricingPlan,
    Product,
    ReviewDecision,
)
from marketplace.commerce.buyer_requests.models import InvoiceRequest, RefundRequest
from marketplace.commerce.models import (
    BuyerAccount,
    CartItem,
    CommissionRate,
    LedgerEntry,
    Order,
    OrderLine,
    PaymentAttempt,
    PaymentEvent,
    Payout,
    ProcessedWebhook,
    Receipt,
    ServiceQuote,
    Subscription,
    UsageBill,
)
from marketplace.datasets.models import Dataset
from marketplace.delivery.models import Entitlement, UsageRecord
from marketplace.jobs.models import JobEffect, JobRun
from marketplace.monitoring.models import UsageAlert, VersionNotice
from marketplace.notifications.models import Notification, OutboundEmail
from marketplace.plugins.models import InstalledPlugin, PluginIncident
from marketplace.reviews.models import ProductReview
from marketplace.search.models import SearchOutbox

metadata = SQLModel.metadata

__all__ = [
    "ApplicationEvent",
    "AuditChainHead",
    "AuditEntry",
    "AuthorizationApplication",
    "BuyerAccount",
    "CartItem",
    "CommissionRate",
    "ComplianceReport",
    "Dataset",
    "Entitlement",
    "InstalledPlugin",
    "JobEffect",
    "JobRun",
    "InvoiceRequest",
    "LedgerEntry",
    "Listing",
    "ListingDatasetGrant",
    "ListingOperation",
    "MerchantOrganization",
    "Notification",
    "Order",
    "OrderLine",
    "OutboundEmail",
    "PaymentAttempt",
    "PaymentEvent",
    "Payout",
    "PluginIncident",
    "PricingPlan",
    "ProcessedWebhook",
    "Product",
    "ProductReview",
    "Receipt",
    "RefundRequest",
    "ReviewDecision",
    "SearchOutbox",
    "ServiceQuote",
    "Subscription",
    "UsageAlert",
    "UsageBill",
    "UsageRecord",
    "User",
    "VersionNotice",
    "metadata",
]
