"""Open Referral UK identifiers for our rows.

The ORUK 3.0 UK schemas say every `id` is a string of `format: uuid`; our rows have integer keys.

- Objects a client can ask for by id (service, organization, location, service_at_location) get a
  UUID version 8 (RFC 9562, "custom"): the first 64 bits are fixed for the kind of object (taken
  from a hash of its name, with the version bits set), the last 62 bits are the row id (after the
  variant bits). The same row always has the same id on every installation, an id of one kind is
  never an id of another kind, and `/services/{id}` turns the UUID back into the row id with no
  lookup table (a name-based uuid5 cannot be turned back without one, and that would need a
  migration). The row ids they reveal are the ones the public pages already show in their URLs.
- Parts that are only ever read inside their parent (schedules, cost options, languages,
  addresses, attributes, contacts, service areas) get a uuid5 of "kind:key" in our namespace.
- Taxonomy terms keep the fixed ids of data/taxonomy.csv (`Category.oruk_term_id`); a category
  whose id there is not a UUID gets a uuid5 of its slug instead.
"""

from __future__ import annotations

import hashlib
import uuid
from functools import cache
from typing import Literal

from marketplace.directory.models import Category

Kind = Literal["service", "organization", "location", "service_at_location"]

NAMESPACE = uuid.UUID("5d0f4c9e-2f0a-5c53-9b1e-6f1d1c2a7e40")
_ROW_BITS = 62
_ROW_MASK = (1 << _ROW_BITS) - 1
_VARIANT = 0b10 << _ROW_BITS  # RFC 9562 variant in the top two bits of the lower half


@cache
def _prefix(kind: Kind) -> int:
    """The upper 64 bits shared by every id of this kind, with the version nibble set to 8."""
    digest = hashlib.sha256(f"care-marketplace/openreferral/{kind}".encode()).digest()
    high = int.from_bytes(digest[:8], "big")
    return (high & ~0xF000) | 0x8000


def row_uuid(kind: Kind, row_id: int) -> str:
    """The ORUK id of one of our rows, e.g. row_uuid("service", 12)."""
    if not 0 < row_id <= _ROW_MASK:
        raise ValueError(f"row id out of range: {row_id}")
    return str(uuid.UUID(int=(_prefix(kind) << 64) | _VARIANT | row_id))


def row_id(kind: Kind, value: uuid.UUID | None) -> int | None:
    """The row id inside an ORUK id of this kind, or None when it is not one of ours."""
    if value is None:
        return None
    high, low = value.int >> 64, value.int & ((1 << 64) - 1)
    if high != _prefix(kind) or low & ~_ROW_MASK != _VARIANT:
        return None
    return (low & _ROW_MASK) or None


def part_uuid(kind: str, *key: object) -> str:
    """A stable id for a part of an object, e.g. part_uuid("schedule", rule.id)."""
    return str(uuid.uuid5(NAMESPACE, ":".join([kind, *map(str, key)])))


def term_uuid(category: Category) -> str:
    """A category's taxonomy term id: its fixed id from data/taxonomy.csv when that is a UUID."""
    try:
        return str(uuid.UUID(category.oruk_term_id))
    except (TypeError, ValueError):
        return part_uuid("taxonomy_term", category.slug)
