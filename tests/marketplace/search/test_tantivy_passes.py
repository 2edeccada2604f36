"""The tantivy engine answers a search by relevance either from one read of every candidate or,
when there are more candidates than it reads at once, in passes (facets, the edge band, the
page): both give the same total, facets and page."""

import random

import pytest

from marketplace.search import tantivy_engine
from marketplace.search.geo import Place, Point
from marketplace.search.query import SearchQuery
from marketplace.search.tantivy_engine import TantivyEngine

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
        })  # fmt: skip
    return docs


@pytest.mark.parametrize("radius", [3.0, 6.0, None])
@pytest.mark.parametrize("page", [1, 2])
def test_one_read_and_passes_give_the_same_results(tmp_path, monkeypatch, radius, page):
    engine = TantivyEngine(tmp_path / "index")
    engine.rebuild(documents(400), lambda _: None)
    place = Place(outcode="OL1", postcode=None, point=CENTRE, exact=False)
    query = SearchQuery(text="care", place=place, radius_miles=radius, page=page)
    at_once = engine.search(query)
    monkeypatch.setattr(tantivy_engine, "ALL_AT_ONCE", 1)
    monkeypatch.setattr(tantivy_engine, "TIE_ROOM", 1)
    in_passes = engine.search(query)
    assert at_once.total > 2 * query.per_page
    assert (in_passes.total, in_passes.facets, in_passes.hits) == (
        at_once.total, at_once.facets, at_once.hits)  # fmt: skip
