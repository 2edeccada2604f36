"""Bulk import of listings from a CSV file or an Open Referral UK 3.0 JSON feed.

Every import is planned first: `plan_import` reads the file, checks every row with the listing
editor's own rules and says what would be created or changed, writing nothing. `apply_import`
then carries out a plan with no errors, all rows or none: imported listings are drafts (an
update keeps the listing's status, as the editor does); publishing stays a separate step.

Services take plain arguments, flush and never commit.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from marketplace import audit
from marketplace.accounts.models import User
from marketplace.directory.models import (
    AvailabilityRule,
    Category,
    DeliveryMode,
    Listing,
    ListingStatus,
    PriceUnit,
    Provider,
    WorkerGender,
)
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.search.geo import PostcodeError, locate
from provider_onboarding.listings import ListingDetails, _apply
from provider_onboarding.services import check_window, normalise_postcode

MAX_BYTES = 2 * 1024 * 1024
MAX_PRICE_PENCE = 100_000 * 100  # £100,000, as in the listing editor
FORMATS = ("csv", "json")
# The CSV header, in the documented order. Only the first six must be present.
CSV_COLUMNS = (
    "title",
    "description",
    "categories",
    "price",
    "price_unit",
    "delivery_mode",
    "postcode",
    "travel_radius_miles",
    "venue_address",
    "languages",
    "worker_gender",
    "accessibility_notes",
    "cancellation_notice_hours",
    "cancellation_charge_percent",
    "external_id",
)
REQUIRED_COLUMNS = CSV_COLUMNS[:6]
BYDAY = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
FILE_ROW = 0  # the row number of an error about the whole file


@dataclass(frozen=True)
class RowError:
    row: int  # spreadsheet row (the header is row 1) or service number; 0 for the whole file
    field: str
    message: str


@dataclass
class PlannedRow:
    row: int
    title: str
    external_id: str | None
    details: ListingDetails | None
    weekly: list[tuple[int, time, time]] | None  # None leaves a listing's times alone
    existing: Listing | None

    @property
    def action(self) -> str:
        return "Update" if self.existing is not None else "Create"


@dataclass
class Plan:
    digest: str
    format: str
    rows: list[PlannedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    @property
    def counts(self) -> tuple[int, int]:
        """(to create, to update)."""
        updates = sum(1 for row in self.rows if row.existing is not None)
        return len(self.rows) - updates, updates


def format_of(filename: str) -> str:
    """'listings.CSV' -> 'csv'. Raises DomainError unless a .csv or .json file."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in FORMATS:
        raise DomainError("Upload a .csv file or an Open Referral UK .json file", field="file")
    return suffix


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_pence(text: str) -> int:
    """'21.50' or '£1,021.5' -> pence. Raises DomainError: not a number, negative, more than two
    decimal places, or over £100,000."""
    cleaned = text.strip().lstrip("£").replace(",", "").strip()
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise DomainError("Enter a price in pounds, like 21.50") from None
    if not amount.is_finite():
        raise DomainError("Enter a price in pounds, like 21.50")
    if amount < 0:
        raise DomainError("The price must not be negative")
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError("Enter a price in pounds and pence, with at most 2 decimal places")
    pence = int(amount * 100)
    if pence > MAX_PRICE_PENCE:
        raise DomainError("Enter a price of £100,000 or less")
    return pence


def plan_import(provider: Provider, data: bytes, fmt: str) -> Plan:
    """What importing this file would do, and every error in it. Writes nothing."""
    plan = Plan(digest=digest_of(data), format=fmt)
    if len(data) > MAX_BYTES:
        plan.errors.append(RowError(FILE_ROW, "file", "The file must be smaller than 2 MB"))
        return plan
    if not data.strip():
        plan.errors.append(RowError(FILE_ROW, "file", "The file is empty"))
        return plan
    if fmt == "csv":
        raw = _read_csv(data, plan.errors)
    elif fmt == "json":
        raw = _read_oruk(data, plan.errors)
    else:
        raise DomainError("Upload a .csv file or an Open Referral UK .json file", field="file")
    existing = {
        item.external_id: item
        for item in db.session.scalars(
            select(Listing).where(
                Listing.provider_id == provider.id, Listing.external_id.is_not(None)
            )
        )
    }
    seen: dict[str, int] = {}
    for row in raw:
        errors = row.errors
        if row.external_id is not None:
            if row.external_id in seen:
                errors.append(
                    RowError(
                        row.row,
                        "external_id",
                        f"The external id {row.external_id} is also on row {seen[row.external_id]}",
                    )
                )
            seen.setdefault(row.external_id, row.row)
        if not errors and row.details is not None:
            _check_with_editor_rules(row)
        plan.errors.extend(row.errors)
        plan.rows.append(
            PlannedRow(
                row=row.row,
                title=row.title,
                external_id=row.external_id,
                details=row.details,
                weekly=row.weekly,
                existing=existing.get(row.external_id) if row.external_id else None,
            )
        )
    if not raw and not plan.errors:
        plan.errors.append(RowError(FILE_ROW, "file", "The file has no listings in it"))
    return plan


def apply_import(provider: Provider, plan: Plan, actor: User | None) -> list[Listing]:
    """Create or update every row of a plan with no errors, as drafts. Raises DomainError (and
    changes nothing) when the plan has errors."""
    if not plan.ok:
        raise DomainError("Nothing was imported. Fix the errors in the file and try again.")
    done: list[Listing] = []
    for row in plan.rows:
        assert row.details is not None  # a plan without errors has details on every row
        listing = row.existing
        if listing is None:
            listing = Listing(status=ListingStatus.DRAFT, external_id=row.external_id)
            _apply(listing, row.details)
            listing.provider = provider
            db.session.add(listing)
            db.session.flush()
            action = "listing.imported"
        else:
            _apply(listing, row.details)
            action = "listing.import_updated"
        if row.weekly is not None:
            listing.availability = [
                AvailabilityRule(weekday=day, start_time=start, end_time=end)
                for day, start, end in row.weekly
            ]
        audit.record(
            action,
            "listing",
            listing.id,
            actor_id=actor.id if actor else None,
            external_id=row.external_id,
            digest=plan.digest,
        )
        done.append(listing)
    db.session.flush()
    return done


# Reading rows


@dataclass
class _Row:
    row: int
    title: str = ""
    external_id: str | None = None
    details: ListingDetails | None = None
    weekly: list[tuple[int, time, time]] | None = None
    errors: list[RowError] = field(default_factory=list)

    def error(self, name: str, message: str) -> None:
        self.errors.append(RowError(self.row, name, message))


def _check_with_editor_rules(row: _Row) -> None:
    """Run the listing editor's own checks on a listing that is never saved."""
    assert row.details is not None
    probe = Listing()
    try:
        _apply(probe, row.details)
    except DomainError as error:
        row.error(error.field or "listing", error.message)
    if row.weekly:
        taken: list[tuple[int, time, time]] = []
        for day, start, end in row.weekly:
            try:
                check_window(day, start, end, taken)
            except DomainError as error:
                row.error("schedules", error.message)
                break
            taken.append((day, start, end))


def _categories() -> tuple[dict[str, Category], dict[str, Category]]:
    """Our categories by slug and by lower-cased ORUK term id, name and slug."""
    rows = list(db.session.scalars(select(Category)))
    by_slug = {c.slug: c for c in rows}
    by_any: dict[str, Category] = {}
    for c in rows:
        for key in (c.oruk_term_id, c.name, c.slug):
            by_any[key.strip().lower()] = c
    return by_slug, by_any


def _decode(data: bytes, errors: list[RowError], what: str) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        errors.append(
            RowError(FILE_ROW, "file", f"The file must be {what} saved with UTF-8 encoding")
        )
        return None


def _read_csv(data: bytes, errors: list[RowError]) -> list[_Row]:
    text = _decode(data, errors, "a CSV file")
    if text is None:
        return []
    if "\x00" in text:
        errors.append(RowError(FILE_ROW, "file", "The file is not a CSV file"))
        return []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        records = list(reader)
    except csv.Error as error:
        errors.append(RowError(FILE_ROW, "file", f"The file is not a readable CSV file: {error}"))
        return []
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    unknown = [name or "(blank)" for name in header if name not in CSV_COLUMNS]
    if missing:
        errors.append(
            RowError(
                FILE_ROW,
                "header",
                "The first row must name the columns; missing: " + ", ".join(missing),
            )
        )
    if unknown:
        errors.append(RowError(FILE_ROW, "header", "Columns we do not know: " + ", ".join(unknown)))
    if len(set(header)) != len(header):
        errors.append(RowError(FILE_ROW, "header", "A column is named twice in the first row"))
    if errors:
        return []
    by_slug, _ = _categories()
    rows = []
    for index, cells in enumerate(records, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        row = _Row(row=index)
        if len(cells) > len(header):
            row.error("row", "The row has more cells than the first row has column names")
        values = {
            name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)
        }
        _csv_details(row, values, by_slug)
        rows.append(row)
    return rows


def _csv_details(row: _Row, values: dict[str, str], by_slug: dict[str, Category]) -> None:
    get = values.get
    row.title = get("title", "")
    row.external_id = get("external_id") or None
    if row.external_id and len(row.external_id) > 100:
        row.error("external_id", "The external id must be 100 characters or fewer")
    slugs = [s.strip().lower() for s in get("categories", "").split(";") if s.strip()]
    unknown = [s for s in slugs if s not in by_slug]
    if not slugs:
        row.error("categories", "Enter at least one category, like homecare")
    elif unknown:
        row.error("categories", "Categories we do not have: " + ", ".join(unknown))
    gender = get("worker_gender", "").lower()
    if gender and gender not in {g.value for g in WorkerGender}:
        row.error("worker_gender", "Enter female, male or non_binary, or leave it blank")
    row.details = _details(
        row,
        title=row.title,
        description=get("description", ""),
        category_ids=[by_slug[s].id for s in slugs if s in by_slug],
        price=get("price", ""),
        unit=get("price_unit", "").lower(),
        mode=get("delivery_mode", "").lower(),
        postcode=get("postcode", ""),
        radius=get("travel_radius_miles", ""),
        venue=get("venue_address", ""),
        languages=get("languages", "").split(";"),
        gender=WorkerGender(gender) if gender in {g.value for g in WorkerGender} else None,
        accessibility=get("accessibility_notes", ""),
        notice=get("cancellation_notice_hours", ""),
        charge=get("cancellation_charge_percent", ""),
    )


def _whole(row: _Row, name: str, text: str, low: int, high: int, default: int | None) -> int | None:
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


def _details(
    row: _Row,
    *,
    title: str,
    description: str,
    category_ids: list[int],
    price: str,
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
    """The listing details from text, recording an error for each field that is wrong."""
    if not title:
        row.error("title", "Enter a title")
    elif len(title) > 200:
        row.error("title", "The title must be 200 characters or fewer")
    if not description:
        row.error("description", "Enter a description")
    elif len(description) > 5000:
        row.error("description", "The description must be 5,000 characters or fewer")
    pence = 0
    if not price:
        row.error("price", "Enter a price in pounds, like 21.50")
    else:
        try:
            pence = parse_pence(price)
        except DomainError as error:
            row.error("price", error.message)
    if unit not in {u.value for u in PriceUnit}:
        row.error("price_unit", "Enter hour, session or item")
    if mode not in {m.value for m in DeliveryMode}:
        row.error("delivery_mode", "Enter at_home, venue or online")
    if postcode and mode != DeliveryMode.ONLINE:
        try:
            locate(normalise_postcode(postcode))
        except (DomainError, PostcodeError) as error:
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


# Open Referral UK 3.0


def _read_oruk(data: bytes, errors: list[RowError]) -> list[_Row]:
    text = _decode(data, errors, "JSON")
    if text is None:
        return []
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        errors.append(
            RowError(
                FILE_ROW,
                "file",
                f"The file is not valid JSON: {error.msg} at line {error.lineno}, "
                f"column {error.colno}",
            )
        )
        return []
    except RecursionError:
        errors.append(RowError(FILE_ROW, "file", "The file is not valid JSON: nested too deeply"))
        return []
    if isinstance(document, dict) and isinstance(document.get("contents"), list):
        services = document["contents"]  # a paged service list
    elif isinstance(document, dict) and "name" in document:
        services = [document]  # one full service
    elif isinstance(document, list):
        services = document
    else:
        errors.append(
            RowError(
                FILE_ROW,
                "file",
                'The JSON must be an Open Referral UK service, or a service list with "contents"',
            )
        )
        return []
    _, by_any = _categories()
    rows = []
    for number, service in enumerate(services, start=1):
        row = _Row(row=number)
        if not isinstance(service, dict):
            row.error("service", "Each service must be a JSON object")
        else:
            _oruk_details(row, service, by_any)
        rows.append(row)
    return rows


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _oruk_details(row: _Row, service: dict[str, Any], by_any: dict[str, Category]) -> None:
    row.title = _text(service.get("name"))
    service_id = service.get("id")
    row.external_id = str(service_id).strip()[:100] if service_id not in (None, "") else None

    # Categories: taxonomy terms (directly or through attributes), matched by id, name or term.
    terms = _dicts(service.get("taxonomy_terms"))
    terms += [
        a["taxonomy_term"]
        for a in _dicts(service.get("attributes"))
        if isinstance(a.get("taxonomy_term"), dict)
    ]
    found: dict[int, Category] = {}
    names: list[str] = []
    for term in terms:
        keys = [_text(term.get(k)).lower() for k in ("id", "name", "term", "code")]
        match = next((by_any[k] for k in keys if k and k in by_any), None)
        if match is not None:
            found[match.id] = match
        else:
            names.append(_text(term.get("name")) or _text(term.get("id")) or "(unnamed)")
    if not found:
        row.error(
            "taxonomy_terms",
            "None of the service's taxonomy terms match our categories"
            + (f" ({', '.join(names)})" if names else " (it has none)")
            + "; use our term ids or names, like Homecare",
        )

    # Price: the first cost option with an amount. The placeholders keep one error per problem.
    price, unit = "0", PriceUnit.HOUR.value
    options = [o for o in _dicts(service.get("cost_options")) if o.get("amount") is not None]
    if not options:
        row.error("cost_options", "The service has no cost option with an amount")
    else:
        option = options[0]
        amount = option.get("amount")
        price = str(amount) if isinstance(amount, (int, float, str)) else ""
        if isinstance(amount, bool) or not price:
            row.error("cost_options", "The cost option's amount must be a number")
            price = "0"
        words = _text(option.get("amount_description")) + " " + _text(option.get("option"))
        words = words.lower()
        if "session" in words:
            unit = PriceUnit.SESSION.value
        elif "hour" in words:
            unit = PriceUnit.HOUR.value
        elif "each" in words or "item" in words:
            unit = PriceUnit.ITEM.value
        else:
            row.error(
                "cost_options",
                "Say what the price is for in amount_description: per hour, per session or each",
            )

    # Where: a physical location with a postcode is a venue; a virtual one is online.
    locations = [
        sal["location"]
        for sal in _dicts(service.get("service_at_locations"))
        if isinstance(sal.get("location"), dict)
    ]
    locations += _dicts(service.get("locations"))
    mode, postcode, venue, access = "", "", "", []
    for location in locations:
        access += [
            _text(a.get("accessibility")) or _text(a.get("details"))
            for a in _dicts(location.get("accessibility"))
        ]
        addresses = _dicts(location.get("addresses"))
        address = next((a for a in addresses if _text(a.get("postal_code"))), None)
        if not mode and address is not None and location.get("location_type") != "virtual":
            mode = DeliveryMode.VENUE.value
            postcode = _text(address.get("postal_code"))
            parts = [_text(address.get(k)) for k in ("address_1", "address_2", "city")]
            venue = ", ".join(p for p in parts if p)[:300]
    if not mode and any(loc.get("location_type") == "virtual" for loc in locations):
        mode = DeliveryMode.ONLINE.value
    if not mode:
        row.error("locations", "The service has no location with a postcode, and none online")
        mode = DeliveryMode.ONLINE.value  # the error above stops the row

    row.weekly = _weekly(row, _dicts(service.get("schedules")))
    languages = [_text(lang.get("name")) for lang in _dicts(service.get("languages"))]
    row.details = _details(
        row,
        title=row.title,
        description=_text(service.get("description")),
        category_ids=list(found),
        price=price,
        unit=unit,
        mode=mode,
        postcode=postcode,
        radius="",
        venue=venue,
        languages=languages,
        gender=None,
        accessibility="\n".join(a for a in access if a)[:2000],
        notice="",
        charge="",
    )


def _weekly(row: _Row, schedules: list[dict[str, Any]]) -> list[tuple[int, time, time]] | None:
    """Weekly windows from ORUK schedules (byday, opens_at, closes_at); None when it has none."""
    if not schedules:
        return None
    windows: list[tuple[int, time, time]] = []
    for number, schedule in enumerate(schedules, start=1):
        freq = _text(schedule.get("freq")).upper()
        byday = _text(schedule.get("byday")).upper()
        days = [d.strip() for d in byday.split(",") if d.strip()]
        try:
            opens = time.fromisoformat(_text(schedule.get("opens_at")))
            closes = time.fromisoformat(_text(schedule.get("closes_at")))
        except ValueError:
            row.error("schedules", f"Schedule {number}: give opens_at and closes_at, like 09:00")
            continue
        if freq not in ("", "WEEKLY") or not days or any(d not in BYDAY for d in days):
            row.error(
                "schedules",
                f"Schedule {number}: only weekly schedules with days like MO,TU can be imported",
            )
            continue
        opens, closes = opens.replace(tzinfo=None), closes.replace(tzinfo=None)
        windows += [(BYDAY[d], opens, closes) for d in days]
    return sorted(windows)


def plan_table(plan: Plan) -> str:
    """The plan as plain text: the same rows and errors the web page shows."""
    where = "Row" if plan.format == "csv" else "Service"
    lines = [f"{'Where':<12} {'Action':<7} {'Title':<40} {'External id':<36} Existing listing"]
    for row in plan.rows:
        existing = f"{row.existing.id} {row.existing.title}" if row.existing else "new"
        lines.append(
            f"{where + ' ' + str(row.row):<12} {row.action:<7} {row.title[:40]:<40} "
            f"{(row.external_id or '')[:36]:<36} {existing}"
        )
    created, updated = plan.counts
    lines.append(f"{created} to create, {updated} to update.")
    if plan.errors:
        lines.append(f"{len(plan.errors)} errors:")
        for error in plan.errors:
            place = "File" if error.row == FILE_ROW else f"{where} {error.row}"
            lines.append(f"  {place}, {error.field}: {error.message}")
    return "\n".join(lines)
