"""The ORUK validator's JSON schemas (Open Referral UK 3.0), read from the shared data folder.

The validator's schemas live at raw.githubusercontent.com addresses and its open_api.json refers
to them there; a `referencing` Registry serves every file under that address from disk, so no
request leaves the machine. jsonschema checks `uuid` and `email` itself; `uri` and `date-time`
need packages we do not install, so they are checked here (RFC 3986 scheme, RFC 3339 time).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT7

SCHEMA_DIR = Path("/work/shared/data/openreferral/oruk_validator_schemas/Schemas/V3.0-UK")
BASE = "https://raw.githubusercontent.com/tpximpact/OpenReferralApi/refs/heads/main/OpenReferralApi/Schemas/V3.0-UK/"
OPENAPI = BASE + "open_api.json"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")

needs_schemas = pytest.mark.skipif(
    not SCHEMA_DIR.exists(), reason="the ORUK validator schemas are not on this machine"
)

# What each list endpoint's items are checked against (the validator's file names).
LIST_SCHEMAS = {
    "services": "service_list.json",
    "service_at_locations": "service_at_location_list.json",
    "organizations": "organization_list.json",
    "taxonomies": "taxonomy_list.json",
    "taxonomy_terms": "taxonomy_term_list.json",
}
ITEM_SCHEMAS = {
    "services": "service.json",
    "service_at_locations": "service_at_location.json",
    "organizations": "organization.json",
    "taxonomies": "taxonomy.json",
    "taxonomy_terms": "taxonomy_term.json",
}
# The ORUK page: open_api.json's Page, with every field required (the validator's own list
# schemas name Page in a way JSON Schema does not read, so it would check nothing).
PAGE_FIELDS = (
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
)
PAGE_SCHEMA = {
    "allOf": [{"$ref": OPENAPI + "#/components/schemas/Page"}],
    "required": list(PAGE_FIELDS),
    "properties": {"contents": {"type": "array"}},
}

format_checker = FormatChecker()


@format_checker.checks("uri")
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*$", parts.scheme)) and bool(
        parts.netloc or parts.path
    )


@format_checker.checks("date-time")
def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(RFC3339.match(value))


@cache
def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    return data


@cache
def registry() -> Registry:
    resources = [
        (BASE + path.name, DRAFT7.create_resource(load(path.name)))
        for path in sorted(SCHEMA_DIR.glob("*.json"))
    ]
    return Registry().with_resources(resources)


def errors(instance: object, schema: dict[str, Any]) -> list[str]:
    validator = Draft7Validator(schema, registry=registry(), format_checker=format_checker)
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in validator.iter_errors(instance)
    ]


def item_errors(endpoint: str, body: object) -> list[str]:
    """Errors of one object from `/{endpoint}/{id}`."""
    return errors(body, {"$ref": BASE + ITEM_SCHEMAS[endpoint]})


def page_errors(endpoint: str, body: dict[str, Any]) -> list[str]:
    """Errors of a page from `/{endpoint}`: the page itself, every item, and the response schema
    open_api.json gives for the path."""
    found = errors(body, PAGE_SCHEMA)
    schema = load(LIST_SCHEMAS[endpoint])
    if "contents" in schema.get("properties", {}):
        found += errors(body, {"$ref": BASE + LIST_SCHEMAS[endpoint]})
        pointer = f"#/paths/~1{endpoint}/get/responses/200/content/application~1json/schema"
        found += errors(body, {"$ref": OPENAPI + pointer})
    else:
        # organization_list.json describes one organization, and open_api.json gives it as the
        # schema of the whole /organizations answer, which no page could meet: each item is
        # checked against it instead.
        for item in body.get("contents", []):
            found += errors(item, {"$ref": BASE + LIST_SCHEMAS[endpoint]})
    return found
