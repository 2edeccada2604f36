"""ORUK ids: UUIDs that stay the same, turn back into our row ids, and never cross kinds."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from marketplace.api import ids
from marketplace.directory.models import Category
from marketplace.extensions import db

KINDS: tuple[ids.Kind, ...] = ("service", "organization", "location", "service_at_location")


@pytest.mark.parametrize("row", [1, 2, 999_999, 2**62 - 1])
def test_row_ids_round_trip_as_version_8_uuids(row: int) -> None:
    for kind in KINDS:
        text = ids.row_uuid(kind, row)
        value = uuid.UUID(text)
        assert str(value) == text
        assert (value.version, value.variant) == (8, uuid.RFC_4122)
        assert ids.row_id(kind, value) == row


def test_an_id_of_one_kind_is_not_an_id_of_another() -> None:
    service = uuid.UUID(ids.row_uuid("service", 7))
    assert ids.row_id("organization", service) is None
    assert ids.row_id("service_at_location", service) is None
    assert ids.row_id("service", uuid.uuid4()) is None
    assert ids.row_id("service", None) is None


def test_ids_are_the_same_on_every_installation() -> None:
    # Fixed by the scheme: a change here changes every id consumers hold.
    assert ids.row_uuid("service", 1) == "01484952-5f92-8657-8000-000000000001"
    assert ids.row_uuid("organization", 1) == "7596396d-eb29-8a54-8000-000000000001"
    assert ids.part_uuid("schedule", 3) == ids.part_uuid("schedule", 3)
    assert ids.part_uuid("schedule", 3) != ids.part_uuid("cost_option", 3)


def test_out_of_range_rows_are_refused() -> None:
    with pytest.raises(ValueError, match="out of range"):
        ids.row_uuid("service", 0)
    with pytest.raises(ValueError, match="out of range"):
        ids.row_uuid("service", 2**62)


def test_a_term_keeps_its_fixed_id_or_gets_a_stable_one(
    category: Callable[[str], Category], api: Callable[..., Any]
) -> None:
    homecare = category("homecare")
    assert ids.term_uuid(homecare) == "55581698-168a-5ab5-a846-c1a2f2d93c6b"  # data/taxonomy.csv
    odd = Category(slug="odd", name="Odd", description="", oruk_term_id="odd-term", position=999)
    db.session.add(odd)
    db.session.commit()

    term_id = ids.term_uuid(odd)
    assert term_id == ids.part_uuid("taxonomy_term", "odd")
    assert api(f"/taxonomy_terms/{term_id}")["name"] == "Odd"
    assert api("/taxonomy_terms", per_page=1, page=16)["contents"][0]["id"] == term_id


def test_taxonomy_term_filters(
    category: Callable[[str], Category], api: Callable[..., Any]
) -> None:
    category("homecare")
    everything = api("/taxonomy_terms")
    # 15 terms, 4 a page: 4, 4, 4, 3.
    last = api("/taxonomy_terms", per_page=4, page=4)

    assert (everything["total_items"], everything["size"]) == (15, 15)
    assert (last["total_pages"], last["size"], last["last_page"]) == (4, 3, True)
    assert [t["name"] for t in last["contents"]] == [
        "Residential care",
        "Equipment and adaptations",
        "Transport",
    ]
    assert api("/taxonomy_terms", search="therap")["total_items"] == 4
    assert (
        api("/taxonomy_terms", taxonomy_id="8a60a72d-d330-52f3-8af3-224fe4c930e7")["total_items"]
        == 15
    )
    assert api("/taxonomy_terms", taxonomy_id=str(uuid.uuid4()))["total_items"] == 0
    # The taxonomy is flat: every term is at the top and none has a parent.
    assert api("/taxonomy_terms", top_only="true")["total_items"] == 15
    assert api("/taxonomy_terms", parent_id=everything["contents"][0]["id"])["total_items"] == 0
    taxonomies = api("/taxonomies")
    assert (taxonomies["total_items"], taxonomies["contents"][0]["name"]) == (
        1,
        "Care marketplace categories",
    )
    assert api("/taxonomies", page=2)["empty"] is True
