"""Reading listings from an Open Referral UK 3.0 JSON file: one service, or a list of them."""

from __future__ import annotations

import json
from datetime import time
from typing import Any

from marketplace.directory.models import Category, DeliveryMode, PriceUnit
from provider_onboarding.importer.fields import (
    FILE_ROW,
    RowError,
    SourceRow,
    category_lookups,
    decode,
    listing_details,
)

BYDAY = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}


def _has_lone_surrogate(document: object) -> bool:
    """JSON may escape half a UTF-16 pair (\\ud800), which no database or page can hold."""
    waiting = [document]
    while waiting:
        value = waiting.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(value, dict):
            waiting.extend(value.keys())
            waiting.extend(value.values())
        elif isinstance(value, list):
            waiting.extend(value)
    return False


def read_oruk(data: bytes, errors: list[RowError]) -> list[SourceRow]:
    """A row for each service in the file; errors about the whole file (its encoding, its shape)
    go in `errors`, each service's own on its row."""
    text = decode(data, errors, "JSON")
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
    except ValueError:  # a number too long to read (Python's limit on digits)
        errors.append(RowError(FILE_ROW, "file", "The file holds a number too long to read"))
        return []
    if _has_lone_surrogate(document):
        errors.append(
            RowError(FILE_ROW, "file", "The file holds text that is not valid Unicode (\\ud800)")
        )
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
    _, by_any = category_lookups()
    rows = []
    for number, service in enumerate(services, start=1):
        row = SourceRow(row=number)
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


def _oruk_details(row: SourceRow, service: dict[str, Any], by_any: dict[str, Category]) -> None:
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
    price: str | None = None
    unit = PriceUnit.HOUR.value
    options = [o for o in _dicts(service.get("cost_options")) if o.get("amount") is not None]
    if not options:
        row.error("cost_options", "The service has no cost option with an amount")
    else:
        option = options[0]
        amount = option.get("amount")
        price = str(amount) if isinstance(amount, (int, float, str)) else ""
        if isinstance(amount, bool) or not price:
            row.error("cost_options", "The cost option's amount must be a number")
            price = None
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
    row.details = listing_details(
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


def _weekly(row: SourceRow, schedules: list[dict[str, Any]]) -> list[tuple[int, time, time]] | None:
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
