"""One listing row as read from an import file: its fields read from text and checked one by
one, each wrong field recorded as an error on its row."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time

from sqlalchemy import select

from marketplace.directory.models import (
    MAX_UNIT_PRICE_PENCE,
    Category,
    DeliveryMode,
    PriceUnit,
    WorkerGender,
)
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.money import AmountTooLarge, MoneyError, parse_pounds
from provider_onboarding.details import place_of
from provider_onboarding.listings import ListingDetails, check_price

MAX_PRICE_PENCE = MAX_UNIT_PRICE_PENCE  # £100,000, as in the listing editor
FILE_ROW = 0  # the row number of an error about the whole file


@dataclass(frozen=True)
class RowError:
    row: int  # spreadsheet row (the header is row 1) or service number; 0 for the whole file
    field: str
    message: str


@dataclass
class SourceRow:
    """A listing as read from one CSV row or one Open Referral UK service, with its errors."""

    row: int
    title: str = ""
    external_id: str | None = None
    details: ListingDetails | None = None
    weekly: list[tuple[int, time, time]] | None = None
    price_pence: int | None = None  # shown in the preview even when other fields are wrong
    errors: list[RowError] = field(default_factory=list)

    def error(self, name: str, message: str) -> None:
        self.errors.append(RowError(self.row, name, message))


def category_lookups() -> tuple[dict[str, Category], dict[str, Category]]:
    """Our categories by slug and by lower-cased ORUK term id, name and slug."""
    rows = list(db.session.scalars(select(Category).order_by(Category.id)))
    by_slug = {c.slug: c for c in rows}
    by_any: dict[str, Category] = {}
    for c in rows:
        for key in (c.oruk_term_id, c.name, c.slug):
            by_any[key.strip().lower()] = c
    return by_slug, by_any


def decode(data: bytes, errors: list[RowError], what: str) -> str | None:
    """The file's text, or None (and an error) when it is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        errors.append(
            RowError(FILE_ROW, "file", f"The file must be {what} saved with UTF-8 encoding")
        )
        return None


def parse_pence(text: str) -> int:
    """'21.50' or '£1,021.50' -> pence, read as the listing editor reads a price. Raises
    DomainError: not an amount, negative, more than two decimal places, under £1.00 or over
    £100,000."""
    try:
        pence = parse_pounds(text, "price")
    except AmountTooLarge:
        pence = MAX_PRICE_PENCE + 1
    except MoneyError as error:
        raise DomainError(str(error)) from None
    if pence > MAX_PRICE_PENCE:
        raise DomainError("Price must be £100,000 or less")
    check_price(pence)
    return pence


def _whole(
    row: SourceRow, name: str, text: str, low: int, high: int, default: int | None
) -> int | None:
    if not text:
        return default
    if not re.fullmatch(r"\d{1,6}", text):
        row.error(name, f"Enter a whole number from {low} to {high}")
        return None
    number = int(text)
    if not low <= number <= high:
        row.error(name, f"Enter a whole number from {low} to {high}")
        return None
    return number


def listing_details(
    row: SourceRow,
    *,
    title: str,
    description: str,
    category_ids: list[int],
    price: str | None,
    unit: str,
    mode: str,
    postcode: str,
    radius: str,
    venue: str,
    languages: list[str],
    gender: WorkerGender | None,
    accessibility: str,
    notice: str,
    charge: str,
) -> ListingDetails | None:
    """The listing details from text, recording an error for each field that is wrong. A price
    of None is one whose problem the reader has already recorded."""
    if not title:
        row.error("title", "Enter a title")
    elif len(title) > 200:
        row.error("title", "The title must be 200 characters or fewer")
    if not description:
        row.error("description", "Enter a description")
    elif len(description) > 5000:
        row.error("description", "The description must be 5,000 characters or fewer")
    pence = 0
    if price == "":
        row.error("price", "Enter a price in pounds, like 21.50")
    elif price is not None:
        try:
            pence = row.price_pence = parse_pence(price)
        except DomainError as error:
            row.error("price", error.message)
    if unit not in {u.value for u in PriceUnit}:
        row.error("price_unit", "Enter hour, session or item")
    if mode not in {m.value for m in DeliveryMode}:
        row.error("delivery_mode", "Enter at_home, venue or online")
    if postcode and mode != DeliveryMode.ONLINE:
        try:
            place_of(postcode, full=False)  # as the listing editor: OL1 is enough
        except DomainError as error:
            row.error("postcode", f"{postcode}: {error.message}")
    elif not postcode and mode in (DeliveryMode.AT_HOME, DeliveryMode.VENUE):
        row.error("postcode", "Enter the postcode you travel from or the venue's postcode")
    radius_miles = _whole(row, "travel_radius_miles", radius, 0, 200, None)
    if mode == DeliveryMode.AT_HOME and not radius:
        row.error("travel_radius_miles", "Enter how far you travel, in miles")
    if mode == DeliveryMode.VENUE and not venue:
        row.error("venue_address", "Enter the venue's address")
    if len(venue) > 300:
        row.error("venue_address", "The venue address must be 300 characters or fewer")
    if len(accessibility) > 2000:
        row.error("accessibility_notes", "Accessibility notes must be 2,000 characters or fewer")
    notice_hours = _whole(row, "cancellation_notice_hours", notice, 0, 720, 24)
    charge_percent = _whole(row, "cancellation_charge_percent", charge, 0, 100, 0)
    if row.errors:
        return None
    assert notice_hours is not None and charge_percent is not None
    return ListingDetails(
        title=title,
        description=description,
        category_ids=category_ids,
        price_pence=pence,
        price_unit=PriceUnit(unit),
        block_quantity=None,
        block_pays_for=None,
        delivery_mode=DeliveryMode(mode),
        postcode=postcode or None,
        travel_radius_miles=radius_miles,
        venue_address=venue or None,
        languages=[text.strip() for text in languages if text.strip()],
        worker_gender=gender,
        accessibility_notes=accessibility,
        cancellation_notice_hours=notice_hours,
        cancellation_charge_bps=charge_percent * 100,
        works_bank_holidays=False,
    )
