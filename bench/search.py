"""Search bench: N listings from the real CQC vocabulary and places, indexed with tantivy, then
realistic queries through the engine, raw tantivy and the full /search page.

    PYTHONPATH=. .venv/bin/python bench/search.py [N] [QUERIES]     (defaults 100000, 500)

Prints figures; asserts nothing. Listings are placed around the 150 outcode centroids of the
M, OL, SK, BL, WN, WA, PR and BB areas. Documents are generated one at a time as the index asks
for them, as `flask search reindex` reads them from the database in chunks (the database is not
involved here); the page runs against a temporary SQLite database for its search events. "Raw
tantivy" is one search (top 20, with the count) of the query the engine reads (the text, the
filters and the box around the place: `TantivyEngine.compiled`), timed just after the engine's
search of it.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from marketplace.paths import PROJECT_ROOT
from marketplace.search import services
from marketplace.search.geo import outcodes
from marketplace.search.query import LANGUAGES, SearchQuery
from marketplace.search.tantivy.engine import TantivyEngine

CQC = PROJECT_ROOT / "data" / "providers" / "cqc_api_locations_oldham_2025-08.json"
CATEGORIES = ["personal-assistant", "homecare", "physiotherapy", "occupational-therapy",
              "talking-therapies", "respite", "day-opportunities", "social-activities",
              "supported-living", "dementia-support", "nursing-care", "equipment"]  # fmt: skip
WORDS = ["dementia", "homecare", "physiotherapy", "respite", "personal", "assistant", "autism",
         "stroke", "learning", "disabilities", "mental", "health", "companionship", "swimming",
         "shopping", "medication", "nursing", "counselling", "massage", "mobility", "sensory",
         "wheelchair", "transport", "gardening", "cooking", "bathing", "overnight", "carer"]  # fmt: skip  # noqa: E501
TYPOS = {"dementia": "demensia", "physiotherapy": "physio therapy", "respite": "respit",
         "companionship": "companionshp", "counselling": "counseling", "wheelchair": "wheelchiar"}  # fmt: skip  # noqa: E501


def places(rng: random.Random) -> list[tuple[str, float, float]]:
    """North-west outcodes (M, OL, SK, BL, WN, WA, PR, BB) and their centroids."""
    found = [(code, p.latitude, p.longitude) for code, p in outcodes().items()
             if re.match(r"[A-Z]+", code).group() in
             ("M", "OL", "SK", "BL", "WN", "WA", "PR", "BB")]  # fmt: skip
    return found or [("OL1", 53.54, -2.11)]


def documents(n: int, rng: random.Random) -> Iterator[dict]:
    records = json.loads(CQC.read_text())
    names = [r["name"] for r in records]
    specialisms = sorted({s["name"] for r in records for s in r.get("specialisms", [])})
    where = places(rng)
    for i in range(1, n + 1):
        code, lat, lon = rng.choice(where)
        cats = rng.sample(CATEGORIES, rng.randint(1, 3))
        words = rng.sample(WORDS, 6)
        mode = rng.choice(["at_home", "at_home", "venue", "online"])
        yield {
            "listing_id": i, "provider_id": i // 3 + 1,
            "title": " ".join(words[:3]).capitalize(),
            "description": f"{' '.join(words)} support in {code}. " + rng.choice(specialisms),
            "provider_name": rng.choice(names),
            "category_names": " ".join(c.replace("-", " ") for c in cats),
            "specialisms": " ".join(rng.sample(specialisms, 3)),
            "categories": cats, "kind": rng.choice(["care_agency", "personal_assistant", "therapist"]),  # noqa: E501
            "price_pence": rng.randrange(900, 6000, 10), "price_unit": "hour",
            "delivery_mode": mode,
            "latitude": lat + rng.uniform(-0.03, 0.03), "longitude": lon + rng.uniform(-0.05, 0.05),
            "travel_radius_miles": float(rng.choice([3, 5, 8, 10, 15])) if mode == "at_home" else None,  # noqa: E501
            "languages": ["english", *rng.sample(LANGUAGES[1:], rng.randint(0, 2))],
            "gender": rng.choice([None, "female", "male"]), "accessible": rng.random() < 0.3,
            "cqc_rating": rng.choice([None, "Good", "Outstanding"]), "verified": rng.random() < 0.8,
            "slots": [f"d{d}" for d in range(5)],
            "age_groups": ["adults", "older_people"],
        }  # fmt: skip


def queries(count: int, rng: random.Random) -> list[dict[str, str]]:
    where = places(rng)
    out = []
    for _ in range(count):
        words = rng.sample(WORDS, rng.randint(1, 3))
        words = [TYPOS.get(w, w) if rng.random() < 0.25 else w for w in words]
        params = {"q": " ".join(words), "postcode": rng.choice(where)[0],
                  "radius": rng.choice(["5", "10", "20"])}  # fmt: skip
        if rng.random() < 0.5:
            params["category"] = rng.choice(CATEGORIES)
        out.append(params)
    return out


def percentiles(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100)
    return f"p50 {q[49]:.1f} ms, p95 {q[94]:.1f} ms, p99 {q[98]:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000, help="listings (100000)")
    parser.add_argument("queries", nargs="?", type=int, default=500, help="queries (500)")
    args = parser.parse_args()
    n, count = args.n, args.queries
    rng = random.Random(20261122)
    tmp = Path(tempfile.mkdtemp(prefix="search-bench-"))
    engine = TantivyEngine(tmp / "tantivy")
    started = time.perf_counter()
    engine.rebuild(documents(n, rng), lambda _: None)
    print(f"reindex {n} listings: {time.perf_counter() - started:.1f} s")

    from flask_migrate import upgrade
    from werkzeug.datastructures import MultiDict

    from marketplace import create_app
    from marketplace.search.query import parse_query

    app = create_app({"INSTANCE_PATH": str(tmp), "TESTING": True, "RATELIMIT_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3"})  # fmt: skip
    app.extensions[services.ENGINE_KEY] = engine
    asked = queries(count, rng)
    with app.app_context():
        upgrade()
        parsed: list[SearchQuery] = [parse_query(MultiDict(p)) for p in asked]
    for q in parsed[:20]:
        engine.search(q)  # warm the vocabulary
    own, raw = [], []
    import tantivy

    for q in parsed:
        t0 = time.perf_counter()
        engine.search(q)
        own.append((time.perf_counter() - t0) * 1000)
        compiled = engine.compiled(q) or tantivy.Query.empty_query()
        searcher = engine._current().searcher()
        t0 = time.perf_counter()
        searcher.search(compiled, limit=20, count=True)
        raw.append((time.perf_counter() - t0) * 1000)
    client = app.test_client()
    page = []
    for p in asked:
        t0 = time.perf_counter()
        response = client.get("/search", query_string=p)
        page.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.status_code
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"engine alone ({count} queries): {percentiles(own)}")
    print(f"raw tantivy, same compiled queries, top 20: {percentiles(raw)}")
    print(f"engine / raw at the median: {statistics.median(own) / statistics.median(raw):.1f}x")
    print(f"full /search page: {percentiles(page)}")
    print(f"peak RSS: {rss:.0f} MB")
    print(f"machine: {__import__('os').cpu_count()} CPUs")


if __name__ == "__main__":
    main()
