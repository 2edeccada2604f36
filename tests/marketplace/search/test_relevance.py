"""Relevance cannot fall back: part of bench/relevance.py's judged set, on every engine.

The real CQC records (Oldham's, and the national directory's) become listings through the
demo's loader and reach the engine through the outbox; each search is judged from the records'
own service types, specialisms and regulated activities, never from the index."""

from __future__ import annotations

from bench import relevance

# (words, postcode): a part of the judged set that needs every kind of entry in
# data/search_vocabulary.toml: phrases that mean the same, words that find others one way, typos
# in care words, and "home care" that is not "care home".
SAMPLE = (
    ("home care dementia", "OL8 1DF"),
    ("domicilary care", "OL1 1HD"),
    ("someone to help me get up", "OL8 1DF"),
    ("care home", "OL8 1DF"),
    ("nursing home", "OL8 1DF"),
    ("autism", "OL8 1DF"),
    ("learning disabilty", "M35 0AD"),
    ("respite dementia", "OL8 3AA"),
    ("care at home for older people", "OL4 2JL"),
    ("domiciliary care", "IG1 4PU"),
    ("OT", "OL8 1DF"),
)


def _judged(words: str, postcode: str) -> relevance.Judged:
    return next(j for j in relevance.JUDGED if (j.text, j.postcode) == (words, postcode))


def test_care_words_rank_what_the_cqc_records_say_first(engine, app_ctx, drain):
    relevance.load_records_into_database()
    drain()
    locations = relevance.location_ids()
    records = relevance.records()
    below = {}
    for words, postcode in SAMPLE:
        judged = _judged(words, postcode)
        found = relevance.found_locations(engine, judged, locations)
        ndcg = relevance.score(found, relevance.grades_for(judged, records)).ndcg
        if ndcg < 0.9:
            below[f"{words} near {postcode}"] = round(ndcg, 2)
    assert below == {}


def test_home_care_for_dementia_finds_agencies_never_a_care_homes_respite_stay(
    engine, app_ctx, drain
):
    relevance.load_records_into_database()
    drain()
    judged = _judged("home care dementia", "OL8 1DF")
    found = relevance.found_locations(engine, judged, relevance.location_ids())
    by_location = {record.location_id: record for record in relevance.records()}
    assert len(found) == 10
    assert all(relevance.HOME_CARE(by_location[location]) for location in found)
    assert all(relevance.DEMENTIA(by_location[location]) for location in found)
