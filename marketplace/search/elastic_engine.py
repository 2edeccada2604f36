"""The engine at scale: Elasticsearch (official client 9.x) or OpenSearch (opensearch-py).

Both clients get the same request bodies, built by `mapping()` and `search_body()`. The live
index is an alias; a rebuild fills a new versioned index and moves the alias in one atomic
update. Timeouts and retries are set here; any client or transport error becomes
SearchUnavailable.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from rapidfuzz.distance import Levenshtein

from marketplace.search.documents import SCHEMA_VERSION, Document
from marketplace.search.geo import Point, miles_between
from marketplace.search.highlight import highlight
from marketplace.search.interfaces import SearchUnavailable
from marketplace.search.query import (
    PRICE_BANDS,
    Alternative,
    Hit,
    SearchQuery,
    SearchResults,
    allowed_edits,
    empty_facets,
    typed_word,
)

TIMEOUT_SECONDS = 2.0
# Creating or deleting an index and moving the alias wait for the cluster state to change, and a
# bulk write waits for a refresh: seconds on a busy node, not milliseconds like a search.
WRITE_TIMEOUT_SECONDS = 30.0
RETRIES = 2
BULK_CHUNK = 1000
_WORD = re.compile(r"[a-z0-9]+")
TEXT_FIELDS = ["title^3", "category_names^2", "specialisms^2", "provider_name^1.5", "description"]
KEYWORDS = ("categories", "kind", "languages", "gender", "age_groups", "cqc_rating", "slots",
            "delivery_mode", "price_unit")  # fmt: skip
SOURCE = ["listing_id", "provider_id", "title", "description", "provider_name", "categories",
          "price_pence", "price_unit", "location", "delivery_mode"]  # fmt: skip
# An at-home service reaches a person only within the miles it travels. Without a script (a
# cluster may have scripting turned off) this is a set of bands: "travels at least b miles and
# is within b miles". Travel radii are whole miles, so this is exact up to 30 miles.
REACH_BANDS = (*range(1, 31), 35, 40, 45, 50, 60, 70, 80, 90, 100, 125, 150, 175, 200)


def mapping() -> dict[str, Any]:
    properties: dict[str, Any] = {
        name: {"type": "text"}
        for name in ("title", "description", "provider_name", "category_names", "specialisms")
    }
    properties.update({name: {"type": "keyword"} for name in KEYWORDS})
    properties.update(
        {
            "listing_id": {"type": "integer"},
            "provider_id": {"type": "integer"},
            "price_pence": {"type": "integer"},
            "location": {"type": "geo_point"},
            "travel_radius_miles": {"type": "float"},
            "accessible": {"type": "boolean"},
            "verified": {"type": "boolean"},
        }
    )
    return {
        "settings": {"number_of_shards": 1},
        "mappings": {"_meta": {"schema_version": SCHEMA_VERSION}, "properties": properties},
    }


def to_source(doc: Document) -> dict[str, Any]:
    source = {k: v for k, v in doc.items() if k not in ("latitude", "longitude")}
    if doc["latitude"] is not None:
        source["location"] = {"lat": doc["latitude"], "lon": doc["longitude"]}
    source["travel_radius_miles"] = doc["travel_radius_miles"] or 0.0
    return source


# The search request


def search_body(query: SearchQuery) -> dict[str, Any]:
    body: dict[str, Any] = {
        "query": {"bool": {"must": _text(query), "filter": _filters(query)}},
        "aggs": _aggregations(),
        "sort": _sort(query),
        "from": (query.page - 1) * query.per_page,
        "size": query.per_page,
        "track_total_hits": True,
        "_source": SOURCE,
    }
    return body


def _text(query: SearchQuery) -> list[dict[str, Any]]:
    clauses = [
        {
            "bool": {
                "should": [_alternative(a, typed_word(clause)) for a in clause],
                "minimum_should_match": 1,
            }
        }
        for clause in query.clauses
    ]
    return clauses or [{"match_all": {}}]


def _alternative(words: Alternative, typed: bool) -> dict[str, Any]:
    """One word (with typo tolerance when the person typed it), or a phrase: its words next
    to each other, in order. Every field that matches adds its score (a tie breaker of 1), as
    in the tantivy engine, so both rank alike."""
    match: dict[str, Any] = {"query": " ".join(words), "fields": TEXT_FIELDS, "tie_breaker": 1.0}
    if len(words) > 1:
        return {"multi_match": {**match, "type": "phrase"}}
    return {"multi_match": {**match, "fuzziness": allowed_edits(words[0]) if typed else 0}}


def _filters(query: SearchQuery) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = []
    for name, values in (
        ("categories", query.categories),
        ("kind", query.kinds),
        ("languages", query.languages),
        ("gender", (query.gender,) if query.gender else ()),
        ("age_groups", (query.age_group,) if query.age_group else ()),
        ("cqc_rating", query.cqc_ratings),
        ("slots", (query.slot,) if query.slot else ()),
    ):
        if values:
            filters.append({"terms": {name: list(values)}})
    if query.accessible:
        filters.append({"term": {"accessible": True}})
    if query.verified_only:
        filters.append({"term": {"verified": True}})
    if query.max_price_pence is not None:
        filters.append({"range": {"price_pence": {"lte": query.max_price_pence}}})
    if query.place is not None:
        filters.append(_near(query))
    return filters


def _near(query: SearchQuery) -> dict[str, Any]:
    """Online services; venues within the radius; at-home services within the radius that
    travel as far as the person.

    An at-home service reaches the person when the distance is within the largest band not
    above its travel radius (nor the search's radius). Each band is one clause for the services
    whose travel radius lies between it and the next band, so a service is checked against one
    distance, not one per band: the travel range picks the few services, then the distance is
    read for those."""
    assert query.place is not None
    point = {"lat": query.place.point.latitude, "lon": query.place.point.longitude}
    radius = query.radius_miles
    venue: dict[str, Any] = {"exists": {"field": "location"}}
    if radius is not None:
        venue = {"geo_distance": {"distance": f"{radius}mi", "location": point}}
    limit = radius if radius is not None else REACH_BANDS[-1]
    bands = sorted({b for b in REACH_BANDS if b < limit} | {limit})
    at_home = [
        {
            "bool": {
                "filter": [
                    {"term": {"delivery_mode": "at_home"}},
                    {"range": {"travel_radius_miles": {"gte": band, **upto}}},
                    {"geo_distance": {"distance": f"{band}mi", "location": point}},
                ]
            }
        }
        for band, upto in zip(bands, [{"lt": above} for above in bands[1:]] + [{}], strict=True)
    ]
    return {
        "bool": {
            "should": [
                {"term": {"delivery_mode": "online"}},
                {"bool": {"filter": [{"term": {"delivery_mode": "venue"}}, venue]}},
                *at_home,
            ],
            "minimum_should_match": 1,
        }
    }


def _aggregations() -> dict[str, Any]:
    return {
        "category": {"terms": {"field": "categories", "size": 50}},
        "kind": {"terms": {"field": "kind", "size": 20}},
        "language": {"terms": {"field": "languages", "size": 50}},
        "price_band": {
            "range": {
                "field": "price_pence",
                "ranges": [
                    {"key": key, "from": low, **({"to": high} if high < 10**9 else {})}
                    for key, _, low, high in PRICE_BANDS
                ],
            }
        },
    }


def _sort(query: SearchQuery) -> list[Any]:
    by_distance: list[Any] = []
    if query.place is not None:
        point = {"lat": query.place.point.latitude, "lon": query.place.point.longitude}
        by_distance = [{"_geo_distance": {"location": point, "order": "asc", "unit": "mi"}}]
    if query.sort == "distance":
        return [*by_distance, "_score", {"listing_id": "asc"}]
    if query.sort == "price":
        return [{"price_pence": "asc"}, "_score", {"listing_id": "asc"}]
    return ["_score", *by_distance, {"listing_id": "asc"}]


def read_results(response: Mapping[str, Any], query: SearchQuery) -> SearchResults:
    hits = [_hit(raw, query) for raw in response["hits"]["hits"]]
    facets = empty_facets()
    aggregations = response.get("aggregations", {})
    for name in ("category", "kind", "language", "price_band"):
        for bucket in aggregations.get(name, {}).get("buckets", []):
            if bucket["doc_count"]:
                facets[name][str(bucket["key"])] = bucket["doc_count"]
    return SearchResults(int(response["hits"]["total"]["value"]), hits, facets)


def _hit(raw: Mapping[str, Any], query: SearchQuery) -> Hit:
    source = raw["_source"]
    distance = None
    location = source.get("location")
    if query.place is not None and location and source.get("delivery_mode") != "online":
        distance = miles_between(query.place.point, Point(location["lat"], location["lon"]))
    title, description = source["title"], source.get("description") or ""
    terms = marked_terms(query, f"{title} {description}")
    return Hit(
        listing_id=int(source["listing_id"]),
        title=source["title"],
        provider_id=int(source["provider_id"]),
        provider_name=source["provider_name"],
        categories=list(source.get("categories") or []),
        price_pence=int(source["price_pence"]),
        price_unit=source["price_unit"],
        distance_miles=distance,
        score=float(raw.get("_score") or 0.0),
        highlights={
            "title": highlight(title, terms),
            "description": highlight(description, terms, snippet=True),
        },
    )


def marked_terms(query: SearchQuery, text: str) -> set[str]:
    """The words of `text` a search matched, to be marked as tantivy's engine marks them: each
    word of a phrase or care word as written, and a typed word with the words within its
    allowed edits. Worked out here, for the page's hits only: the servers' highlighters
    rewrite each typo-tolerant word for every field of every hit (about 0.1–0.3 s a search at
    100,000 listings)."""
    words = set(_WORD.findall(text.lower()))
    terms: set[str] = set()
    for clause in query.clauses:
        typed = typed_word(clause)
        for alternative in clause:
            terms.update(alternative)
            if typed and len(alternative) == 1 and (edits := allowed_edits(alternative[0])):
                terms.update(w for w in words if Levenshtein.distance(w, alternative[0]) <= edits)
    return terms & words


# The connection


def plain_media_types(headers: Mapping[str, str]) -> dict[str, str]:
    """`headers` with the client's versioned media types made plain: the 9.x client asks for
    `application/vnd.elasticsearch+json; compatible-with=9`, which an Elasticsearch 8 cluster
    refuses (it serves the 8 and 7 APIs only). Every version answers plain `application/json`
    (and takes `application/x-ndjson` for bulk) with its own API, and the requests this engine
    sends mean the same on 8 and 9."""
    plain = dict(headers)
    for name, value in headers.items():
        if name.lower() in ("accept", "content-type"):
            kind = value.split(";")[0].strip()
            plain[name] = kind.replace("application/vnd.elasticsearch+", "application/")
    return plain


def _plain_json_node() -> type:
    from elastic_transport import HttpHeaders, Urllib3HttpNode
    from elastic_transport._node import NodeApiResponse
    from elastic_transport.client_utils import DEFAULT, DefaultType

    class PlainJsonNode(Urllib3HttpNode):
        def perform_request(
            self,
            method: str,
            target: str,
            body: bytes | None = None,
            headers: HttpHeaders | None = None,
            request_timeout: DefaultType | float | None = DEFAULT,
        ) -> NodeApiResponse:
            if headers is not None:
                headers = HttpHeaders(plain_media_types(headers))
            return super().perform_request(method, target, body, headers, request_timeout)

    return PlainJsonNode


# The engine


def _versioned(doc_id: str, version: int | None) -> dict[str, Any]:
    """A bulk action's metadata. With a version the node keeps the newest write of a listing:
    one older than the version it holds is refused (409, left alone: the index is already newer),
    so two machines draining the outbox cannot put back an older state."""
    if version is None:
        return {"_id": doc_id}
    return {"_id": doc_id, "version": version, "version_type": "external_gte"}


class ElasticEngine:
    """`client` searches with a short timeout; `writer` (the same client when not given) writes
    and manages indices with a longer one."""

    def __init__(self, client: Any, errors: tuple[type[BaseException], ...], name: str,
                 prefix: str = "", writer: Any = None) -> None:  # fmt: skip
        self.client = client
        self.writer = client if writer is None else writer
        self.errors = errors
        self.name = name
        self.alias = f"{prefix}listings"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ElasticEngine:
        if config.get("ELASTICSEARCH_URL"):
            return cls.elasticsearch(config["ELASTICSEARCH_URL"])
        return cls.opensearch(config["OPENSEARCH_URL"])

    @classmethod
    def elasticsearch(
        cls, url: str, prefix: str = "", timeout: float = TIMEOUT_SECONDS
    ) -> ElasticEngine:
        import elastic_transport
        from elasticsearch import ApiError, Elasticsearch

        def connect(timeout: float) -> Any:
            return Elasticsearch(
                url,
                request_timeout=timeout,
                max_retries=RETRIES,
                retry_on_timeout=True,
                node_class=_plain_json_node(),
            )

        errors = (ApiError, elastic_transport.TransportError)
        return cls(connect(timeout), errors, "elasticsearch", prefix,
                   writer=connect(WRITE_TIMEOUT_SECONDS))  # fmt: skip

    @classmethod
    def opensearch(
        cls, url: str, prefix: str = "", timeout: float = TIMEOUT_SECONDS
    ) -> ElasticEngine:
        from opensearchpy import OpenSearch
        from opensearchpy.exceptions import OpenSearchException

        def connect(timeout: float) -> Any:
            return OpenSearch(
                hosts=[url], timeout=timeout, max_retries=RETRIES, retry_on_timeout=True
            )

        return cls(connect(timeout), (OpenSearchException,), "opensearch", prefix,
                   writer=connect(WRITE_TIMEOUT_SECONDS))  # fmt: skip

    def _call(self, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except self.errors as error:
            raise SearchUnavailable(f"{self.name}: {error}") from error

    def _new_index(self, settings: Mapping[str, Any] | None = None) -> str:
        name = f"{self.alias}-v{SCHEMA_VERSION}-{uuid.uuid4().hex[:8]}"
        body = mapping()
        body["settings"].update(settings or {})
        self._call(lambda: self.writer.indices.create(index=name, body=body))
        return name

    def ensure_index(self) -> None:
        if self._call(lambda: self.client.indices.exists_alias(name=self.alias)):
            return
        name = self._new_index()
        actions = [{"add": {"index": name, "alias": self.alias}}]
        self._call(lambda: self.writer.indices.update_aliases(body={"actions": actions}))

    def upsert(self, docs: list[Document], version: int | None = None) -> None:
        self._bulk(self.alias, [op for doc in docs for op in self._index_op(doc, version)])

    def delete(self, listing_ids: list[int], version: int | None = None) -> None:
        self._bulk(self.alias, [{"delete": _versioned(str(i), version)} for i in listing_ids])

    def _index_op(self, doc: Document, version: int | None = None) -> list[dict[str, Any]]:
        return [{"index": _versioned(str(doc["listing_id"]), version)}, to_source(doc)]

    def _bulk(self, index: str, operations: list[dict[str, Any]], refresh: bool = True) -> None:
        if not operations:
            return
        response = self._call(
            lambda: self.writer.bulk(index=index, body=operations, refresh=refresh)
        )
        failed = [
            item
            for item in response.get("items", [])
            for result in item.values()
            if result.get("status", 200) >= 300 and result.get("status") not in (404, 409)
        ]
        if failed:
            raise SearchUnavailable(f"{self.name}: {len(failed)} bulk operation(s) failed")

    def search(self, query: SearchQuery) -> SearchResults:
        response = self._call(lambda: self.client.search(index=self.alias, body=search_body(query)))
        return read_results(response, query)

    def count(self) -> int:
        return int(self._call(lambda: self.client.count(index=self.alias))["count"])

    def rebuild(self, docs: Iterable[Document], progress: Callable[[int], None]) -> int:
        """Fill a new index and move the alias to it. Nobody searches the new index until then,
        so it is not refreshed while it fills: once at the end, with the usual interval back."""
        name = self._new_index({"refresh_interval": "-1"})
        added, chunk = 0, []
        for doc in docs:
            chunk += self._index_op(doc)
            if len(chunk) >= 2 * BULK_CHUNK:
                self._bulk(name, chunk, refresh=False)
                added, chunk = added + len(chunk) // 2, []
                progress(BULK_CHUNK)
        self._bulk(name, chunk, refresh=False)
        progress(len(chunk) // 2)
        added += len(chunk) // 2
        usual = {"index": {"refresh_interval": None}}
        self._call(lambda: self.writer.indices.put_settings(index=name, body=usual))
        self._call(lambda: self.writer.indices.refresh(index=name))
        self._swap_alias(name)
        return added

    def _swap_alias(self, name: str) -> None:
        old = []
        if self._call(lambda: self.client.indices.exists_alias(name=self.alias)):
            old = list(self._call(lambda: self.client.indices.get_alias(name=self.alias)))
        actions = [{"remove": {"index": index, "alias": self.alias}} for index in old]
        actions.append({"add": {"index": name, "alias": self.alias}})
        self._call(lambda: self.writer.indices.update_aliases(body={"actions": actions}))
        for index in old:
            self._delete_index(index)

    def _delete_index(self, index: str) -> None:
        self._call(lambda: self.writer.indices.delete(index=index))

    def drop(self) -> None:
        """Delete the alias and its indices (tests)."""
        if self._call(lambda: self.client.indices.exists_alias(name=self.alias)):
            for index in list(self._call(lambda: self.client.indices.get_alias(name=self.alias))):
                self._delete_index(index)
