"""Who may open what: every route of the app, for every role, in one table.

Each row is (method, rule) → the status each role gets, in the order of ROLES. A route added to the
app without a row here fails `test_every_route_has_a_row`, so the table stays complete. URL
parameters are filled with real objects from `build_world`. The browser tour (tests/browser)
visits every GET page whose status is 200 for a role, so a new page joins the tour with its row.

What the statuses mean: 200 a page; 302 a redirect (anonymous people are sent to sign in; forms that
succeed redirect); 400 a form sent empty or a link that no longer works; 403 signed in but the role
may not; 404 the object is not one this person may know about; 405 the method is not offered.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, time, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule
from werkzeug.security import generate_password_hash

from marketplace.accounts.models import (
    ConsentMethod,
    Invitation,
    Representation,
    Role,
    Tenant,
    TenantArea,
    TenantKind,
    User,
)
from marketplace.directory.models import (
    AvailabilityException,
    AvailabilityRule,
    DeliveryMode,
    Listing,
    ListingStatus,
    PriceUnit,
    Provider,
    ProviderKind,
    ProviderMember,
    ProviderMemberRole,
    VerificationStatus,
)
from marketplace.extensions import db
from marketplace.models_base import utcnow
from provider_onboarding.models import DocumentKind, ProviderDocument, Worker, WorkerAvailability
from tests.factories import add_category

ROLES = ("anonymous", "holder", "representative", "provider", "commissioner", "admin")
PASSWORD = "correct horse battery"
IGNORED_ENDPOINTS = {"static"}
# Real scrypt, with a small work factor: some 250 sign-ins per run stay quick.
PASSWORD_HASH = generate_password_hash(PASSWORD, method="scrypt:4096:8:1")

#                                                 anon  holder repr  prov  comm  admin
ACCESS: dict[tuple[str, str], tuple[int, int, int, int, int, int]] = {
    # Public pages
    ("GET", "/"):                                   (200, 200, 200, 200, 200, 200),
    ("GET", "/accessibility"):                      (200, 200, 200, 200, 200, 200),
    ("GET", "/data-sources"):                       (200, 200, 200, 200, 200, 200),
    ("GET", "/favicon.ico"):                        (301, 301, 301, 301, 301, 301),
    ("GET", "/dashboard"):                          (302, 302, 302, 302, 302, 302),
    ("GET", "/listings/<int:listing_id>"):          (200, 200, 200, 200, 200, 200),
    ("GET", "/providers/<int:provider_id>"):        (200, 200, 200, 200, 200, 200),
    ("GET", "/search"):                             (200, 200, 200, 200, 200, 200),
    ("GET", "/search.json"):                        (200, 200, 200, 200, 200, 200),
    ("GET", "/healthz"):                            (200, 200, 200, 200, 200, 200),
    ("GET", "/readyz"):                             (200, 200, 200, 200, 200, 200),
    # Signing in, passwords, invitations
    ("GET", "/sign-in"):                            (200, 302, 302, 302, 302, 302),
    ("POST", "/sign-in"):                           (400, 302, 302, 302, 302, 302),
    ("POST", "/sign-out"):                          (302, 302, 302, 302, 302, 302),
    ("GET", "/forgot-password"):                    (200, 200, 200, 200, 200, 200),
    ("POST", "/forgot-password"):                   (400, 400, 400, 400, 400, 400),
    ("GET", "/reset-password/<token>"):             (200, 200, 200, 200, 200, 200),
    ("POST", "/reset-password/<token>"):            (400, 400, 400, 400, 400, 400),
    ("GET", "/invitations/<token>"):                (200, 200, 200, 200, 200, 200),
    ("POST", "/invitations/<token>"):               (400, 400, 400, 400, 400, 400),
    # Saved searches: budget holders and representatives, each their own (the world's is the
    # holder's); /search/save with no search to save is a 400
    ("GET", "/search/save"):                        (302, 400, 400, 403, 403, 403),
    ("POST", "/search/save"):                       (302, 400, 400, 403, 403, 403),
    ("GET", "/saved-searches"):                     (302, 200, 200, 403, 403, 403),
    ("POST", "/saved-searches/<int:saved_search_id>/alerts"):  (302, 400, 404, 403, 403, 403),
    ("GET", "/saved-searches/<int:saved_search_id>/rename"):   (302, 200, 404, 403, 403, 403),
    ("POST", "/saved-searches/<int:saved_search_id>/rename"):  (302, 400, 404, 403, 403, 403),
    ("GET", "/saved-searches/<int:saved_search_id>/delete"):   (302, 200, 404, 403, 403, 403),
    # Deleting is answered alike whoever asks: a search already gone, or never yours, is gone
    ("POST", "/saved-searches/<int:saved_search_id>/delete"):  (302, 302, 302, 403, 403, 403),
    # Your account and representatives
    ("GET", "/account"):                            (302, 200, 200, 200, 200, 200),
    ("GET", "/account/password"):                   (302, 200, 200, 200, 200, 200),
    ("POST", "/account/password"):                  (302, 400, 400, 400, 400, 400),
    ("GET", "/account/representatives/new"):        (302, 200, 403, 403, 404, 403),
    ("POST", "/account/representatives/new"):       (302, 400, 403, 403, 404, 403),
    ("GET", "/holders/<int:holder_id>/representatives/new"):  (302, 404, 403, 403, 200, 403),
    ("POST", "/holders/<int:holder_id>/representatives/new"): (302, 404, 403, 403, 400, 403),
    ("GET", "/representations/<int:representation_id>/revoke"):  (302, 200, 200, 404, 200, 404),
    ("POST", "/representations/<int:representation_id>/revoke"): (302, 302, 302, 404, 302, 404),
    # Budget holders and representatives
    ("GET", "/bookings/dashboard"):                 (302, 200, 200, 403, 403, 403),
    ("GET", "/payments/"):                          (302, 302, 200, 403, 403, 403),
    ("GET", "/payments/holders/<int:holder_id>"):   (302, 200, 200, 403, 200, 403),
    ("GET", "/payments/pots/<int:pot_id>"):         (302, 200, 200, 403, 200, 403),
    ("GET", "/payments/pots/<int:pot_id>/statement.csv"): (302, 200, 200, 403, 200, 403),
    ("GET", "/payments/pots/<int:pot_id>/top-up"):  (302, 200, 200, 403, 403, 403),
    ("POST", "/payments/pots/<int:pot_id>/top-up"): (302, 400, 400, 403, 403, 403),
    ("GET", "/payments/top-ups/<int:top_up_id>"):   (302, 200, 200, 403, 403, 403),
    ("POST", "/payments/top-ups/<int:top_up_id>/refund"): (302, 302, 302, 403, 403, 403),
    ("POST", "/payments/stripe/webhook"):           (404, 404, 404, 404, 404, 404),
    # Providers
    ("GET", "/provider/register"):                  (200, 200, 200, 200, 200, 200),
    ("POST", "/provider/register"):                 (400, 400, 400, 400, 400, 400),
    # A provider listed from the CQC register that nobody has claimed: anyone may claim it.
    ("GET", "/provider/claim/<int:unclaimed_id>"):  (200, 200, 200, 200, 200, 200),
    ("POST", "/provider/claim/<int:unclaimed_id>"): (400, 400, 400, 400, 400, 400),
    ("GET", "/provider/"):                          (302, 403, 403, 200, 403, 403),
    ("GET", "/payments/provider"):                  (302, 403, 403, 200, 403, 403),
    ("POST", "/payments/provider/stripe"):          (302, 403, 403, 302, 403, 403),
    ("GET", "/provider/details"):                   (302, 403, 403, 200, 403, 403),
    ("POST", "/provider/details"):                  (302, 403, 403, 400, 403, 403),
    ("GET", "/provider/checks"):                    (302, 403, 403, 200, 403, 403),
    ("POST", "/provider/checks"):                   (302, 403, 403, 400, 403, 403),
    ("POST", "/provider/checks/submit"):            (302, 403, 403, 302, 403, 403),
    ("GET", "/provider/documents"):                 (302, 403, 403, 200, 403, 403),
    ("POST", "/provider/documents"):                (302, 403, 403, 400, 403, 403),
    # The world's document has no file on disk; tests/provider_onboarding/test_documents.py
    # checks who may download a real one.
    ("GET", "/provider/documents/<int:document_id>"):          (302, 403, 403, 404, 404, 404),
    ("POST", "/provider/documents/<int:document_id>/delete"):  (302, 403, 403, 302, 403, 403),
    ("GET", "/provider/listings/new"):              (302, 403, 403, 200, 403, 403),
    ("POST", "/provider/listings/new"):             (302, 403, 403, 400, 403, 403),
    ("GET", "/provider/listings/<int:listing_id>/edit"):          (302, 403, 403, 200, 403, 403),
    ("POST", "/provider/listings/<int:listing_id>/edit"):         (302, 403, 403, 400, 403, 403),
    ("GET", "/provider/listings/<int:listing_id>/availability"):  (302, 403, 403, 200, 403, 403),
    ("POST", "/provider/listings/<int:listing_id>/availability"): (302, 403, 403, 400, 403, 403),
    ("POST", "/provider/listings/<int:listing_id>/availability/<int:rule_id>/delete"): (302, 403, 403, 302, 403, 403),  # noqa: E501
    ("POST", "/provider/listings/<int:listing_id>/days-off"):     (302, 403, 403, 400, 403, 403),
    ("POST", "/provider/listings/<int:listing_id>/days-off/<int:exception_id>/delete"): (302, 403, 403, 302, 403, 403),  # noqa: E501
    ("POST", "/provider/listings/<int:listing_id>/publish"):      (302, 403, 403, 302, 403, 403),
    ("POST", "/provider/listings/<int:listing_id>/unpublish"):    (302, 403, 403, 302, 403, 403),
    ("GET", "/provider/bank-details"):              (302, 403, 403, 200, 403, 403),
    ("POST", "/provider/bank-details"):             (302, 403, 403, 400, 403, 403),
    ("GET", "/provider/team"):                      (302, 403, 403, 200, 403, 403),
    ("POST", "/provider/team/staff"):               (302, 403, 403, 400, 403, 403),
    ("POST", "/provider/team/workers"):             (302, 403, 403, 400, 403, 403),
    ("POST", "/provider/team/staff/<int:member_id>/remove"): (302, 403, 403, 302, 403, 403),
    ("POST", "/provider/team/workers/<int:worker_id>/times/<int:window_id>/delete"): (302, 403, 403, 302, 403, 403),  # noqa: E501
    ("POST", "/provider/team/workers/<int:worker_id>/remove"): (302, 403, 403, 302, 403, 403),
    ("GET", "/provider/team/workers/<int:worker_id>"):   (302, 403, 403, 200, 403, 403),
    ("POST", "/provider/team/workers/<int:worker_id>"):  (302, 403, 403, 400, 403, 403),
    # Bulk import of listings: a provider into its own (the world's), an admin into any
    ("GET", "/provider/<int:provider_id>/import"):            (302, 403, 403, 200, 403, 200),
    ("POST", "/provider/<int:provider_id>/import"):           (302, 403, 403, 400, 403, 400),
    ("POST", "/provider/<int:provider_id>/import/apply"):     (302, 403, 403, 400, 403, 400),
    # Checking providers: commissioners (their own tenant's) and admins
    ("GET", "/provider/verification/"):             (302, 403, 403, 403, 200, 200),
    ("GET", "/provider/verification/<int:provider_id>"):   (302, 403, 403, 403, 200, 200),
    ("POST", "/provider/verification/<int:provider_id>"):  (302, 403, 403, 403, 400, 400),
    # Commissioners
    ("GET", "/commissioning/"):                     (302, 403, 403, 403, 200, 403),
    ("GET", "/commissioning/holders/<int:holder_id>"):  (302, 403, 403, 403, 200, 403),
    ("POST", "/commissioning/holders/invite"):      (302, 403, 403, 403, 400, 403),
    ("POST", "/commissioning/staff/invite"):        (302, 403, 403, 403, 400, 403),
    ("POST", "/commissioning/invitations/<int:invitation_id>/withdraw"): (302, 403, 403, 403, 302, 403),  # noqa: E501
    # Commissioners: alerts (marketplace/commissioning/alert_views.py)
    ("GET", "/commissioning/alerts/"):              (302, 403, 403, 403, 200, 403),
    ("GET", "/commissioning/alerts/<int:alert_id>"):  (302, 403, 403, 403, 200, 403),
    ("POST", "/commissioning/alerts/<int:alert_id>/acknowledge"): (302, 403, 403, 403, 400, 403),
    # Commissioners: market gap report (marketplace/commissioning/market_views.py)
    ("GET", "/commissioning/market/"):              (302, 403, 403, 403, 200, 403),
    ("GET", "/commissioning/market/cells"):         (302, 403, 403, 403, 200, 403),
    ("GET", "/commissioning/market/<table>.csv"):   (302, 403, 403, 403, 200, 403),
    ("GET", "/payments/holders/<int:holder_id>/pots/new"):  (302, 403, 403, 403, 200, 403),
    ("POST", "/payments/holders/<int:holder_id>/pots/new"): (302, 403, 403, 403, 400, 403),
    ("GET", "/payments/pots/<int:pot_id>/fund"):    (302, 403, 403, 403, 200, 403),
    ("POST", "/payments/pots/<int:pot_id>/fund"):   (302, 403, 403, 403, 400, 403),
    ("GET", "/payments/refusals"):                  (302, 403, 403, 403, 200, 403),
    ("GET", "/payments/payout-runs"):               (302, 403, 403, 403, 200, 403),
    ("GET", "/payments/payout-runs/<int:run_id>"):  (302, 403, 403, 403, 200, 403),
    ("GET", "/payments/payout-runs/<int:run_id>/payments.csv"): (302, 403, 403, 403, 200, 403),
    ("POST", "/payments/payout-runs/<int:run_id>/confirm"): (302, 403, 403, 403, 302, 403),
    # Bookings
    ("GET", "/bookings/new/<int:listing_id>"):      (302, 200, 200, 403, 403, 403),
    ("POST", "/bookings/new/<int:listing_id>"):     (302, 400, 400, 403, 403, 403),
    ("GET", "/bookings/<int:booking_id>/sent"):     (302, 200, 200, 403, 403, 403),
    ("GET", "/bookings/<int:booking_id>"):          (302, 200, 200, 200, 200, 404),
    ("POST", "/bookings/<int:booking_id>/accept"):  (302, 403, 403, 302, 403, 403),
    ("GET", "/bookings/<int:booking_id>/decline"):  (302, 403, 403, 200, 403, 403),
    ("POST", "/bookings/<int:booking_id>/decline"): (302, 403, 403, 400, 403, 403),
    ("GET", "/bookings/<int:booking_id>/cancel"):   (302, 200, 200, 200, 200, 404),
    ("POST", "/bookings/<int:booking_id>/cancel"):  (302, 400, 400, 400, 400, 404),
    ("GET", "/bookings/<int:booking_id>/offer"):    (302, 403, 403, 200, 403, 403),
    ("POST", "/bookings/<int:booking_id>/offer"):   (302, 403, 403, 400, 403, 403),
    ("POST", "/bookings/offers/<int:offer_id>/<any(accept, decline):answer>"): (302, 302, 302, 403, 403, 403),  # noqa: E501
    ("GET", "/bookings/sessions/<int:occurrence_id>/delivered"):  (302, 403, 403, 200, 403, 403),
    ("POST", "/bookings/sessions/<int:occurrence_id>/delivered"): (302, 403, 403, 400, 403, 403),
    ("POST", "/bookings/sessions/<int:occurrence_id>/confirm"):   (302, 302, 302, 403, 403, 403),
    ("GET", "/bookings/sessions/<int:occurrence_id>/dispute"):    (302, 200, 200, 403, 403, 403),
    ("POST", "/bookings/sessions/<int:occurrence_id>/dispute"):   (302, 400, 400, 403, 403, 403),
    ("GET", "/bookings/sessions/<int:occurrence_id>/resolve"):    (302, 403, 403, 403, 200, 403),
    ("POST", "/bookings/sessions/<int:occurrence_id>/resolve"):   (302, 403, 403, 403, 409, 403),
    ("GET", "/bookings/today"):                     (302, 403, 403, 200, 403, 403),
    ("GET", "/bookings/sessions/<int:occurrence_id>/marks"): (302, 403, 403, 200, 403, 403),
    ("POST", "/bookings/sessions/<int:occurrence_id>/<any(arrived, left):mark>"): (302, 403, 403, 302, 403, 403),  # noqa: E501
    ("GET", "/bookings/inbox"):                     (302, 403, 403, 200, 403, 403),
    ("GET", "/bookings/calendar"):                  (302, 200, 200, 200, 403, 403),
    ("POST", "/bookings/calendar/new-address"):     (302, 302, 302, 302, 403, 403),
    ("GET", "/bookings/calendar/<token>.ics"):      (200, 200, 200, 200, 200, 200),
    ("GET", "/bookings/<int:booking_id>/review"):   (302, 302, 302, 403, 403, 403),
    ("POST", "/bookings/<int:booking_id>/review"):  (302, 302, 302, 403, 403, 403),
    ("GET", "/bookings/reviews/<int:review_id>/reply"):  (302, 403, 403, 200, 403, 403),
    ("POST", "/bookings/reviews/<int:review_id>/reply"): (302, 403, 403, 400, 403, 403),
    ("POST", "/bookings/reviews/<int:review_id>/<any(hide, restore):action>"): (302, 403, 403, 403, 302, 302),  # noqa: E501
    # Conversations: the world's is reported, so its council's commissioners and admins may read it
    ("GET", "/messages/"):                          (302, 200, 200, 200, 403, 403),
    ("GET", "/messages/reported"):                  (302, 403, 403, 403, 200, 200),
    ("GET", "/messages/<int:conversation_id>"):     (302, 200, 200, 200, 200, 200),
    ("POST", "/messages/<int:conversation_id>"):    (302, 400, 400, 400, 403, 403),
    ("GET", "/messages/ask/<int:listing_id>"):      (302, 200, 200, 403, 403, 403),
    ("POST", "/messages/ask/<int:listing_id>"):     (302, 400, 400, 403, 403, 403),
    ("GET", "/messages/about-booking/<int:booking_id>"):  (302, 302, 302, 302, 403, 403),
    ("POST", "/messages/about-booking/<int:booking_id>"): (302, 400, 400, 400, 403, 403),
    ("GET", "/messages/<int:conversation_id>/report"):    (302, 200, 200, 200, 403, 403),
    ("POST", "/messages/<int:conversation_id>/report"):   (302, 400, 400, 400, 403, 403),
    ("GET", "/messages/<int:conversation_id>/report/sent"): (302, 200, 200, 200, 403, 403),
    ("GET", "/messages/<int:conversation_id>/block"):     (302, 200, 200, 403, 403, 403),
    ("POST", "/messages/<int:conversation_id>/block"):    (302, 302, 302, 403, 403, 403),
    ("POST", "/messages/<int:conversation_id>/unblock"):  (302, 302, 302, 403, 403, 403),
    # Open Referral UK read API (JSON)
    ("GET", "/openreferral/"):                      (200, 200, 200, 200, 200, 200),
    # Open Referral UK: the rest of the read API (marketplace/api/views.py)
    ("GET", "/openreferral/services"):              (200, 200, 200, 200, 200, 200),
    ("GET", "/openreferral/services/<service_id>"): (200, 200, 200, 200, 200, 200),
    ("GET", "/openreferral/service_at_locations"):  (200, 200, 200, 200, 200, 200),
    ("GET", "/openreferral/service_at_locations/<service_at_location_id>"): (200, 200, 200, 200, 200, 200),  # noqa: E501
    ("GET", "/openreferral/organizations"):         (200, 200, 200, 200, 200, 200),
    ("GET", "/openreferral/organizations/<organization_id>"): (200, 200, 200, 200, 200, 200),
    ("GET", "/openreferral/taxonomies"):            (200, 200, 200, 200, 200, 200),
    ("GET", "/openreferral/taxonomies/<taxonomy_id>"): (200, 200, 200, 200, 200, 200),
    ("GET", "/openreferral/taxonomy_terms"):        (200, 200, 200, 200, 200, 200),
    ("GET", "/openreferral/taxonomy_terms/<taxonomy_term_id>"): (200, 200, 200, 200, 200, 200),
    ("GET", "/openreferral/<path:path>"):           (404, 404, 404, 404, 404, 404),
    ("DELETE", "/openreferral/"):                   (405, 405, 405, 405, 405, 405),
    ("DELETE", "/openreferral/<path:path>"):        (405, 405, 405, 405, 405, 405),
    ("PATCH", "/openreferral/"):                    (405, 405, 405, 405, 405, 405),
    ("PATCH", "/openreferral/<path:path>"):         (405, 405, 405, 405, 405, 405),
    ("POST", "/openreferral/"):                     (405, 405, 405, 405, 405, 405),
    ("POST", "/openreferral/<path:path>"):          (405, 405, 405, 405, 405, 405),
    ("PUT", "/openreferral/"):                      (405, 405, 405, 405, 405, 405),
    ("PUT", "/openreferral/<path:path>"):           (405, 405, 405, 405, 405, 405),
    ("TRACE", "/openreferral/"):                   (405, 405, 405, 405, 405, 405),
    ("TRACE", "/openreferral/<path:path>"):         (405, 405, 405, 405, 405, 405),
    # First meetings (free; never a booking)
    ("GET", "/meetings/"):                          (302, 200, 200, 200, 403, 403),
    ("GET", "/meetings/new/<int:listing_id>"):      (302, 200, 200, 403, 403, 403),
    ("POST", "/meetings/new/<int:listing_id>"):     (302, 400, 400, 403, 403, 403),
    ("GET", "/meetings/<int:meeting_id>"):          (302, 200, 200, 200, 404, 404),
    ("POST", "/meetings/<int:meeting_id>/choose"):  (302, 403, 403, 400, 403, 403),
    ("GET", "/meetings/<int:meeting_id>/suggest"):  (302, 403, 403, 200, 403, 403),
    ("POST", "/meetings/<int:meeting_id>/suggest"): (302, 403, 403, 400, 403, 403),
    ("POST", "/meetings/<int:meeting_id>/<any(accept, decline):answer>"): (302, 302, 302, 403, 403, 403),  # noqa: E501
    ("GET", "/meetings/<int:meeting_id>/cancel"):   (302, 200, 200, 200, 404, 404),
    ("POST", "/meetings/<int:meeting_id>/cancel"):  (302, 302, 302, 302, 404, 404),
    # Administrators
    ("GET", "/admin/"):                             (302, 403, 403, 403, 403, 200),
    ("GET", "/admin/tenants/new"):                  (302, 403, 403, 403, 403, 200),
    ("POST", "/admin/tenants/new"):                 (302, 403, 403, 403, 403, 400),
    ("GET", "/admin/tenants/<int:tenant_id>"):      (302, 403, 403, 403, 403, 200),
    ("POST", "/admin/tenants/<int:tenant_id>"):     (302, 403, 403, 403, 403, 400),
    ("GET", "/admin/users"):                        (302, 403, 403, 403, 403, 200),
    ("POST", "/admin/users/<int:user_id>/active"):  (302, 403, 403, 403, 403, 302),
    ("GET", "/admin/audit"):                        (302, 403, 403, 403, 403, 200),
    ("GET", "/admin/jobs/"):                        (302, 403, 403, 403, 403, 200),
}  # fmt: skip


@dataclass
class World:
    """One of everything a route can point at, in one commissioning body."""

    users: dict[str, User]
    tenant: Tenant
    provider: Provider
    listing: Listing
    representation: Representation
    invitation: Invitation
    invitation_token: str
    reset_token: str
    # Ids of onboarding objects (availability, days off, workers, documents) by URL parameter.
    more_ids: dict[str, object] = field(default_factory=dict)
    calendar_token: str = ""

    def url_values(self) -> dict[str, object]:
        from marketplace.api import ids
        from marketplace.directory.taxonomy import TAXONOMY_ID

        return {
            "holder_id": self.users["holder"].id,
            "user_id": self.users["holder"].id,
            "tenant_id": self.tenant.id,
            "provider_id": self.provider.id,
            "listing_id": self.listing.id,
            "representation_id": self.representation.id,
            "invitation_id": self.invitation.id,
            "token": self.invitation_token,
            "answer": "accept",
            "mark": "arrived",
            "action": "hide",
            "table": "gaps",
            # Open Referral UK ids of the world's published listing and its provider
            "service_id": ids.row_uuid("service", self.listing.id),
            "service_at_location_id": ids.row_uuid("service_at_location", self.listing.id),
            "organization_id": ids.row_uuid("organization", self.provider.id),
            "taxonomy_id": TAXONOMY_ID,
            "path": "no-such-endpoint",
            **self.more_ids,
        }

    def url_for_rule(self, rule: Rule) -> str:
        values = self.url_values()
        if rule.endpoint == "accounts.reset_password":
            values["token"] = self.reset_token
        if rule.endpoint == "bookings.ical":
            values["token"] = self.calendar_token
        missing = rule.arguments - set(values)
        assert not missing, f"{rule.rule}: add a real object for {sorted(missing)} to World"
        url = rule.rule
        for name in rule.arguments:
            converter = rule._converters[name]  # the rule's own converter turns the value into text
            url = url.replace(f"<{_placeholder(rule, name)}>", converter.to_url(values[name]))
        return url


def _placeholder(rule: Rule, name: str) -> str:
    for part in rule.rule.split("<")[1:]:
        inside = part.split(">", 1)[0]
        if inside.split(":")[-1] == name:
            return inside
    raise AssertionError(f"{rule.rule}: no placeholder for {name}")


def build_world() -> World:
    """Create the people of every role and the objects their pages show. Needs an app context."""
    from marketplace.accounts import services
    from marketplace.api import ids as api_ids

    hashed = PASSWORD_HASH
    tenant = Tenant(name="Oldham Council", kind=TenantKind.COUNCIL)
    tenant.areas = [TenantArea(gss_code="E08000004", name="Oldham")]
    db.session.add(tenant)
    db.session.flush()

    def person(role: str, tenant_id: int | None) -> User:
        user = User(
            email=f"{role}@example.org",
            full_name=f"{role.title()} Person",
            role=Role.HOLDER if role == "holder" else Role(role),
            tenant_id=tenant_id,
            password_hash=hashed,
        )
        db.session.add(user)
        return user

    users = {
        "holder": person("holder", tenant.id),
        "representative": person("representative", tenant.id),
        "provider": person("provider", None),
        "commissioner": person("commissioner", tenant.id),
        "admin": person("admin", None),
    }
    db.session.flush()
    provider = Provider(
        kind=ProviderKind.CARE_AGENCY,
        legal_name="Moorside Home Care Ltd",
        verification_status=VerificationStatus.VERIFIED,
        postcode="OL1 1AA",
        tenant_id=tenant.id,
    )
    db.session.add(provider)
    db.session.flush()
    db.session.add(
        ProviderMember(
            provider_id=provider.id, user_id=users["provider"].id, role=ProviderMemberRole.OWNER
        )
    )
    listing = Listing(
        provider=provider,
        title="Help at home in the morning",
        description="Getting up, washing and dressing, breakfast.",
        price_pence=2150,
        price_unit=PriceUnit.HOUR,
        delivery_mode=DeliveryMode.AT_HOME,
        postcode="OL1 1AA",
        travel_radius_miles=10,
        status=ListingStatus.PUBLISHED,
        works_bank_holidays=True,  # home care every morning, bank holidays too
    )
    representation = Representation(
        holder_id=users["holder"].id,
        representative_id=users["representative"].id,
        relationship_to_holder="Daughter",
        consent_method=ConsentMethod.HOLDER_ONLINE,
        consent_recorded_by_id=users["holder"].id,
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        email="new.holder@example.org",
        full_name="New Holder",
        role=Role.HOLDER,
        tenant_id=tenant.id,
        invited_by_id=users["commissioner"].id,
        expires_at=utcnow() + timedelta(days=14),
    )
    db.session.add_all([listing, representation, invitation])
    db.session.commit()
    holder = users["holder"]
    reset_token = services._reset_serializer().dumps(
        {"id": holder.id, "fp": services._password_fingerprint(holder)}
    )
    more_ids: dict[str, object] = {**_onboarding_objects(provider, listing, users["provider"])}
    more_ids.update(_payments_world(tenant, users["holder"]))
    booking_ids, calendar_token = _bookings_world(users, provider, listing, more_ids["pot_id"])
    more_ids.update(booking_ids)
    more_ids.update(_alerts_world(tenant, more_ids["pot_id"]))
    more_ids.update(_conversations_world(users, provider))
    more_ids.update(_meetings_world(users, listing))
    # Read now: the browser tests use the world after its session has closed.
    more_ids["taxonomy_term_id"] = api_ids.term_uuid(listing.categories[0])
    more_ids["unclaimed_id"] = _unclaimed_cqc_entry()
    more_ids["saved_search_id"] = _saved_search(users["holder"])
    return World(
        users,
        tenant,
        provider,
        listing,
        representation,
        invitation,
        token,
        reset_token,
        more_ids,
        calendar_token,
    )


# A registered location in the CQC record the service ships (data/providers/).
UNCLAIMED_CQC = {
    "location_id": "1-10024040008",
    "provider_id": "1-9408305833",
    "postcode": "M35 9BG",
}


def _unclaimed_cqc_entry() -> int:
    """A provider listed from the CQC register that nobody has claimed."""
    entry = Provider(
        kind=ProviderKind.CARE_AGENCY,
        legal_name="Ebenezer Care Services",
        verification_status=VerificationStatus.NOT_JOINED,
        postcode=UNCLAIMED_CQC["postcode"],
        cqc_location_id=UNCLAIMED_CQC["location_id"],
        cqc_provider_id=UNCLAIMED_CQC["provider_id"],
    )
    db.session.add(entry)
    db.session.commit()
    return entry.id


def _saved_search(holder: User) -> int:
    """The holder's saved search for homecare near OL1 1AA, emails on, finding nothing yet."""
    from marketplace.saved_searches.models import SavedSearch

    saved = SavedSearch(
        user_id=holder.id,
        tenant_id=holder.tenant_id,
        name="Homecare near OL1 1AA",
        params=[["q", "homecare"], ["postcode", "OL1 1AA"]],
        outcode="OL1",
        categories=[],
        alerts_on=True,
        result_count=0,
    )
    db.session.add(saved)
    db.session.commit()
    return saved.id


def _onboarding_objects(provider: Provider, listing: Listing, owner: User) -> dict[str, int]:
    # Help in the morning, every day from midnight to midday; Pat works the mornings too.
    rule, *rest = (
        AvailabilityRule(weekday=day, start_time=time(0), end_time=time(12)) for day in range(7)
    )
    days_off = AvailabilityException(starts_on=date(2030, 1, 1), ends_on=date(2030, 1, 2))
    listing.availability.extend([rule, *rest])
    listing.exceptions.append(days_off)
    worker = Worker(provider_id=provider.id, name="Pat Worker", languages=[])
    window, *others = (
        WorkerAvailability(weekday=day, start_time=time(0), end_time=time(13)) for day in range(7)
    )
    worker.availability.extend([window, *others])
    document = ProviderDocument(
        provider_id=provider.id,
        kind=DocumentKind.DBS,
        original_name="dbs.pdf",
        stored_name=secrets.token_hex(16),
        content_type="application/pdf",
        size_bytes=5,
        sha256="0" * 64,
        uploaded_by_id=owner.id,
    )
    db.session.add_all([worker, document])
    db.session.commit()
    return {
        "rule_id": rule.id,
        "exception_id": days_off.id,
        "worker_id": worker.id,
        "window_id": window.id,
        "member_id": owner_member_id(provider),
        "document_id": document.id,
    }


def owner_member_id(provider: Provider) -> int:
    return db.session.scalars(
        select(ProviderMember.id).where(ProviderMember.provider_id == provider.id)
    ).one()


def _payments_world(tenant: Tenant, holder: User) -> dict[str, int]:
    """A pot for the holder, a card top-up waiting for payment, and an unconfirmed payment run."""
    from marketplace.payments.models import PayoutRun, Pot, PotKind, TopUp

    pot = Pot(
        holder_id=holder.id,
        tenant_id=tenant.id,
        kind=PotKind.SOCIAL_CARE,
        support_plan_reference="SP-WORLD",
        allocation_starts_on=date(2026, 1, 1),
    )
    db.session.add(pot)
    db.session.flush()
    top_up = TopUp(pot_id=pot.id, paid_by_id=holder.id, amount_pence=5_000, request_key="world")
    run = PayoutRun(tenant_id=tenant.id, csv_text="Payment reference\n")
    db.session.add_all([top_up, run])
    db.session.commit()
    return {"pot_id": pot.id, "top_up_id": top_up.id, "run_id": run.id}


def _alerts_world(tenant: Tenant, pot_id: int) -> dict[str, int]:
    """An open alert about unspent money in the holder's pot, stored by the alerts service."""
    from marketplace.commissioning import alerts
    from marketplace.commissioning.models import AlertKind
    from marketplace.payments.models import Pot

    pot = db.session.get(Pot, pot_id)
    assert pot is not None
    finding = alerts.Finding(
        AlertKind.UNSPENT,
        f"pot:{pot.id}",
        "2026-11-23",
        "The budget for plan SP-WORLD has £900.00 unspent: 9.0 weeks of its allocation.",
        {
            "available_pence": 90_000,
            "allocation_pence": 10_000,
            "allocation_every_days": 7,
            "weekly_allocation_pence": 10_000,
            "weeks_of_allocation": "9.0",
            "threshold_weeks": 8,
            "likely_cause": "No booking requests were made from this budget in the last 8 weeks.",
            "requests": {"total": 0},
        },
        pot_id=pot.id,
        holder_id=pot.holder_id,
    )
    [alert] = alerts.store(tenant.id, [finding], now=utcnow()).new
    db.session.commit()
    return {"alert_id": alert.id}


def _bookings_world(
    users: dict[str, User], provider: Provider, listing: Listing, pot_id: int
) -> tuple[dict[str, int], str]:
    """An accepted booking with a confirmed session, a reviewed booking, an open offer and a
    calendar feed for the holder."""
    from marketplace.bookings.calendar import feed_for
    from marketplace.bookings.models import (
        Booking,
        BookingKind,
        BookingState,
        Occurrence,
        OccurrenceState,
        Offer,
        Review,
        RotaSlot,
    )

    category = add_category("pa-world", pa=True)
    listing.categories = [category]
    booking = Booking(
        holder_id=users["holder"].id,
        requested_by_id=users["holder"].id,
        listing_id=listing.id,
        provider_id=provider.id,
        pot_id=pot_id,
        category=category,
        kind=BookingKind.ONE_OFF,
        state=BookingState.ACCEPTED,
        unit_price_pence=2150,
        price_unit=PriceUnit.HOUR,
        rota_starts_on=date(2026, 11, 2),
        rota_ends_on=date(2026, 11, 2),
        expires_at=utcnow() + timedelta(days=1),
    )
    booking.slots = [RotaSlot(weekday=0, start_time=time(9), duration_minutes=120)]
    db.session.add(booking)
    db.session.flush()
    start = utcnow() - timedelta(days=2)
    occurrence = Occurrence(
        booking_id=booking.id,
        provider_id=provider.id,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        state=OccurrenceState.CONFIRMED,
        price_pence=4300,
    )
    made_offer = Offer(
        booking_id=booking.id, unit_price_pence=2000, made_by_id=users["provider"].id
    )
    review = Review(
        booking_id=booking.id,
        listing_id=listing.id,
        author_id=users["holder"].id,
        stars=4,
        text="Reliable and kind",
    )
    db.session.add_all([occurrence, made_offer, review])
    feed = feed_for(users["holder"])
    db.session.commit()
    return (
        {
            "booking_id": booking.id,
            "occurrence_id": occurrence.id,
            "offer_id": made_offer.id,
            "review_id": review.id,
        },
        feed.token,
    )


def _conversations_world(users: dict[str, User], provider: Provider) -> dict[str, int]:
    """The holder's conversation with the provider, a message each way, reported by the holder
    to their council."""
    from marketplace.conversations import services as conversations

    conversation = conversations.start(
        users["holder"], users["holder"], provider, "Can your carer come at nine?"
    )
    conversations.send(users["provider"], conversation, "Yes, nine is fine.")
    conversations.report(users["holder"], conversation, "They asked me for my bank card")
    db.session.commit()
    return {"conversation_id": conversation.id}


def _meetings_world(users: dict[str, User], listing: Listing) -> dict[str, int]:
    """A first meeting the holder asked for, at two times the day after tomorrow."""
    from marketplace.meetings.models import Meeting, MeetingTime, MeetingWay

    first = (utcnow() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    meeting = Meeting(
        holder_id=users["holder"].id,
        requested_by_id=users["holder"].id,
        listing_id=listing.id,
        provider_id=listing.provider_id,
        way=MeetingWay.PHONE,
        minutes=15,
        times=[MeetingTime(starts_at=first), MeetingTime(starts_at=first + timedelta(hours=3))],
    )
    db.session.add(meeting)
    db.session.commit()
    return {"meeting_id": meeting.id, "meeting_time_id": meeting.times[0].id}


def routes(app: Flask) -> list[tuple[str, str, Rule]]:
    """Every (method, rule) the app answers, except static files."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in IGNORED_ENDPOINTS:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, rule.rule, rule))
    return found


def pages_for(role: str) -> list[tuple[str, str]]:
    """The GET rules a role may open (status 200): the browser tour visits these."""
    column = ROLES.index(role)
    return [
        (method, rule)
        for (method, rule), statuses in ACCESS.items()
        if method == "GET" and statuses[column] == 200
    ]


def test_every_route_has_a_row(app: Flask) -> None:
    missing = [(method, rule) for method, rule, _ in routes(app) if (method, rule) not in ACCESS]
    assert not missing, f"add these to ACCESS in tests/test_access_table.py: {missing}"


def test_every_row_is_a_route(app: Flask) -> None:
    present = {(method, rule) for method, rule, _ in routes(app)}
    stale = [key for key in ACCESS if key not in present]
    assert not stale, f"rows for routes the app no longer has: {stale}"


@pytest.fixture()
def world(app_ctx: Flask) -> Iterator[World]:
    yield build_world()


@pytest.fixture()
def client_as(client: FlaskClient, world: World) -> Callable[[str], FlaskClient]:
    def sign_in(role: str) -> FlaskClient:
        if role != "anonymous":
            email = world.users[role].email
            response = client.post("/sign-in", data={"email": email, "password": PASSWORD})
            assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "rule"), list(ACCESS))
def test_access(
    app: Flask,
    world: World,
    client_as: Callable[[str], FlaskClient],
    method: str,
    rule: str,
    role: str,
) -> None:
    matching = [r for m, text, r in routes(app) if (m, text) == (method, rule)]
    if not matching:
        pytest.fail(f"{method} {rule} is in ACCESS but not in the app")
    url = world.url_for_rule(matching[0])
    response = client_as(role).open(url, method=method, data={})
    expected = ACCESS[(method, rule)][ROLES.index(role)]
    assert response.status_code == expected, (
        f"{role} {method} {url}: got {response.status_code}, table says {expected}"
    )
