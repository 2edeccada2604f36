"""The tantivy engine answers a search near a place from one read of every candidate; with many
online candidates, from one read of the located ones with the online ones counted by tantivy;
and when there are too many located ones, or likely to be, in passes (tantivy counting those
certainly within reach, the edge band checked, the page). All three give the same total, facets
and page, in every order."""

import random

import pytest

from marketplace.search.geo import Place, Point
from marketplace.search.query import SearchQuery
from marketplace.search.tantivy import columns
from marketplace.search.tantivy import plans as tantivy_engine
from marketplace.search.tantivy.engine import TantivyEngine

CENTRE = Point(53.54, -2.11)


def documents(n: int) -> list[dict]:
    rng = random.Random(7)
    docs = []
    for i in range(1, n + 1):
        mode = rng.choice(["at_home", "at_home", "venue", "online"])
        docs.append({
            "listing_id": i, "provider_id": i, "title": rng.choice(["Home care", "Respite care"]),
            "description": "Care and support " + rng.choice(["at home", "for dementia", ""]),
            "provider_name": f"Provider {i}", "category_names": "homecare", "specialisms": "",
            "categories": rng.sample(["homecare", "respite", "dementia-support"], 2),
            "kind": rng.choice(["care_agency", "personal_assistant"]),
            "price_pence": rng.choice([1200, 2000, 3000, 4500]), "price_unit": "hour",
            "delivery_mode": mode,
            "latitude": CENTRE.latitude + rng.uniform(-0.15, 0.15),
            "longitude": CENTRE.longitude + rng.uniform(-0.25, 0.25),
            "travel_radius_miles": rng.choice([2.0, 5.0, 8.0]) if mode == "at_home" else None,
            "languages": ["english", *rng.sample(["urdu", "polish"], rng.randint(0, 1))],
            "gender": None, "accessible": False, "cqc_rating": None, "verified": True, "slots": [],
            "age_groups": ["adults"],
        })  # fmt: skip
    return docs


@pytest.mark.parametrize("radius", [3.0, 6.0, None])
@pytest.mark.parametrize("page", [1, 2])
@pytest.mark.parametrize("sort", ["relevance", "distance", "price"])
@pytest.mark.parametrize(
    ("all_at_once", "likely_at_once", "likely_located"),
    [(10_000, 0, 10**9), (10_000, 0, 0), (1, 10**9, 10**9)],
    ids=["online-apart", "in-passes", "too-many-read"],
)
def test_one_read_and_the_broad_ways_give_the_same_results(
    tmp_path, monkeypatch, radius, page, sort, all_at_once, likely_at_once, likely_located
):
    engine = TantivyEngine(tmp_path / "index")
    engine.rebuild(documents(400), lambda _: None)
    place = Place(outcode="OL1", postcode=None, point=CENTRE, exact=False)
    query = SearchQuery(text="care", place=place, radius_miles=radius, page=page, sort=sort)
    at_once = engine.search(query)
    monkeypatch.setattr(tantivy_engine, "ALL_AT_ONCE", all_at_once)
    monkeypatch.setattr(tantivy_engine, "LIKELY_AT_ONCE", likely_at_once)
    monkeypatch.setattr(tantivy_engine, "LIKELY_LOCATED", likely_located)
    monkeypatch.setattr(tantivy_engine, "TIE_ROOM", 1)
    broad = engine.search(query)
    assert at_once.total > 2 * query.per_page
    assert (broad.total, broad.facets, broad.hits) == (at_once.total, at_once.facets, at_once.hits)


@pytest.mark.parametrize("radius", [3.0, 6.0, 20.0, None])
def test_leaving_out_services_that_do_not_travel_so_far_changes_nothing(
    tmp_path, monkeypatch, radius
):
    """On wide circles the engine leaves out, in tantivy, services at home whose travel cover
    does not hold the place; the results are those of checking every one exactly."""
    engine = TantivyEngine(tmp_path / "index")
    engine.rebuild(documents(400), lambda _: None)
    place = Place(outcode="OL1", postcode=None, point=CENTRE, exact=False)
    query = SearchQuery(text="care", place=place, radius_miles=radius, sort="distance")
    results = {}
    for left_out in (True, False):
        engine._forget_vocabulary()
        monkeypatch.setattr(columns.Columns, "mostly_out_of_reach", lambda self, r, x=left_out: x)
        results[left_out] = engine.search(query)
    assert results[True] == results[False]
    assert results[True].total > 0


@pytest.mark.parametrize("sort", ["relevance", "distance", "price"])
def test_several_segments_and_sparse_listing_ids_give_the_same_results(tmp_path, monkeypatch, sort):
    """Listings changed after a rebuild sit in a newer segment, and listing ids far beyond the
    number of listings are found through a map: the arrays still line up with tantivy, and
    ties still fall in index order as in the passes."""
    engine = TantivyEngine(tmp_path / "index")
    docs = documents(300)
    for doc in docs:
        doc["listing_id"] += 5_000_000
    engine.rebuild(docs[:200], lambda _: None)
    engine.upsert(docs[200:])
    engine.upsert([{**doc, "price_pence": 1500} for doc in docs[:40]])
    assert engine._current().searcher().num_segments > 1
    place = Place(outcode="OL1", postcode=None, point=CENTRE, exact=False)
    query = SearchQuery(text="care", place=place, radius_miles=6.0, sort=sort)
    at_once = engine.search(query)
    assert engine._table(engine._current().searcher()).by_id is not None
    monkeypatch.setattr(tantivy_engine, "ALL_AT_ONCE", 1)
    monkeypatch.setattr(tantivy_engine, "TIE_ROOM", 1)
    in_passes = engine.search(query)
    assert at_once.total > query.per_page
    assert (in_passes.total, in_passes.facets, in_passes.hits) == (
        at_once.total, at_once.facets, at_once.hits)  # fmt: skip
    assert {h.listing_id for h in at_once.hits} <= {d["listing_id"] for d in docs}


@pytest.mark.parametrize("sort", ["relevance", "distance", "price"])
def test_online_services_merge_into_the_page_in_order(tmp_path, monkeypatch, sort):
    """Where online services belong on the page (cheapest here, best scored here, or after
    every located one by distance) they are, however the search was answered."""
    engine = TantivyEngine(tmp_path / "index")
    docs = documents(300)
    for doc in docs[:30]:
        doc.update(delivery_mode="online", price_pence=500, title="Home care home care online",
                   travel_radius_miles=None)  # fmt: skip
    engine.rebuild(docs, lambda _: None)
    place = Place(outcode="OL1", postcode=None, point=CENTRE, exact=False)
    query = SearchQuery(text="home care", place=place, radius_miles=6.0, sort=sort)
    at_once = engine.search(query)
    online = [hit.distance_miles is None for hit in at_once.hits]
    if sort == "distance":
        assert online == sorted(online) and not online[0]
    elif sort == "price":
        assert all(online)
    else:
        scores = [hit.score for hit in at_once.hits]
        assert any(online) and scores == sorted(scores, reverse=True)
    assert at_once.facets["price_band"]["under-15"] >= 30
    monkeypatch.setattr(tantivy_engine, "LIKELY_AT_ONCE", 0)
    assert engine.search(query) == at_once
    monkeypatch.setattr(tantivy_engine, "ALL_AT_ONCE", 1)
    monkeypatch.setattr(tantivy_engine, "TIE_ROOM", 1)
    assert engine.search(query) == at_once


def test_the_estimate_of_listings_in_a_box_counts_every_one_inside_and_few_beside():
    """How a search is answered is chosen from an estimate of the listings in its box: the
    grid counts each one inside, and only those in the squares the box's edges cross beside."""
    import numpy as np

    rng = np.random.default_rng(7)
    latitudes, longitudes = rng.uniform(53.0, 54.0, 20_000), rng.uniform(-3.0, -1.5, 20_000)
    grid = columns._Grid(latitudes, longitudes)
    for south, north, west, east in [(53.4, 53.6, -2.4, -2.0), (53.5, 53.51, -2.2, -2.19)]:
        inside = np.count_nonzero(
            (latitudes >= south) & (latitudes <= north)
            & (longitudes >= west) & (longitudes <= east)
        )  # fmt: skip
        assert inside <= grid.count(south, north, west, east) <= inside * 1.1 + 10
    assert grid.count(52.0, 55.0, -4.0, 0.0) == 20_000
    assert grid.count(60.0, 61.0, 0.0, 1.0) == 0
    assert columns._Grid(np.zeros(3), np.zeros(3)).count(-1, 1, -1, 1) == 0  # no location
