"""Search fixtures: an engine per test (tantivy in a temp dir, a real OpenSearch node, or a real
Elasticsearch node through the official `elasticsearch` client).

The OpenSearch node is the one scripts/with-opensearch.sh starts (OPENSEARCH_URL), the
Elasticsearch node the one scripts/with-elasticsearch.sh starts (ELASTICSEARCH_URL); without
them the OpenSearch or Elasticsearch run of each behaviour test is skipped, saying why."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from marketplace.directory.taxonomy import categories_by_slug, load_taxonomy
from marketplace.extensions import db
from marketplace.search import services
from marketplace.search.interfaces import SearchEngine
from marketplace.search.tantivy.engine import TantivyEngine
from tests.search_engines import engine_in_use


@pytest.fixture(scope="session")
def opensearch_url(record_testsuite_property: Callable[[str, object], None]) -> str:
    """The node's address; the run's JUnit report says search=opensearch, so .ci/run can tell
    the behaviour tests really ran on OpenSearch."""
    url = os.environ.get("OPENSEARCH_URL")
    if not url:
        pytest.skip("OPENSEARCH_URL not set: run under scripts/with-opensearch.sh")
    record_testsuite_property("search", "opensearch")
    return url


@pytest.fixture(scope="session")
def elasticsearch_url(record_testsuite_property: Callable[[str, object], None]) -> str:
    """The Elasticsearch node's address; the run's JUnit report says search=elasticsearch, so
    .ci/run can tell the behaviour tests really ran on Elasticsearch."""
    url = os.environ.get("ELASTICSEARCH_URL")
    if not url:
        pytest.skip("ELASTICSEARCH_URL not set: run under scripts/with-elasticsearch.sh")
    record_testsuite_property("search", "elasticsearch")
    return url


@pytest.fixture(params=["tantivy", "opensearch", "elasticsearch"])
def engine(request: pytest.FixtureRequest, app: Flask, tmp_path: Path) -> Iterator[SearchEngine]:
    """Each behaviour test runs once per engine."""
    if request.param == "tantivy":
        yield from engine_in_use(app, TantivyEngine(tmp_path / "tantivy"))
        return
    from marketplace.search.elastic_engine import ElasticEngine

    prefix = f"t{uuid.uuid4().hex[:10]}-"
    if request.param == "opensearch":
        found = ElasticEngine.opensearch(request.getfixturevalue("opensearch_url"), prefix=prefix)
    else:
        url = request.getfixturevalue("elasticsearch_url")
        found = ElasticEngine.elasticsearch(url, prefix=prefix)
    yield from engine_in_use(app, found)
    found.drop()


@pytest.fixture()
def tantivy_engine(app: Flask, tmp_path: Path) -> Iterator[SearchEngine]:
    yield from engine_in_use(app, TantivyEngine(tmp_path / "tantivy"))


@pytest.fixture()
def category(app_ctx: Flask) -> Callable[[str], object]:
    load_taxonomy()
    db.session.commit()

    def get(slug: str) -> object:
        return categories_by_slug([slug])[0]

    return get


@pytest.fixture()
def drain(app_ctx: Flask) -> Callable[[], int]:
    return services.drain_outbox
