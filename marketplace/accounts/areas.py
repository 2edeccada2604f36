"""Upper-tier local authorities (adult social care), from mySociety's register, CC BY 4.0."""

from __future__ import annotations

import csv
from functools import cache

from marketplace.accounts.services import Area
from marketplace.paths import PROJECT_ROOT

AREAS_FILE = PROJECT_ROOT / "data" / "local_authorities.csv"


@cache
def all_areas() -> dict[str, Area]:
    """Every upper-tier local authority by ONS code, in name order."""
    with AREAS_FILE.open(encoding="utf-8", newline="") as handle:
        return {
            row["gss_code"]: Area(row["gss_code"], row["name"]) for row in csv.DictReader(handle)
        }


# Personal budgets and personal health budgets here follow the law in England.
SERVICE_NATION = "England"


@cache
def areas_in_service() -> dict[str, Area]:
    """The local authorities a commissioning body on this service can serve: England's."""
    with AREAS_FILE.open(encoding="utf-8", newline="") as handle:
        codes = [
            row["gss_code"] for row in csv.DictReader(handle) if row["nation"] == SERVICE_NATION
        ]
    return {code: all_areas()[code] for code in codes}


def areas_for_codes(codes: list[str]) -> list[Area]:
    known = all_areas()
    return [known[code] for code in codes if code in known]
