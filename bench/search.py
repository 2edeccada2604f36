"""Search bench: N listings from the real CQC vocabulary and places, indexed by each engine
asked for, then the same realistic queries through the engine and through the full /search page.

    PYTHONPATH=. .venv/bin/python bench/search.py [N] [QUERIES] [--engine NAME[,NAME…]]
    make bench-search          (all three engines in one run, 100000 listings, 500 queries)

Defaults: 100000 listings, 500 queries, tantivy. OpenSearch and Elasticsearch are the real
one-node servers of scripts/with-opensearch.sh and scripts/with-elasticsearch.sh (512 MB heap
each), reached through OPENSEARCH_URL and ELASTICSEARCH_URL on 127.0.0.1. Every engine gets the
same documents (one seed) and the same queries; the figures of all of them are printed together.

Prints figures; asserts only that every listing was indexed and every page answered (200, or
503 when the engine timed out: such searches are counted and printed, their times kept).
Listings are placed around the 150 outcode centroids of the M, OL, SK, BL, WN, WA, PR and BB
areas. Documents are generated one at a time as the index asks for them, as `flask search
reindex` reads them from the database in chunks (the database is not involved here); the page
runs against a temporary SQLite database for its search events. Engine time is a call of
`engine.search` from Python (for the servers this includes the HTTP round trip on 127.0.0.1).
"Raw tantivy" is one search (top 20, with the count) of the query tantivy's engine reads (the
text, the filters and the box around the place: `TantivyEngine.compiled`), timed just after the
engine's search of it. Memory: tantivy's index on disk and the bench process (which hosts
tantivy); for a server, the node's resident memory, its heap, and its index's primary store.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask

from marketplace.paths import PROJECT_ROOT
from marketplace.search import services
from marketplace.search.elastic_engine import RETRIES
from marketplace.search.geo import outcodes
from marketplace.search.interfaces import SearchEngine, SearchUnavailable
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
SEED = 20261122
# The app gives up on a server after 2 s (and retries); the bench waits longer so that it
# measures how long a search takes rather than when the app would give up.
BENCH_TIMEOUT = 30.0
ENGINES = ("tantivy", "opensearch", "elasticsearch")
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


def cpu_times() -> list[int]:
    """The machine's processor time so far, in ticks, as /proc/stat counts it: user, nice,
    system, idle, iowait, irq, softirq, steal."""
    return [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]


def stolen_share(before: list[int], after: list[int]) -> float:
    """The share of the processors' time between two readings that the host gave to others
    (steal): a virtual machine's figures are slower by about that much."""
    spent = [b - a for a, b in zip(before, after, strict=True)]
    return spent[7] / max(sum(spent), 1)


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    q = statistics.quantiles(samples, n=100)
    return q[49], q[94], q[98]


def shown(samples: list[float]) -> str:
    p50, p95, p99 = percentiles(samples)
    return f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms"


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process on this machine now, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1024 / 1024


@dataclass
class Measured:
    engine: str
    indexing_s: float
    own: list[float]
    page: list[float]
    memory: str
    extra: list[str] = field(default_factory=list)


def make_engine(name: str, tmp: Path) -> SearchEngine:
    if name == "tantivy":
        return TantivyEngine(tmp / "tantivy")
    from marketplace.search.elastic_engine import ElasticEngine

    variable = f"{name.upper()}_URL"
    url = os.environ.get(variable)
    if not url:
        sys.exit(f"--engine {name} needs {variable}: run under scripts/with-{name}.sh")
    make = ElasticEngine.opensearch if name == "opensearch" else ElasticEngine.elasticsearch
    return make(url, prefix="bench-", timeout=BENCH_TIMEOUT)


def memory(name: str, engine: SearchEngine, tmp: Path) -> tuple[str, list[str]]:
    """What the engine holds: tantivy's index on disk (the bench process hosts tantivy, so its
    resident memory is listed too); a node's resident memory, heap and primary store."""
    if isinstance(engine, TantivyEngine):
        return (f"index {folder_mb(tmp / 'tantivy'):.0f} MB on disk; "
                f"bench process {rss_mb():.0f} MB resident"), []  # fmt: skip
    from marketplace.search.elastic_engine import ElasticEngine

    assert isinstance(engine, ElasticEngine)
    client = engine.writer
    node = next(iter(client.nodes.info(metric="process")["nodes"].values()))
    stats = next(iter(client.nodes.stats(metric="jvm")["nodes"].values()))["jvm"]["mem"]
    store = client.indices.stats(index=engine.alias, metric="store")["_all"]["primaries"]
    resident = rss_mb(node["process"]["id"])
    version = node["version"]
    return (f"node {resident:.0f} MB resident, heap {stats['heap_used_in_bytes'] / 2**20:.0f} of "
            f"{stats['heap_max_in_bytes'] / 2**20:.0f} MB; "
            f"index {store['store']['size_in_bytes'] / 2**20:.0f} MB"), [f"{name} {version}"]  # fmt: skip  # noqa: E501


def measure(name: str, n: int, tmp: Path, app: Flask, asked: list[dict[str, str]],
            parsed: list[SearchQuery]) -> Measured:  # fmt: skip
    engine = make_engine(name, tmp)
    started = time.perf_counter()
    added = engine.rebuild(documents(n, random.Random(SEED)), lambda _: None)
    indexing = time.perf_counter() - started
    assert added == n == engine.count(), (added, engine.count())
    print(f"{name}: indexed {n} listings in {indexing:.1f} s", flush=True)
    for q in parsed[:20]:  # warm caches and the vocabulary
        with contextlib.suppress(SearchUnavailable):
            engine.search(q)
    own, raw = [], []
    failed = 0
    for q in parsed:
        t0 = time.perf_counter()
        try:
            engine.search(q)
        except SearchUnavailable:
            failed += 1  # its time (up to the timeout and retries) stays in the figures
        own.append((time.perf_counter() - t0) * 1000)
        if isinstance(engine, TantivyEngine):
            import tantivy

            compiled = engine.compiled(q) or tantivy.Query.empty_query()
            searcher = engine._current().searcher()
            t0 = time.perf_counter()
            searcher.search(compiled, limit=20, count=True)
            raw.append((time.perf_counter() - t0) * 1000)
    app.extensions[services.ENGINE_KEY] = engine
    client = app.test_client()
    page, unavailable = [], 0
    for p in asked:
        t0 = time.perf_counter()
        response = client.get("/search", query_string=p)
        page.append((time.perf_counter() - t0) * 1000)
        assert response.status_code in (200, 503), (name, response.status_code)
        unavailable += response.status_code == 503
    print(f"{name}: engine {shown(own)}; page p50 {statistics.median(page):.1f} ms", flush=True)
    held, extra = memory(name, engine, tmp)
    if failed or unavailable:
        extra.append(f"{name}: {failed} engine searches and {unavailable} pages failed "
                     f"(timed out at {BENCH_TIMEOUT:.0f} s with {RETRIES} retries)")  # fmt: skip
    if raw:
        extra.append(f"raw tantivy, same compiled queries, top 20: {shown(raw)} "
                     f"(engine / raw at the median {statistics.median(own) / statistics.median(raw):.1f}x)")  # fmt: skip  # noqa: E501
    return Measured(name, indexing, own, page, held, extra)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000, help="listings (100000)")
    parser.add_argument("queries", nargs="?", type=int, default=500, help="queries (500)")
    parser.add_argument("--engine", action="extend", type=lambda s: s.split(","),
                        help="tantivy, opensearch, elasticsearch; repeat or join with commas "
                             "(tantivy)")  # fmt: skip
    args = parser.parse_args()
    names = args.engine or ["tantivy"]
    unknown = set(names) - set(ENGINES)
    if unknown:
        parser.error(f"unknown engine {', '.join(sorted(unknown))}: choose from "
                     f"{', '.join(ENGINES)}")  # fmt: skip
    n, count = args.n, args.queries
    tmp = Path(tempfile.mkdtemp(prefix="search-bench-"))

    from flask_migrate import upgrade
    from werkzeug.datastructures import MultiDict

    from marketplace import create_app
    from marketplace.search.query import parse_query

    app = create_app({"INSTANCE_PATH": str(tmp), "TESTING": True, "RATELIMIT_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3"})  # fmt: skip
    asked = queries(count, random.Random(SEED + 1))
    with app.app_context():
        upgrade()
        parsed: list[SearchQuery] = [parse_query(MultiDict(p)) for p in asked]
    before = cpu_times()
    results = [measure(name, n, tmp, app, asked, parsed) for name in names]
    stolen = stolen_share(before, cpu_times())

    print(f"\n{n} listings, {count} queries each, the same documents and queries for every engine")
    print(f"{'engine':<14} {'indexing':>9} {'p50':>8} {'p95':>8} {'p99':>8} {'page p50':>9}  "
          "memory")  # fmt: skip
    for r in results:
        p50, p95, p99 = percentiles(r.own)
        print(f"{r.engine:<14} {r.indexing_s:>7.1f} s {p50:>5.1f} ms {p95:>5.1f} ms {p99:>5.1f} ms "
              f"{statistics.median(r.page):>6.1f} ms  {r.memory}")  # fmt: skip
    for r in results:
        for line in r.extra:
            print(f"  {line}")
    print("targets (tantivy): engine p50 <= 5 ms, p95 <= 15 ms; page p50 <= 30 ms")
    print(f"machine: {os.cpu_count()} CPUs, {platform.platform()}, "
          f"Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f} at the end, "
          f"{stolen:.0%} of processor time taken by the host (steal)")  # fmt: skip


if __name__ == "__main__":
    main()
