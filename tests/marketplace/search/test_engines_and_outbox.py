"""The engine boundary: same bodies to Elasticsearch, outages, the outbox, the real CQC records."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from click.testing import Result

from marketplace.demo.services import load_demo
from marketplace.directory.models import Listing
from marketplace.extensions import db
from marketplace.search import services
from marketplace.search.elastic_engine import ElasticEngine, plain_media_types, search_body
from marketplace.search.geo import locate
from marketplace.search.interfaces import SearchUnavailable
from marketplace.search.models import SearchOutbox
from marketplace.search.query import SearchQuery, text_clauses


class Recording:
    """An elastic_transport node that records each request body and answers like a server."""

    sent: list[tuple[str, str, Any]] = []
    headers: list[dict[str, str]] = []

    def __init__(self, config: Any) -> None:
        self.config = config
        self.host, self.port, self.base_url = "127.0.0.1", 9200, "http://127.0.0.1:9200"

    def perform_request(self, method: str, target: str, body: bytes | None = None,
                        headers: Any = None, **_: Any):  # fmt: skip
        from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
        from elastic_transport._node._base import NodeApiResponse

        Recording.sent.append((method, target, json.loads(body) if body else None))
        Recording.headers.append(dict(headers or {}))
        answer = {"hits": {"total": {"value": 0}, "hits": []}, "aggregations": {}}
        meta = ApiResponseMeta(200, "1.1", HttpHeaders({"x-elastic-product": "Elasticsearch",
                               "content-type": "application/json"}), 0.0,
                               NodeConfig("http", "127.0.0.1", 9200))  # fmt: skip
        return NodeApiResponse(meta, json.dumps(answer).encode())

    def close(self) -> None:
        pass


def test_elasticsearch_gets_the_same_search_body_as_opensearch() -> None:
    from elasticsearch import Elasticsearch

    Recording.sent = []
    client = Elasticsearch("http://127.0.0.1:9200", node_class=Recording)
    engine = ElasticEngine(client, (Exception,), "elasticsearch")
    query = SearchQuery(text="demensia care", categories=("homecare",), place=locate("OL1"),
                        radius_miles=5, sort="distance")  # fmt: skip
    engine.search(query)
    method, target, body = Recording.sent[-1]
    assert (method, target) == ("POST", "/listings/_search")
    assert body == json.loads(json.dumps(search_body(query)))


def test_the_client_asks_for_plain_json_which_elasticsearch_8_and_9_both_serve() -> None:
    """The 9.x client asks for the 9 API by media type, which an Elasticsearch 8 cluster refuses
    (with-elasticsearch.sh runs 8.19, the newest test distribution on Maven Central): the
    engine's connection sends the same headers as plain JSON, which every version serves."""
    from elasticsearch import Elasticsearch

    Recording.headers = []
    engine = ElasticEngine(Elasticsearch("http://127.0.0.1:9200", node_class=Recording),
                           (Exception,), "elasticsearch")  # fmt: skip
    engine.search(SearchQuery(text="care"))
    engine.upsert([])  # nothing to send
    engine.writer.bulk(index="listings", operations=[{"delete": {"_id": "1"}}])
    search_headers, bulk_headers = Recording.headers[-2], Recording.headers[-1]
    assert search_headers["accept"] == "application/vnd.elasticsearch+json; compatible-with=9"
    assert bulk_headers["content-type"] == (
        "application/vnd.elasticsearch+x-ndjson; compatible-with=9"
    )
    assert plain_media_types(search_headers)["accept"] == "application/json"
    assert plain_media_types(search_headers)["content-type"] == "application/json"
    assert plain_media_types(bulk_headers)["content-type"] == "application/x-ndjson"
    others = {k: v for k, v in search_headers.items() if k not in ("accept", "content-type")}
    assert {k: plain_media_types(search_headers)[k] for k in others} == others


def test_typo_tolerance_follows_word_length() -> None:
    body = search_body(SearchQuery(text="ot cot care gardning companionshp dementia"))
    fuzz = [clause["bool"]["should"][0]["multi_match"]["fuzziness"]
            for clause in body["query"]["bool"]["must"]]  # fmt: skip
    assert fuzz == [0, 0, 1, 2, 2, 0]  # a care word's alternatives are spelt right already
    assert text_clauses("OT")[0][0] == ("ot",)


@pytest.mark.skipif(not os.environ.get("ELASTICSEARCH_URL"), reason="ELASTICSEARCH_URL not set: "
                    "run under scripts/with-elasticsearch.sh")  # fmt: skip
def test_live_elasticsearch_round_trip(app_ctx, make_listing) -> None:
    engine = ElasticEngine.elasticsearch(os.environ["ELASTICSEARCH_URL"], prefix="test-")
    engine.ensure_index()
    listing = make_listing(title="Dementia companionship")
    engine.upsert([services.build_document(listing)])
    assert engine.search(SearchQuery(text="demensia")).hits[0].listing_id == listing.id
    engine.drop()


class FailsAfter:
    """A tantivy engine that goes down after `ok` successful writes."""

    def __init__(self, inner: Any, ok: int) -> None:
        self.inner, self.ok, self.name = inner, ok, "failing"

    def upsert(self, docs: list[dict], version: int | None = None) -> None:
        if self.ok <= 0:
            raise SearchUnavailable("engine down")
        self.ok -= 1
        self.inner.upsert(docs, version)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_listing_read_earlier_but_sent_later_cannot_put_back_its_older_state(
    app, engine, make_listing, drain
) -> None:
    """Two machines drain the outbox. One reads a listing; the other reads it after a change
    and sends it; then the first sends what it read. The server keeps the newer, and an
    older delete cannot remove it either."""
    if engine.name not in ("opensearch", "elasticsearch"):
        pytest.skip("tantivy's index is on one machine and keeps no versions")
    listing = make_listing(title="Swimming lessons")
    drain()
    slow_version = services.read_version()
    slow_read = services.build_document(listing)
    while services.read_version() <= slow_version:
        pass  # SQLite's clock counts milliseconds: the change comes on a later one
    listing.title = "Gardening help"
    db.session.commit()
    assert drain() == 1
    engine.upsert([slow_read], slow_version)
    engine.delete([listing.id], slow_version)

    def found(words: str) -> list[int]:
        return [hit.listing_id for hit in engine.search(SearchQuery(text=words)).hits]

    assert found("gardening") == [listing.id]
    assert found("swimming") == []


def test_an_engine_failing_mid_drain_loses_nothing(app, tantivy_engine, make_listing, monkeypatch):
    monkeypatch.setattr(services, "DRAIN_BATCH", 1)
    for n in range(3):
        make_listing(title=f"Swimming {n}")
    waiting = len(db.session.scalars(db.select(SearchOutbox)).all())
    app.extensions[services.ENGINE_KEY] = FailsAfter(tantivy_engine, ok=1)
    with pytest.raises(SearchUnavailable):
        services.drain_outbox()
    left = db.session.scalars(db.select(SearchOutbox).order_by(SearchOutbox.id)).all()
    assert len(left) == waiting - 1
    assert left[0].attempts == 1 and left[0].last_error == "engine down"
    app.extensions[services.ENGINE_KEY] = tantivy_engine
    assert services.drain_outbox() == waiting - 1
    assert tantivy_engine.count() == 3


def test_saves_succeed_and_search_says_503_when_the_engine_is_down(
    app, client, tantivy_engine, make_listing, monkeypatch
):
    def down(*_: Any) -> None:
        raise SearchUnavailable("connection refused")

    monkeypatch.setattr(tantivy_engine, "search", down)
    monkeypatch.setattr(tantivy_engine, "upsert", down)
    make_listing(title="Saved anyway")
    assert db.session.scalar(db.select(db.func.count(Listing.id))) == 1
    page = client.get("/search", query_string={"q": "saved"})
    assert page.status_code == 503 and "Search is not working" in page.get_data(as_text=True)
    assert client.get("/search.json?q=x").status_code == 503
    monkeypatch.undo()
    app.extensions[services.ENGINE_KEY] = tantivy_engine
    services.drain_outbox()
    assert client.get("/search.json?q=saved").get_json()["total"] == 1


def test_bad_parameters_get_400_with_a_message(client, tantivy_engine) -> None:
    cases = [
        ({"postcode": "ZZ9 9ZZ"}, "cannot find"),
        ({"radius": "x", "postcode": "OL1"}, "miles"),
        ({"max_price": "lots"}, "pounds"),
        ({"sort": "distance"}, "postcode"),
        ({"category": "nope"}, "category"),
        ({"time": "9am"}, "day"),
    ]
    for params, word in cases:
        response = client.get("/search.json", query_string=params)
        assert response.status_code == 400 and word in response.get_json()["error"], params
    assert client.get("/search?postcode=hello").status_code == 400


def test_demensia_near_oldham_finds_dementia_specialists_nearest_first(app, client, engine) -> None:
    with app.app_context():
        load_demo()
        db.session.commit()
        result: Result = app.test_cli_runner().invoke(args=["search", "reindex"])
        assert result.exit_code == 0, result.output
    params = {"q": "demensia", "postcode": "OL1 1AA", "radius": "5", "sort": "distance"}
    body = client.get("/search.json", query_string=params).get_json()
    assert body["total"] >= 5
    assert all("dementia-support" in hit["categories"] for hit in body["results"])
    distances = [hit["distance_miles"] for hit in body["results"]]
    assert distances == sorted(distances)


def test_drain_command_reports_what_it_sent(app, tantivy_engine, make_listing) -> None:
    make_listing(title="Anything")
    result = app.test_cli_runner().invoke(args=["search", "drain"])
    assert result.exit_code == 0 and "Sent" in result.output
    assert db.session.scalars(db.select(SearchOutbox)).all() == []
