"""Reading listings from a CSV file: one listing a row, the columns named in the first row."""

from __future__ import annotations

import csv
import io

from marketplace.directory.models import Category, WorkerGender
from provider_onboarding.importer.fields import (
    FILE_ROW,
    RowError,
    SourceRow,
    category_lookups,
    decode,
    listing_details,
)

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


def read_csv(data: bytes, errors: list[RowError]) -> list[SourceRow]:
    """The rows of a CSV file; errors about the whole file (its encoding, its header) go in
    `errors`, each row's own on the row."""
    text = decode(data, errors, "a CSV file")
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
    by_slug, _ = category_lookups()
    rows = []
    for index, cells in enumerate(records, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        row = SourceRow(row=index)
        if len(cells) > len(header):
            row.error("row", "The row has more cells than the first row has column names")
        values = {
            name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)
        }
        _csv_details(row, values, by_slug)
        rows.append(row)
    return rows


def _csv_details(row: SourceRow, values: dict[str, str], by_slug: dict[str, Category]) -> None:
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
    row.details = listing_details(
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
