"""The CQC care directory the app holds: import it, and check a provider's CQC location against it.

The public CQC care directory CSV (https://www.cqc.org.uk/about-us/transparency/using-cqc-data) has
one row per location with `Name`, `Postcode`, `CQC Location ID (for office use only)` and friends.
Until a full file is imported, the snapshots shipped in data/providers/ answer: the head of the
directory and the CQC API's records of every registered location in Oldham (the demo's area).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlalchemy import func, select

from marketplace.directory.models import AgeGroup, CqcLocation
from marketplace.errors import DomainError
from marketplace.extensions import db

SNAPSHOT = Path(__file__).resolve().parents[2] / "data/providers/cqc_directory_head_2025-08.csv"
API_SNAPSHOT = SNAPSHOT.with_name("cqc_api_locations_oldham_2025-08.json")
LOCATION_COLUMN = "CQC Location ID (for office use only)"
PROVIDER_COLUMN = "CQC Provider ID (for office use only)"
REQUIRED_COLUMNS = ("Name", "Postcode", LOCATION_COLUMN)
_LEGAL_SUFFIXES = re.compile(r"\b(limited|ltd|llp|plc|cic|the)\b")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class CqcRecord:
    location_id: str
    name: str
    postcode: str
    provider_id: str | None
    provider_name: str | None
    local_authority: str | None


def read_directory(path: Path) -> Iterator[CqcRecord]:
    """Each location row of a CQC care directory CSV (rows without a location id are providers
    and are skipped). Raises DomainError when the file lacks the columns CQC publishes."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in REQUIRED_COLUMNS if name not in (reader.fieldnames or [])]
        if missing:
            raise DomainError(f"This is not a CQC care directory file: no {', '.join(missing)}")
        for row in reader:
            location_id = (row.get(LOCATION_COLUMN) or "").strip()
            if not location_id:
                continue
            yield CqcRecord(
                location_id=location_id,
                name=(row.get("Name") or "").strip(),
                postcode=(row.get("Postcode") or "").strip().upper(),
                provider_id=(row.get(PROVIDER_COLUMN) or "").strip() or None,
                provider_name=(row.get("Provider name") or "").strip() or None,
                local_authority=(row.get("Local authority") or "").strip() or None,
            )


def import_directory(path: Path, progress: Callable[[int], None] = lambda _: None) -> int:
    """Add or update every location in the file; returns how many were read. Flushes."""
    count = 0
    for record in read_directory(path):
        location = db.session.get(CqcLocation, record.location_id) or CqcLocation(
            location_id=record.location_id
        )
        location.name = record.name[:300]
        location.postcode = record.postcode[:10]
        location.provider_id = record.provider_id
        location.provider_name = (record.provider_name or "")[:300] or None
        location.local_authority = record.local_authority
        db.session.add(location)
        count += 1
        if count % 500 == 0:
            db.session.flush()
        progress(1)
    db.session.flush()
    return count


def read_api_locations(path: Path) -> Iterator[CqcRecord]:
    """Each location of a file of CQC API `/locations/{id}` answers."""
    with path.open(encoding="utf-8") as handle:
        for loc in json.load(handle):
            yield CqcRecord(
                location_id=loc["locationId"],
                name=(loc.get("name") or "").strip(),
                postcode=(loc.get("postalCode") or "").strip().upper(),
                provider_id=loc.get("providerId") or None,
                provider_name=None,
                local_authority=loc.get("localAuthority") or None,
            )


@cache
def _snapshot() -> dict[str, CqcRecord]:
    records = [*read_directory(SNAPSHOT), *read_api_locations(API_SNAPSHOT)]
    return {record.location_id: record for record in records}


def find_location(location_id: str) -> CqcRecord | None:
    """The location from the imported directory, or from the shipped snapshot if none imported."""
    if db.session.scalar(select(func.count()).select_from(CqcLocation)):
        row = db.session.get(CqcLocation, location_id)
        if row is None:
            return None
        return CqcRecord(
            row.location_id,
            row.name,
            row.postcode,
            row.provider_id,
            row.provider_name,
            row.local_authority,
        )
    return _snapshot().get(location_id)


def comparable_name(name: str) -> str:
    """'The Acme Care Ltd.' -> 'acme care': case, punctuation and legal suffixes do not count."""
    words = _LEGAL_SUFFIXES.sub(" ", name.lower())
    return " ".join(_NOT_WORD.sub(" ", words).split())


def _compact(postcode: str) -> str:
    return postcode.replace(" ", "").upper()


def check_location(location_id: str, names: list[str], postcode: str) -> CqcRecord:
    """The CQC record when one of `names` and the postcode match it. Raises DomainError on the
    cqc_location_id field saying what did not match."""
    record = find_location(location_id)
    if record is None:
        raise DomainError(
            "We cannot find this CQC location ID in the CQC register. Check it on your CQC "
            "registration certificate.",
            field="cqc_location_id",
        )
    ours = {comparable_name(name) for name in names if name}
    theirs = {comparable_name(record.name), comparable_name(record.provider_name or "")}
    if not ours & theirs:
        raise DomainError(
            f"The CQC register names this location ‘{record.name}’. Use the legal or trading "
            "name the CQC has for you.",
            field="cqc_location_id",
        )
    if _compact(record.postcode) != _compact(postcode):
        raise DomainError(
            "The CQC register has a different postcode for this location. Use the postcode the "
            "CQC has for you.",
            field="cqc_location_id",
        )
    return record


# CQC's service user bands, as the care directory and the API name them among a location's
# specialisms ("Caring for adults over 65 yrs"), and the age groups each covers.
_SERVICE_USER_BANDS: tuple[tuple[str, tuple[AgeGroup, ...]], ...] = (
    ("caring for children", (AgeGroup.CHILDREN, AgeGroup.YOUNG_PEOPLE)),
    ("caring for adults under 65", (AgeGroup.ADULTS,)),
    ("caring for adults over 65", (AgeGroup.OLDER_PEOPLE,)),
    ("services for everyone", tuple(AgeGroup)),
)


def age_groups_from_bands(specialisms: list[str]) -> list[AgeGroup]:
    """The age groups a CQC registration's service user bands cover, youngest first; empty when
    the record names no band ("Caring for children (0 - 18yrs)" covers children and young
    people)."""
    found: set[AgeGroup] = set()
    for specialism in specialisms:
        text = specialism.strip().lower()
        for band, groups in _SERVICE_USER_BANDS:
            if text.startswith(band):
                found.update(groups)
    return [group for group in AgeGroup if group in found]
