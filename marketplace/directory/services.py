"""Directory rules: who may see a provider or a listing, and how their details read to the public.

Services flush and never commit; the view or CLI command commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import ColumnElement, and_, event, or_, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Tenant, User
from marketplace.directory.models import (
    AvailabilityException,
    AvailabilityRule,
    Listing,
    ListingStatus,
    Provider,
    ProviderKind,
    ProviderMember,
    VerificationStatus,
)
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.models_base import utcnow

HIDDEN_PROVIDER_STATUSES = frozenset({VerificationStatus.SUSPENDED, VerificationStatus.REJECTED})
# Shown to the public whatever the commissioning body requires: checked by its staff, or an
# entry from the CQC register (checked by the CQC) that is not on this service yet.
ALWAYS_LISTED_STATUSES = frozenset({VerificationStatus.VERIFIED, VerificationStatus.NOT_JOINED})
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CQC_LOCATION_URL = "https://www.cqc.org.uk/location/{}"
# Sole traders work from home: the public sees their area, never their street.
SOLE_TRADER_KINDS = frozenset({ProviderKind.PERSONAL_ASSISTANT})

# Whoever is looking: a signed-in User, Flask-Login's anonymous user, or None.
Viewer = object


def is_provider_staff(viewer: Viewer, provider: Provider) -> bool:
    """True when the viewer is signed in and a member (owner or staff) of this provider."""
    if not isinstance(viewer, User) or provider.id is None:
        return False
    member = db.session.scalar(
        select(ProviderMember.id).where(
            ProviderMember.provider_id == provider.id, ProviderMember.user_id == viewer.id
        )
    )
    return member is not None


def provider_is_public(provider: Provider) -> bool:
    return provider.verification_status not in HIDDEN_PROVIDER_STATUSES


def listing_is_public(listing: Listing) -> bool:
    return listing.status == ListingStatus.PUBLISHED and provider_is_public(listing.provider)


def listing_is_published(listing: Listing) -> bool:
    """Whether the public finds this listing (search, the Open Referral UK feed): published, its
    provider neither suspended nor rejected, and verified (or listed from the CQC register and
    not on this service yet) unless its commissioning body does not require verification.
    `published_listing_clause()` is the same rule in SQL."""
    provider = listing.provider
    if listing.status != ListingStatus.PUBLISHED or provider is None:
        return False
    if not provider_is_public(provider):
        return False
    if provider.verification_status in ALWAYS_LISTED_STATUSES:
        return True
    return provider.tenant is not None and not provider.tenant.requires_provider_verification


def published_listing_clause() -> ColumnElement[bool]:
    """`listing_is_published` as SQL, for a query over Listing joined to Provider."""
    return and_(
        Listing.status == ListingStatus.PUBLISHED,
        Provider.verification_status.not_in(sorted(HIDDEN_PROVIDER_STATUSES)),
        or_(
            Provider.verification_status.in_(sorted(ALWAYS_LISTED_STATUSES)),
            Provider.tenant_id.in_(
                select(Tenant.id).where(Tenant.requires_provider_verification.is_(False))
            ),
        ),
    )


def listing_is_bookable(listing: Listing) -> bool:
    """Whether a person may ask to book this listing here: the public finds it and its provider is
    on this service (an entry from the CQC register nobody has claimed has nobody to answer)."""
    return listing_is_published(listing) and listing.provider.has_joined


def on_this_service_clause() -> ColumnElement[bool]:
    """Providers on this service, as SQL: not entries from the CQC register nobody has claimed.
    Supply that counts for a commissioner (a market report) is only theirs."""
    return Provider.verification_status != VerificationStatus.NOT_JOINED


def visible_listing(listing_id: int, viewer: Viewer) -> Listing:
    """The listing if anyone may see it, or if the viewer works for its provider (a preview).
    Raises NotFound otherwise, so a hidden listing looks the same as a missing one."""
    listing = db.session.get(Listing, listing_id)
    if listing is None:
        raise NotFound("Listing not found")
    if listing_is_public(listing) or is_provider_staff(viewer, listing.provider):
        return listing
    raise NotFound("Listing not found")


def visible_provider(provider_id: int, viewer: Viewer) -> Provider:
    """The provider unless suspended or not approved (its own staff still see it).
    Raises NotFound."""
    provider = db.session.get(Provider, provider_id)
    if provider is None:
        raise NotFound("Provider not found")
    if provider_is_public(provider) or is_provider_staff(viewer, provider):
        return provider
    raise NotFound("Provider not found")


def published_listings(provider: Provider) -> list[Listing]:
    return [listing for listing in provider.listings if listing.status == ListingStatus.PUBLISHED]


# How details read on a public page.


def outcode(postcode: str | None) -> str | None:
    """'OL1 1AA' -> 'OL1'. The area without the street-level part."""
    if not postcode:
        return None
    compact = postcode.replace(" ", "").upper()
    return compact[:-3] if len(compact) > 3 else compact


def public_address(provider: Provider) -> str | None:
    """Where a provider is, as much as the public may see: a sole trader shows only town and
    outcode, never their street."""
    if provider.kind in SOLE_TRADER_KINDS:
        parts = [provider.town, outcode(provider.postcode)]
    else:
        parts = [provider.address_line, provider.town, provider.postcode]
    text = ", ".join(part for part in parts if part)
    return text or None


def cqc_url(provider: Provider) -> str | None:
    return CQC_LOCATION_URL.format(provider.cqc_location_id) if provider.cqc_location_id else None


def clock(value: time) -> str:
    """09:00 -> '9am', 13:30 -> '1:30pm', 00:00 -> 'midnight', 12:00 -> 'midday'."""
    if value == time(0, 0):
        return "midnight"
    if value == time(12, 0):
        return "midday"
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    return f"{hour}{suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d}{suffix}"


# A weekly time that runs to midnight is stored ending at 23:59 (a time of day cannot say 24:00).
END_OF_DAY = time(23, 59)


def clock_until(value: time) -> str:
    """The end of a weekly time as `clock` says it, with the end of the day as 'midnight'."""
    return "midnight" if value >= END_OF_DAY else clock(value)


def hhmm_until(value: time) -> str:
    """The end of a weekly time on the provider's pages: '17:30', or 'midnight'."""
    return "midnight" if value >= END_OF_DAY else value.strftime("%H:%M")


@dataclass(frozen=True)
class DayAvailability:
    day: str
    windows: list[str]


def weekly_availability(listing: Listing) -> list[DayAvailability]:
    """Each weekday with its booking windows in Europe/London wall-clock time (as stored)."""
    by_day: dict[int, list[str]] = {}
    for rule in listing.availability:
        by_day.setdefault(rule.weekday, []).append(
            f"{clock(rule.start_time)} to {clock_until(rule.end_time)}"
        )
    return [DayAvailability(WEEKDAYS[day], by_day.get(day, [])) for day in range(7)]


def upcoming_exceptions(listing: Listing, today: date) -> list[AvailabilityException]:
    """Holidays and other days off that have not yet ended."""
    return [item for item in listing.exceptions if item.ends_on >= today]


def cancellation_terms(listing: Listing) -> str:
    """The provider's cancellation terms in one plain sentence."""
    hours = listing.cancellation_notice_hours
    notice = f"{hours} hours" if hours != 1 else "1 hour"
    if hours and hours % 24 == 0:
        days = hours // 24
        notice = f"{days} day" if days == 1 else f"{days} days"
    if listing.cancellation_charge_bps == 0 or hours == 0:
        return "You can cancel at any time without charge."
    if listing.cancellation_charge_bps == 10_000:
        charge = "the full price"
    else:
        charge = f"{listing.cancellation_charge_bps / 100:g}% of the price"
    return (
        f"Cancel at least {notice} before the start without charge. "
        f"If you cancel later, you pay {charge}."
    )


def keep_listings_dated() -> None:
    """Register (once) the hook by which a change to a listing's weekly times or days off moves
    the listing's updated_at: they are part of the listing (the Open Referral UK feed's
    `last_modified` and `modified_after` read it)."""
    if not event.contains(Session, "before_flush", _date_listings):
        event.listen(Session, "before_flush", _date_listings)


def _date_listings(session: Session, _context: object, _instances: object) -> None:
    with session.no_autoflush:
        for obj in (*session.new, *session.dirty, *session.deleted):
            if not isinstance(obj, AvailabilityRule | AvailabilityException):
                continue
            listing = obj.listing or session.get(Listing, obj.listing_id)
            if listing is not None and listing not in session.deleted:
                listing.updated_at = utcnow()
