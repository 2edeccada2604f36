"""Relevance bench: a judged set of searches over the real CQC records, on every engine at hand.

    PYTHONPATH=. .venv/bin/python bench/relevance.py [--no-vocabulary]
    scripts/with-opensearch.sh scripts/with-elasticsearch.sh .venv/bin/python bench/relevance.py

The records are CQC's own: its public API answers for every registered location in Oldham
(August 2025; data/providers/, copied from the project's shared data with the registered
managers' names removed), the one file that gives service types, specialisms and regulated
activities with a place, and the social care rows of the national care directory's first 500
(same folder; service types and specialisms, placed by postcode). The corpus is what the app
makes of them: `demo load`'s own loader turns each registered social care location into a
provider and its listing in a temporary database, and `search reindex`'s documents fill each
engine (tantivy always; OpenSearch and Elasticsearch when OPENSEARCH_URL / ELASTICSEARCH_URL are
set). The other files in the shared folder are left out: the locations head has no addresses,
and the care home lists name no specialisms.

Each judged search is the words a person types, near a real postcode, within a radius. It is
judged from the records alone (never from the index): a record is relevant (grade 2) when its
own CQC service types, specialisms and regulated activities give what the words ask for and it
is within the radius of the postcode; some searches also count a near miss (grade 1). A record
that gives the service but not what the words add ("home care dementia": an agency that does
not list dementia) is not relevant: the person asked for both.

Prints, per engine: mean precision@10 (and the best possible, when a search has fewer than 10
relevant records), mean nDCG@10 (gain 2^grade - 1), the searches whose nDCG@10 is below 0.9, and
the mean overlap of each two engines' top 10 (shared listings / the longer list). Searches
whose words no record in reach answers (physiotherapy, OT: CQC does not register them) are
listed apart: there the right answer is nothing. `--no-vocabulary` runs the same searches
without data/search_vocabulary.toml (stop words only), to show what it does. Asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marketplace.paths import PROJECT_ROOT
from marketplace.search.geo import Point, locate, miles_between

RECORDS = PROJECT_ROOT / "data" / "providers" / "cqc_api_locations_oldham_2025-08.json"
DIRECTORY = RECORDS.with_name("cqc_directory_head_2025-08.csv")
# fmt: off
SOCIAL_CARE = {"Homecare agencies", "Residential homes", "Nursing homes", "Supported living",
               "Supported housing", "Shared lives", "Extra Care housing services",
               "Community services - Learning disabilities", "Community services - Mental Health",
               "Community services - Substance abuse", "Community services - Nursing"}
# The directory's service types that are CQC service types (it also says "Partnership" …).
SERVICE_TYPES = SOCIAL_CARE | {"Doctors/GPs", "Dentist", "Clinic", "Diagnosis/screening",
                               "Community services - Healthcare", "Hospice", "Home hospice care",
                               "Rehabilitation (illness/injury)", "Hospital", "Ambulances",
                               "Hospitals - Mental health/capacity", "Phone/online advice"}
# CQC's regulated activities, as the directory's comma-separated list gives them.
ACTIVITIES = {"Personal care", "Accommodation for persons who require nursing or personal care",
              "Treatment of disease", "disorder or injury", "Diagnostic and screening procedures",
              "Surgical procedures", "Maternity and midwifery services",
              "Family planning services", "Transport services",
              "triage and medical advice provided remotely", "Termination of pregnancies",
              "Accommodation for persons who require treatment for substance misuse",
              "Assessment or medical treatment for persons detained under the 1983 Act"}
# fmt: on
TOP = 10


# The records and how they are judged


@dataclass(frozen=True)
class Record:
    location_id: str
    point: Point
    service_types: frozenset[str]
    specialisms: frozenset[str]
    activities: frozenset[str]


def records() -> list[Record]:
    """The registered social care locations with a place: Oldham's (those the demo lists) and
    those of the national directory's head."""
    return [
        Record(
            location_id=loc["locationId"],
            point=Point(float(loc["onspdLatitude"]), float(loc["onspdLongitude"])),
            service_types=frozenset(t["name"] for t in loc.get("gacServiceTypes", [])),
            specialisms=frozenset(s["name"] for s in loc.get("specialisms", [])),
            activities=frozenset(a["name"] for a in loc.get("regulatedActivities", [])),
        )
        for loc in [*oldham_locations(), *directory_locations()]
    ]


def oldham_locations() -> list[dict[str, Any]]:
    with RECORDS.open(encoding="utf-8") as handle:
        raw: list[dict[str, Any]] = json.load(handle)
    return [
        loc
        for loc in raw
        if loc.get("registrationStatus") == "Registered"
        and loc.get("type") == "Social Care Org"
        and loc.get("postalCode")
        and loc.get("onspdLatitude") is not None
    ]


def directory_locations() -> list[dict[str, Any]]:
    """The social care rows of the national directory's head, as CQC API answers (the shape
    the demo's loader reads): the directory lists regulated activities among the specialisms,
    and splits "Treatment of disease, disorder or injury" at its comma."""
    oldham = {loc["locationId"] for loc in oldham_locations()}
    found = []
    with DIRECTORY.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            kinds = [t.strip() for t in row["Service types"].split(",") if t.strip()]
            location_id = row["CQC Location ID (for office use only)"].strip()
            if not SOCIAL_CARE & set(kinds) or location_id in oldham:
                continue
            items = [i.strip() for i in row["Specialisms/services"].split(",") if i.strip()]
            point = locate(row["Postcode"]).point
            found.append({
                "locationId": location_id,
                "providerId": row["CQC Provider ID (for office use only)"].strip(),
                "name": row["Name"].strip(),
                "postalCode": row["Postcode"].strip(),
                "postalAddressLine1": row["Address 1"].strip(),
                "postalAddressTownCity": row["Town/City"].strip(),
                "localAuthority": row["Local authority"].strip(),
                "onspdLatitude": point.latitude,
                "onspdLongitude": point.longitude,
                "registrationStatus": "Registered",
                "type": "Social Care Org",
                "gacServiceTypes": [{"name": kind} for kind in kinds if kind in SERVICE_TYPES],
                "specialisms": [{"name": i} for i in items if i not in ACTIVITIES],
                "regulatedActivities": [{"name": i} for i in items if i in ACTIVITIES],
            })  # fmt: skip
    return found


Rule = Callable[[Record], bool]


def types(*names: str) -> Rule:
    return lambda r: bool(r.service_types & set(names))


def specialisms(*names: str) -> Rule:
    return lambda r: bool(r.specialisms & set(names))


def activities(*names: str) -> Rule:
    return lambda r: bool(r.activities & set(names))


def both(*rules: Rule) -> Rule:
    return lambda r: all(rule(r) for rule in rules)


def either(*rules: Rule) -> Rule:
    return lambda r: any(rule(r) for rule in rules)


HOME_CARE = types("Homecare agencies")
CARE_HOME = types("Residential homes", "Nursing homes")
NURSING_HOME = types("Nursing homes")
SUPPORTED_LIVING = types("Supported living", "Supported housing", "Extra Care housing services")
# CQC records no respite as such: short stays are what care homes and Shared Lives offer.
RESPITE = types("Residential homes", "Nursing homes", "Shared lives")
# A home care agency's regulated activity is personal care (the national directory's rows do
# not list activities; Oldham's agencies all name it).
PERSONAL_CARE_AT_HOME = either(HOME_CARE, both(activities("Personal care"), SUPPORTED_LIVING))
DEMENTIA = specialisms("Dementia")
# CQC's band is "learning disabilities or autistic spectrum disorder".
LEARNING_DISABILITY = specialisms("Learning disabilities")
MENTAL_HEALTH = either(
    specialisms("Mental health conditions"), types("Community services - Mental Health")
)
PHYSICAL = specialisms("Physical disabilities")
SENSORY = specialisms("Sensory impairment", "Sensory impairments")
EATING = specialisms("Eating disorders")
SUBSTANCE = either(
    specialisms("Substance misuse problems"), types("Community services - Substance abuse")
)
OLDER = specialisms("Caring for adults over 65 yrs")
CHILDREN = specialisms("Caring for children", "Caring for children (0 - 18yrs)")
NOTHING: Rule = lambda r: False  # noqa: E731  what CQC does not register


@dataclass(frozen=True)
class Judged:
    text: str
    postcode: str
    radius: float
    relevant: Rule  # grade 2
    near_miss: Rule = NOTHING  # grade 1

    def grade(self, record: Record, place: Point) -> int:
        if miles_between(place, record.point) > self.radius:
            return 0
        return 2 if self.relevant(record) else 1 if self.near_miss(record) else 0


J = Judged
JUDGED: tuple[Judged, ...] = (
    # home care, in the words people use, and never a care home's respite stay for it
    J("home care", "OL8 1DF", 5, HOME_CARE),
    J("home care", "OL2 6AB", 5, HOME_CARE),
    J("homecare", "OL9 7AP", 5, HOME_CARE),
    J("domiciliary care", "OL8 4AL", 5, HOME_CARE),
    J("domiciliary", "OL4 1BN", 5, HOME_CARE),
    J("domicilary care", "OL1 1HD", 5, HOME_CARE),
    J("homcare", "M35 0AD", 5, HOME_CARE),
    J("care at home", "OL9 9QH", 5, HOME_CARE),
    J("home care dementia", "OL8 1DF", 5, both(HOME_CARE, DEMENTIA)),
    J("home care dementia", "OL4 5AA", 5, both(HOME_CARE, DEMENTIA)),
    J("home care for dementia", "OL1 4EA", 3, both(HOME_CARE, DEMENTIA)),
    J("dementia home care", "M35 9BG", 5, both(HOME_CARE, DEMENTIA)),
    J("domiciliary care demensia", "OL9 6HT", 5, both(HOME_CARE, DEMENTIA)),
    J("home care learning disabilities", "OL8 3AA", 5, both(HOME_CARE, LEARNING_DISABILITY)),
    J("home care mental health", "OL9 0AA", 5, both(HOME_CARE, MENTAL_HEALTH)),
    J("home care physical disabilities", "OL2 5ED", 5, both(HOME_CARE, PHYSICAL)),
    J("home care elderly", "OL8 2BA", 5, both(HOME_CARE, OLDER)),
    J("care at home for older people", "OL4 2JL", 5, both(HOME_CARE, OLDER)),
    J("home care sensory impairment", "OL1 2DP", 5, both(HOME_CARE, SENSORY)),
    # someone to help at home
    J("someone to help me get up", "OL8 1DF", 5, PERSONAL_CARE_AT_HOME),
    J("someone to help me get up", "OL2 8NH", 5, PERSONAL_CARE_AT_HOME),
    J("help getting dressed", "OL9 8AP", 5, PERSONAL_CARE_AT_HOME),
    J("help at home", "OL4 4HA", 5, PERSONAL_CARE_AT_HOME),
    J("personal care at home", "M35 0AL", 5, PERSONAL_CARE_AT_HOME),
    # care homes, and never a home care agency for them
    J("care home", "OL8 1DF", 5, CARE_HOME),
    J("care home", "OL3 6BD", 5, CARE_HOME),
    J("care homes", "OL9 7AP", 5, CARE_HOME),
    J("residential care", "OL1 3PA", 5, CARE_HOME),
    J("residential home", "OL4 1DB", 5, CARE_HOME),
    J("care home dementia", "OL8 1DF", 5, both(CARE_HOME, DEMENTIA)),
    J("care home for dementia", "OL2 6AB", 5, both(CARE_HOME, DEMENTIA)),
    J("dementia care home", "OL9 9QH", 5, both(CARE_HOME, DEMENTIA)),
    J("care home mental health", "OL8 4AL", 5, both(CARE_HOME, MENTAL_HEALTH)),
    J("elderly care home", "OL4 5AA", 5, both(CARE_HOME, OLDER)),
    J("care home physical disabilities", "OL1 1HD", 5, both(CARE_HOME, PHYSICAL)),
    J("nursing home", "OL8 1DF", 5, NURSING_HOME),
    J("nursing home", "OL2 6AB", 8, NURSING_HOME),
    J("nursing homes", "OL9 0AA", 5, NURSING_HOME),
    J("nursing home dementia", "OL4 1BN", 5, both(NURSING_HOME, DEMENTIA)),
    J("nursing care", "OL1 2DP", 5, NURSING_HOME),
    # respite
    J("respite", "OL8 1DF", 5, RESPITE),
    J("respite", "OL2 8NH", 5, RESPITE),
    J("respit", "OL9 7AP", 5, RESPITE),
    J("respite care", "OL4 2JL", 5, RESPITE),
    J("short break", "OL1 4EA", 5, RESPITE),
    J("respite dementia", "OL8 3AA", 5, both(RESPITE, DEMENTIA)),
    J("respite for someone with dementia", "OL9 6HT", 5, both(RESPITE, DEMENTIA)),
    # who the support is for
    J("dementia", "OL8 1DF", 3, DEMENTIA),
    J("dementia", "OL2 5ED", 5, DEMENTIA),
    J("demensia", "OL4 4HA", 3, DEMENTIA),
    J("alzheimers", "OL1 3PA", 3, DEMENTIA),
    J("autism", "OL8 1DF", 5, LEARNING_DISABILITY),
    J("autism", "OL2 6AB", 5, LEARNING_DISABILITY),
    J("autistic", "OL9 7AP", 5, LEARNING_DISABILITY),
    J("autisim", "OL4 1DB", 5, LEARNING_DISABILITY),
    J("learning disability", "OL8 4AL", 5, LEARNING_DISABILITY),
    J("learning disabilities", "OL1 1HD", 5, LEARNING_DISABILITY),
    J("learning disabilty", "M35 0AD", 5, LEARNING_DISABILITY),
    J("learning difficulties", "OL9 9QH", 5, LEARNING_DISABILITY),
    J("mental health", "OL8 1DF", 5, MENTAL_HEALTH),
    J("mental health", "OL3 6BD", 8, MENTAL_HEALTH),
    J("mental helth", "OL1 2DP", 5, MENTAL_HEALTH),
    J("physical disabilities", "OL8 2BA", 3, PHYSICAL),
    J("physical disability", "OL4 5AA", 3, PHYSICAL),
    J("sensory impairment", "OL9 8AP", 3, SENSORY),
    J("hearing loss", "OL8 3AA", 3, SENSORY),
    J("eating disorders", "OL8 1DF", 5, EATING),
    J("substance misuse", "OL1 1HD", 5, SUBSTANCE),
    J("alcohol", "OL9 0AA", 5, SUBSTANCE),
    J("children", "OL8 1DF", 5, CHILDREN),
    J("elderly", "OL2 8NH", 3, OLDER),
    J("older people", "OL4 2JL", 3, OLDER),
    # supported living
    J("supported living", "OL8 1DF", 5, SUPPORTED_LIVING),
    J("supported living", "OL2 6AB", 8, SUPPORTED_LIVING),
    J("suported living", "OL9 7AP", 5, SUPPORTED_LIVING),
    J(
        "supported living learning disabilities",
        "OL1 4EA",
        5,
        both(SUPPORTED_LIVING, LEARNING_DISABILITY),
    ),
    J("supported living autism", "OL8 4AL", 5, both(SUPPORTED_LIVING, LEARNING_DISABILITY)),
    J("supported living mental health", "OL4 1BN", 5, both(SUPPORTED_LIVING, MENTAL_HEALTH)),
    # elsewhere in England, from the national directory's records
    J("home care", "SE4 1SD", 8, HOME_CARE),
    J("domiciliary care", "IG1 4PU", 8, HOME_CARE),
    J("home care dementia", "DA16 3QR", 8, both(HOME_CARE, DEMENTIA)),
    J("someone to help me get up", "KT3 3ST", 8, PERSONAL_CARE_AT_HOME),
    J("home care elderly", "RG5 4JB", 8, both(HOME_CARE, OLDER)),
    J("supported living", "NE9 6RR", 8, SUPPORTED_LIVING),
    J("learning disabilities", "SE4 1SD", 8, LEARNING_DISABILITY),
    J("autism", "IG1 4PU", 8, LEARNING_DISABILITY),
    J("mental health", "DA16 3QR", 8, MENTAL_HEALTH),
    J("children", "SE4 1SD", 8, CHILDREN),
    J("physical disability", "NE9 6RR", 8, PHYSICAL),
    J("sensory impairment", "IG1 4PU", 8, SENSORY),
    # what CQC does not register: the right answer is nothing
    J("physio", "OL8 1DF", 5, NOTHING),
    J("physiotherapy", "OL9 7AP", 5, NOTHING),
    J("OT", "OL8 1DF", 5, NOTHING),
    J("occupational therapist", "OL1 1HD", 5, NOTHING),
    J("PA", "OL4 1BN", 5, NOTHING),
)


# Measures


def dcg(grades: list[int]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades[:TOP]))


@dataclass
class Score:
    precision: float
    best_precision: float
    ndcg: float


def score(found: list[str], grades: dict[str, int]) -> Score:
    """Precision@10 and nDCG@10 of the listings found (by CQC location id) against the grades."""
    got = [grades.get(location, 0) for location in found[:TOP]]
    ideal = sorted(grades.values(), reverse=True)
    relevant = sum(1 for g in ideal if g > 0)
    return Score(
        precision=sum(1 for g in got if g > 0) / TOP,
        best_precision=min(relevant, TOP) / TOP,
        ndcg=dcg(got) / dcg(ideal) if dcg(ideal) else float(not found),
    )


def overlap(first: list[str], second: list[str]) -> float:
    a, b = set(first[:TOP]), set(second[:TOP])
    return len(a & b) / max(len(a), len(b)) if a or b else 1.0


# The engines, filled with what the app makes of the records


def load_records_into_database() -> None:
    """The demo's loader: each registered social care location (Oldham's, then the national
    directory's) becomes a provider (not on this service yet) with its published listing.
    Commits."""
    from marketplace.accounts.models import Tenant, TenantKind
    from marketplace.demo.cqc import add_cqc_providers
    from marketplace.demo.report import DemoReport
    from marketplace.directory.taxonomy import load_taxonomy
    from marketplace.extensions import db

    load_taxonomy()
    council = Tenant(name="A council", kind=TenantKind.COUNCIL)
    db.session.add(council)
    db.session.flush()
    add_cqc_providers(council, DemoReport())
    add_cqc_providers(council, DemoReport(), directory_locations())
    db.session.commit()


def engines() -> Iterator[tuple[str, Any]]:
    from marketplace.search.elastic_engine import ElasticEngine
    from marketplace.search.tantivy.engine import TantivyEngine

    yield "tantivy", TantivyEngine(Path(tempfile.mkdtemp(prefix="relevance-")) / "tantivy")
    prefix = f"relevance-{uuid.uuid4().hex[:8]}-"
    if os.environ.get("OPENSEARCH_URL"):
        yield "opensearch", ElasticEngine.opensearch(os.environ["OPENSEARCH_URL"], prefix=prefix)
    if os.environ.get("ELASTICSEARCH_URL"):
        url = os.environ["ELASTICSEARCH_URL"]
        yield "elasticsearch", ElasticEngine.elasticsearch(url, prefix=prefix)


def location_ids() -> dict[int, str]:
    """Each listing's CQC location id."""
    from sqlalchemy import select

    from marketplace.directory.models import Listing, Provider
    from marketplace.extensions import db

    rows = db.session.execute(select(Listing.id, Provider.cqc_location_id).join(Listing.provider))
    return {listing_id: location for listing_id, location in rows}


def found_locations(engine: Any, judged: Judged, locations: dict[int, str]) -> list[str]:
    """The CQC location ids of the first page, as /search would rank it."""
    from werkzeug.datastructures import MultiDict

    from marketplace.search.query import parse_query

    params = {"q": judged.text, "postcode": judged.postcode, "radius": str(judged.radius)}
    results = engine.search(parse_query(MultiDict(params)))
    return [locations[hit.listing_id] for hit in results.hits[:TOP]]


def grades_for(judged: Judged, all_records: list[Record]) -> dict[str, int]:
    place = locate(judged.postcode).point
    graded = {r.location_id: judged.grade(r, place) for r in all_records}
    return {location: grade for location, grade in graded.items() if grade}


def without_vocabulary() -> None:
    """Searches from now on use the stop words only (no care words)."""
    from marketplace.search import query, vocabulary

    plain = vocabulary.Vocabulary(vocabulary.vocabulary().stop_words, {}, 1)
    query.vocabulary = lambda: plain  # type: ignore[assignment]
    query.text_clauses.cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-vocabulary", action="store_true",
                        help="search without data/search_vocabulary.toml")  # fmt: skip
    args = parser.parse_args()
    if args.no_vocabulary:
        without_vocabulary()
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.search import services

    tmp = Path(tempfile.mkdtemp(prefix="relevance-bench-"))
    app = create_app({"INSTANCE_PATH": str(tmp), "TESTING": True, "RATELIMIT_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3"})  # fmt: skip
    all_records = records()
    judged_grades = [(j, grades_for(j, all_records)) for j in JUDGED]
    measured = [(j, g) for j, g in judged_grades if g]
    nothing = [j for j, g in judged_grades if not g]
    found: dict[str, list[list[str]]] = {}
    with app.app_context():
        upgrade()
        load_records_into_database()
        documents = list(services.all_documents())
        locations = location_ids()
        for name, engine in engines():
            engine.ensure_index()
            engine.rebuild(iter(documents), lambda _: None)
            found[name] = [found_locations(engine, j, locations) for j in JUDGED]
            if hasattr(engine, "drop"):
                engine.drop()
    report(found, judged_grades, measured, nothing, len(documents))


def report(
    found: dict[str, list[list[str]]],
    judged_grades: list[tuple[Judged, dict[str, int]]],
    measured: list[tuple[Judged, dict[str, int]]],
    nothing: list[Judged],
    listings: int,
) -> None:
    names = list(found)
    print(f"{listings} listings from CQC records; {len(measured)} judged searches with relevant "
          f"records, {len(nothing)} where the right answer is nothing")  # fmt: skip
    index = {id(j): i for i, (j, _) in enumerate(judged_grades)}
    print(f"{'engine':<14} {'P@10':>6} {'best P@10':>10} {'nDCG@10':>8}")
    for name in names:
        scores = [score(found[name][index[id(j)]], g) for j, g in measured]
        p = sum(s.precision for s in scores) / len(scores)
        best = sum(s.best_precision for s in scores) / len(scores)
        n = sum(s.ndcg for s in scores) / len(scores)
        print(f"{name:<14} {p:>6.3f} {best:>10.3f} {n:>8.3f}")
    for name in names:
        for j, g in measured:
            s = score(found[name][index[id(j)]], g)
            if s.ndcg < 0.9:
                print(f"  {name}: nDCG@10 {s.ndcg:.2f} for {j.text!r} near {j.postcode}")
        empty = sum(1 for j in nothing if not found[name][index[id(j)]])
        print(f"  {name}: found nothing for {empty} of the {len(nothing)} searches with nothing "
              "to find")  # fmt: skip
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            shared = [overlap(a, b) for a, b in zip(found[first], found[second], strict=True)]
            print(f"top-10 overlap {first} / {second}: {sum(shared) / len(shared):.3f}")
            for (j, _), each in zip(judged_grades, shared, strict=True):
                if each < 0.8:
                    print(f"  {each:.1f} for {j.text!r} near {j.postcode}")


if __name__ == "__main__":
    main()
