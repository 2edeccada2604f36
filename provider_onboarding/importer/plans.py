"""Bulk import of listings from a CSV file or an Open Referral UK 3.0 JSON feed.

Every import is planned first: `plan_import` reads the file, checks every row with the listing
editor's own rules and says what would be created or changed, writing nothing. `apply_import`
then carries out a plan with no errors, all rows or none: imported listings are drafts (an
update keeps the listing's status, as the editor does); publishing stays a separate step.

Services take plain arguments, flush and never commit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import time

from sqlalchemy import select

from marketplace import audit
from marketplace.accounts.models import User
from marketplace.directory.models import AvailabilityRule, Listing, ListingStatus, Provider
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.transactions import atomic
from provider_onboarding.importer.csv_file import read_csv
from provider_onboarding.importer.fields import FILE_ROW, RowError, SourceRow
from provider_onboarding.importer.oruk import read_oruk
from provider_onboarding.listings import ListingDetails, apply_details
from provider_onboarding.services import check_window

MAX_BYTES = 2 * 1024 * 1024
FORMATS = ("csv", "json")


@dataclass
class PlannedRow:
    row: int
    title: str
    external_id: str | None
    details: ListingDetails | None
    weekly: list[tuple[int, time, time]] | None  # None leaves a listing's times alone
    existing: Listing | None
    price_pence: int | None = None  # read even when another field of the row is wrong

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
        raw = read_csv(data, plan.errors)
    elif fmt == "json":
        raw = read_oruk(data, plan.errors)
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
                price_pence=row.price_pence,
            )
        )
    if not raw and not plan.errors:
        plan.errors.append(RowError(FILE_ROW, "file", "The file has no listings in it"))
    return plan


@atomic
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
            apply_details(listing, row.details)
            listing.provider = provider
            db.session.add(listing)
            db.session.flush()
            action = "listing.imported"
        else:
            apply_details(listing, row.details)
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


def _check_with_editor_rules(row: SourceRow) -> None:
    """Run the listing editor's own checks on a listing that is never saved."""
    assert row.details is not None
    probe = Listing()
    try:
        apply_details(probe, row.details)
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
