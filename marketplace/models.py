"""Imports every model so that SQLAlchemy's metadata (and so Alembic) sees every table."""

from marketplace.accounts.models import Invitation, Representation, Tenant, TenantArea, User
from marketplace.audit import AuditEvent
from marketplace.bookings.models import (
    Booking,
    BookingEvent,
    CalendarFeed,
    Occurrence,
    Offer,
    Review,
    RotaSlot,
)
from marketplace.commissioning.models import (
    Alert,
    ReportRollup,
    SearchEventDaily,
    SearchEventWeekly,
)
from marketplace.conversations.models import (
    Conversation,
    ConversationRead,
    ConversationReport,
    Message,
    ProviderBlock,
)
from marketplace.directory.models import (
    AvailabilityException,
    AvailabilityRule,
    Category,
    CqcLocation,
    Listing,
    Provider,
    ProviderMember,
)
from marketplace.mail import OutboundEmail
from marketplace.meetings.models import Meeting, MeetingTime
from marketplace.payments.models import (
    Allocation,
    ConnectAccount,
    Hold,
    LedgerAccount,
    LedgerTransfer,
    Payout,
    PayoutRun,
    Pot,
    SpendRefusal,
    StripeEvent,
    TopUp,
)
from marketplace.saved_searches.models import SavedSearch, SavedSearchTold
from marketplace.search.models import SearchEvent, SearchOutbox
from marketplace.sent_forms import SentForm
from marketplace.worker.models import JobRun
from provider_onboarding.models import (
    ProviderBankDetails,
    ProviderChecks,
    ProviderDocument,
    VerificationDecision,
    Worker,
    WorkerAvailability,
)

__all__ = [
    "SavedSearch",
    "SavedSearchTold",
    "Conversation",
    "ConversationRead",
    "ConversationReport",
    "Message",
    "ProviderBlock",
    "Meeting",
    "MeetingTime",
    "SentForm",
    "Alert",
    "Booking",
    "BookingEvent",
    "CalendarFeed",
    "Review",
    "Occurrence",
    "Offer",
    "RotaSlot",
    "Allocation",
    "ConnectAccount",
    "Hold",
    "Payout",
    "PayoutRun",
    "SpendRefusal",
    "StripeEvent",
    "TopUp",
    "Pot",
    "ReportRollup",
    "SearchEventDaily",
    "SearchEventWeekly",
    "AuditEvent",
    "AvailabilityException",
    "AvailabilityRule",
    "Category",
    "CqcLocation",
    "Invitation",
    "JobRun",
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
    "SearchEvent",
    "SearchOutbox",
    "SearchEvent",
    "SearchOutbox",
    "Tenant",
    "TenantArea",
    "User",
]
