"""Imports every model so that SQLAlchemy's metadata (and so Alembic) sees every table."""

from marketplace.accounts.models import Invitation, Representation, Tenant, TenantArea, User
from marketplace.audit import AuditEvent
from marketplace.directory.models import (
    AvailabilityException,
    AvailabilityRule,
    Category,
    CqcLocation,
    Listing,
    Provider,
    ProviderBankDetails,
    ProviderChecks,
    ProviderDocument,
    ProviderMember,
    VerificationDecision,
    Worker,
    WorkerAvailability,
)
from marketplace.mail import OutboundEmail
from marketplace.payments.models import Allocation, LedgerAccount, LedgerTransfer, Pot

__all__ = [
    "Allocation",
    "Pot",
    "AuditEvent",
    "AvailabilityException",
    "AvailabilityRule",
    "Category",
    "CqcLocation",
    "Invitation",
    "LedgerAccount",
    "LedgerTransfer",
    "Listing",
    "OutboundEmail",
    "Provider",
    "ProviderBankDetails",
    "ProviderChecks",
    "ProviderDocument",
    "ProviderMember",
    "VerificationDecision",
    "Worker",
    "WorkerAvailability",
    "Representation",
    "Tenant",
    "TenantArea",
    "User",
]
