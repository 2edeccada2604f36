"""Our directory as Open Referral UK 3.0 objects (HSDS 3.0 with the UK profile).

Fields we do not hold are left out rather than sent empty or null (the schemas type them as strings
and numbers). Contact details are published only for organisations: a sole trader's email and phone
are theirs as a person, so their services carry no contact and their organisation no email. No
person's name is ever published; a contact is the organisation itself ("Enquiries").

Amounts are pounds as JSON numbers, as ORUK's cost_option asks (converted from pence only here).
Weekly times are UK wall-clock times (Europe/London) without an offset, because the offset changes
with the clocks; each schedule says so in its notes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import url_for

from marketplace.api import ids
from marketplace.api.services import Located, Page, published_point
from marketplace.directory.models import Category, DeliveryMode, Listing, PriceUnit, Provider
from marketplace.directory.services import SOLE_TRADER_KINDS, clock, clock_until, outcode
from marketplace.directory.taxonomy import TAXONOMY_ID, TAXONOMY_NAME
from marketplace.money import format_pence

T = TypeVar("T")
Json = dict[str, Any]

DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TAXONOMY_VERSION = "1"
TAXONOMY_DESCRIPTION = (
    "The kinds of care and support people buy with a personal budget or personal health budget "
    "in the Care marketplace."
)
UNIT_PLURALS = {PriceUnit.HOUR: "hours", PriceUnit.SESSION: "sessions", PriceUnit.ITEM: "items"}
# The languages search offers, with their ISO 639-1 code (ISO 639-3 where there is none).
LANGUAGE_CODES = {
    "english": ("English", "en"),
    "urdu": ("Urdu", "ur"),
    "bengali": ("Bengali", "bn"),
    "punjabi": ("Punjabi", "pa"),
    "polish": ("Polish", "pl"),
    "arabic": ("Arabic", "ar"),
    "gujarati": ("Gujarati", "gu"),
    "romanian": ("Romanian", "ro"),
    "somali": ("Somali", "so"),
    "chinese": ("Chinese", "zh"),
    "hindi": ("Hindi", "hi"),
    "portuguese": ("Portuguese", "pt"),
    "spanish": ("Spanish", "es"),
    "french": ("French", "fr"),
    "kurdish": ("Kurdish", "ku"),
    "farsi": ("Persian (Farsi)", "fa"),
    "pashto": ("Pashto", "ps"),
    "tamil": ("Tamil", "ta"),
    "turkish": ("Turkish", "tr"),
    "bsl": ("British Sign Language", "bfi"),
}


def _clean(fields: Json) -> Json:
    """Leave out what we do not know: the schemas allow a field to be absent, not null."""
    return {key: value for key, value in fields.items() if value is not None and value != []}


def timestamp(value: datetime) -> str:
    """UTC with milliseconds, as ORUK asks: 2025-03-15T10:30:45.123Z."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def pounds(pence: int) -> float:
    return pence / 100


# Pages


def page(found: Page[T], item: Callable[[T], Json]) -> Json:
    """The ORUK page object around a page of results."""
    return {
        "total_items": found.total,
        "total_pages": found.total_pages,
        "page_number": found.paging.page,
        "size": len(found.items),
        "first_page": found.paging.page == 1,
        "last_page": found.paging.page >= found.total_pages,
        "empty": not found.items,
        "contents": [item(thing) for thing in found.items],
    }


# Organizations


def _is_sole_trader(provider: Provider) -> bool:
    return provider.kind in SOLE_TRADER_KINDS


def business_email(provider: Provider) -> str | None:
    return None if _is_sole_trader(provider) else (provider.contact_email or None)


def website(provider: Provider) -> str | None:
    text = (provider.website or "").strip()
    if not text:
        return None
    return text if text.startswith(("http://", "https://")) else f"https://{text}"


def organization(provider: Provider) -> Json:
    """The organization's one-to-one fields (list items and nested in a service)."""
    return _clean(
        {
            "id": ids.row_uuid("organization", provider.id),
            "name": provider.display_name,
            "description": provider.description.strip() or provider.kind.label,
            "email": business_email(provider),
            "website": website(provider),
        }
    )


def organization_identifiers(provider: Provider) -> list[Json]:
    if not provider.cqc_location_id:
        return []
    return [
        {
            "id": ids.part_uuid("organization_identifier", provider.id, "cqc"),
            "organization_id": ids.row_uuid("organization", provider.id),
            "identifier_type": "CQC location ID",
            "identifier": provider.cqc_location_id,
        }
    ]


def full_organization(provider: Provider, services: Iterable[Listing], full: bool) -> Json:
    """An organization with its identifiers and its published services (fully nested with
    `full`, else their one-to-one fields)."""
    fields = organization(provider)
    fields["organization_identifiers"] = organization_identifiers(provider)
    fields["services"] = [
        (full_service(listing) if full else service(listing)) for listing in services
    ]
    return _clean(fields)


# Services


def listing_url(listing: Listing) -> str:
    return url_for("directory.listing", listing_id=listing.id, _external=True)


def price_text(listing: Listing) -> str:
    return f"{format_pence(listing.price_pence)} {listing.price_unit.label}"


def last_modified(listing: Listing) -> datetime:
    return max(listing.updated_at, listing.provider.updated_at)


def service(listing: Listing) -> Json:
    """A service's one-to-one fields, with its organization (the /services list item)."""
    provider = listing.provider
    return _clean(
        {
            "id": ids.row_uuid("service", listing.id),
            "organization_id": ids.row_uuid("organization", provider.id),
            "name": listing.title,
            "description": listing.description,
            "url": listing_url(listing),
            "email": business_email(provider),
            "status": "active",
            "fees_description": price_text(listing),
            "accreditations": accreditations(provider),
            **eligibility(listing),
            "last_modified": timestamp(last_modified(listing)),
            "organization": organization(provider),
        }
    )


def eligibility(listing: Listing) -> Json:
    """Whom the service is for, by age: the ages it covers and the groups in words. Nothing
    when the provider has not said."""
    ages = listing.age_range
    if ages is None:
        return {}
    return {
        "eligibility_description": "For " + ", ".join(listing.age_group_labels).lower(),
        "minimum_age": ages[0],
        "maximum_age": ages[1],
    }


def minimal_service(listing: Listing) -> Json:
    """ORUK's `minimal` list item: the service's id and when it last changed."""
    return {
        "id": ids.row_uuid("service", listing.id),
        "last_modified": timestamp(last_modified(listing)),
    }


def accreditations(provider: Provider) -> str | None:
    if not provider.cqc_location_id:
        return None
    rating = provider.cqc_rating or "not yet rated"
    return f"Registered with the Care Quality Commission (CQC), rating: {rating}"


def full_service(listing: Listing, with_locations: bool = True) -> Json:
    """The fully nested service (/services/{id}). Needs the listing's categories and
    availability loaded."""
    fields = service(listing)
    fields["organization"]["organization_identifiers"] = organization_identifiers(listing.provider)
    fields["organization"] = _clean(fields["organization"])
    fields.update(
        schedules=schedules(listing),
        service_areas=service_areas(listing),
        languages=languages(listing),
        cost_options=cost_options(listing),
        contacts=contacts(listing),
        attributes=attributes(listing),
    )
    if with_locations:
        fields["service_at_locations"] = [service_at_location(listing)]
    return _clean(fields)


def schedules(listing: Listing) -> list[Json]:
    """One weekly schedule per availability window."""
    service_id = ids.row_uuid("service", listing.id)
    bank_holidays = (
        "Works on bank holidays." if listing.works_bank_holidays else "Not on bank holidays."
    )
    return [
        {
            "id": ids.part_uuid("schedule", rule.id),
            "service_id": service_id,
            "freq": "WEEKLY",
            "interval": 1,
            "byday": DAY_CODES[rule.weekday],
            "opens_at": rule.start_time.strftime("%H:%M"),
            "closes_at": rule.end_time.strftime("%H:%M"),
            "description": (
                f"{DAY_NAMES[rule.weekday]}, {clock(rule.start_time)} "
                f"to {clock_until(rule.end_time)}"
            ),
            "attending_type": listing.delivery_mode.label,
            "schedule_link": listing_url(listing),
            "notes": f"Times are UK time (Europe/London). {bank_holidays}",
        }
        for rule in listing.availability
    ]


def service_areas(listing: Listing) -> list[Json]:
    if listing.delivery_mode != DeliveryMode.AT_HOME:
        return []
    miles = listing.travel_radius_miles or 0
    area = outcode(listing.postcode or listing.provider.postcode)
    text = f"Up to {miles} {'mile' if miles == 1 else 'miles'}" + (f" from {area}" if area else "")
    return [
        {
            "id": ids.part_uuid("service_area", listing.id),
            "service_id": ids.row_uuid("service", listing.id),
            "name": text,
            "service_area": text,
        }
    ]


def languages(listing: Listing) -> list[Json]:
    """The languages the listing names (English when it names none, as its page says)."""
    service_id = ids.row_uuid("service", listing.id)
    found = []
    for text in dict.fromkeys(t.strip() for t in (listing.languages or ["English"]) if t.strip()):
        name, code = LANGUAGE_CODES.get(text.lower(), (text, None))
        found.append(
            _clean(
                {
                    "id": ids.part_uuid("language", listing.id, text.lower()),
                    "service_id": service_id,
                    "name": name,
                    "code": code,
                }
            )
        )
    return found


def cost_options(listing: Listing) -> list[Json]:
    """The price per unit, and the block price when the listing offers one."""
    service_id = ids.row_uuid("service", listing.id)
    options = [
        {
            "id": ids.part_uuid("cost_option", listing.id, "price"),
            "service_id": service_id,
            "option": "Price",
            "amount": pounds(listing.price_pence),
            "amount_description": price_text(listing),
        }
    ]
    quantity, pays_for = listing.block_quantity, listing.block_pays_for
    if quantity and pays_for:
        total = listing.price_pence * pays_for
        units = UNIT_PLURALS[listing.price_unit]
        options.append(
            {
                "id": ids.part_uuid("cost_option", listing.id, "block"),
                "service_id": service_id,
                "option": f"Block of {quantity} {units}",
                "amount": pounds(total),
                "amount_description": (
                    f"{format_pence(total)} for {quantity} {units} "
                    f"({quantity} for the price of {pays_for})"
                ),
            }
        )
    return options


def contacts(listing: Listing) -> list[Json]:
    """The organisation's enquiries contact; none for a sole trader (their details are theirs
    as a person)."""
    provider = listing.provider
    if _is_sole_trader(provider) or not (provider.contact_email or provider.contact_phone):
        return []
    contact_id = ids.part_uuid("contact", provider.id)
    phones = []
    if provider.contact_phone:
        phones.append(
            {
                "id": ids.part_uuid("phone", provider.id),
                "contact_id": contact_id,
                "number": provider.contact_phone,
            }
        )
    return [
        _clean(
            {
                "id": contact_id,
                "service_id": ids.row_uuid("service", listing.id),
                "name": provider.display_name,
                "title": "Enquiries",
                "email": provider.contact_email or None,
                "phones": phones,
            }
        )
    ]


def attributes(listing: Listing) -> list[Json]:
    """The listing's categories as taxonomy terms linked to the service."""
    service_id = ids.row_uuid("service", listing.id)
    return [
        {
            "id": ids.part_uuid("attribute", listing.id, category.id),
            "link_id": service_id,
            "link_entity": "service",
            "taxonomy_term_id": ids.term_uuid(category),
            "taxonomy_term": taxonomy_term(category),
        }
        for category in listing.categories
    ]


# Locations


def location(listing: Listing, full: bool) -> Json:
    """Where the listing is: a venue, the point an at-home service travels from, or online.
    `full` adds the address and accessibility."""
    location_id = ids.row_uuid("location", listing.id)
    provider = listing.provider
    mode = listing.delivery_mode
    if mode == DeliveryMode.ONLINE:
        return {
            "id": location_id,
            "location_type": "virtual",
            "name": "Online",
            "description": "By video call. You need a phone, tablet or computer with a camera.",
        }
    point = published_point(listing)
    fields: Json = {
        "id": location_id,
        "location_type": "physical",
        "latitude": round(point.latitude, 6) if point else None,
        "longitude": round(point.longitude, 6) if point else None,
    }
    if mode == DeliveryMode.VENUE:
        fields["name"] = listing.venue_address or f"{provider.display_name} venue"
        fields["description"] = f"{listing.title} takes place here."
    else:
        area = outcode(listing.postcode or provider.postcode)
        fields["name"] = f"{provider.display_name}, {area}" if area else provider.display_name
        fields["description"] = "Comes to your home" + (f" from {area}" if area else "") + "."
    if full:
        fields["addresses"] = addresses(listing)
        fields["accessibility"] = accessibility(listing)
    return _clean(fields)


def addresses(listing: Listing) -> list[Json]:
    """A venue's address. At-home and online services have none to give (the public pages show
    only the area an at-home service starts from)."""
    if listing.delivery_mode != DeliveryMode.VENUE or not listing.postcode:
        return []
    provider = listing.provider
    same_place = (listing.postcode or "").replace(" ", "").upper() == (
        provider.postcode or ""
    ).replace(" ", "").upper()
    return [
        {
            "id": ids.part_uuid("address", listing.id),
            "location_id": ids.row_uuid("location", listing.id),
            "address_1": listing.venue_address or provider.address_line or "",
            "city": (provider.town or "") if same_place else "",
            "state_province": (provider.local_authority or "") if same_place else "",
            "postal_code": listing.postcode,
            "country": "GB",
            "address_type": "physical",
        }
    ]


def accessibility(listing: Listing) -> list[Json]:
    notes = (listing.accessibility_notes or "").strip()
    if not notes or listing.delivery_mode != DeliveryMode.VENUE:
        return []
    return [
        {
            "id": ids.part_uuid("accessibility", listing.id),
            "location_id": ids.row_uuid("location", listing.id),
            "description": notes,
        }
    ]


def service_at_location(listing: Listing, full: bool = True) -> Json:
    """The link between a service and its one location (nested in a full service)."""
    return {
        "id": ids.row_uuid("service_at_location", listing.id),
        "service_id": ids.row_uuid("service", listing.id),
        "location_id": ids.row_uuid("location", listing.id),
        "location": location(listing, full),
    }


def service_at_location_item(found: Located) -> Json:
    """A /service_at_locations list item: the location and the service's one-to-one fields."""
    fields = service_at_location(found.listing, full=False)
    fields["service"] = service(found.listing)
    return fields


def full_service_at_location(listing: Listing) -> Json:
    """/service_at_locations/{id}: the location in full and the service fully nested."""
    fields = service_at_location(listing, full=True)
    fields["service"] = full_service(listing, with_locations=False)
    return fields


# The taxonomy


def taxonomy_term(category: Category) -> Json:
    return {
        "id": ids.term_uuid(category),
        "name": category.name,
        "description": category.description,
        "taxonomy": TAXONOMY_NAME,
        "taxonomy_id": TAXONOMY_ID,
        "term": category.name,
    }


def taxonomy(terms: list[Category] | None = None) -> Json:
    """Our taxonomy; with its terms when given them."""
    fields: Json = {
        "id": TAXONOMY_ID,
        "name": TAXONOMY_NAME,
        "description": TAXONOMY_DESCRIPTION,
        "version": TAXONOMY_VERSION,
    }
    if terms is not None:
        fields["taxonomy_terms"] = [taxonomy_term(category) for category in terms]
    return fields
