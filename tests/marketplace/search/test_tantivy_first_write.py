"""The tantivy engine's index directory: created on the first write, replaced on a new schema."""

import pytest

from marketplace.search.interfaces import SearchUnavailable
from marketplace.search.query import SearchQuery
from marketplace.search.tantivy.engine import TantivyEngine


def test_the_first_write_creates_the_index_instead_of_waiting_for_itself(tmp_path):
    engine = TantivyEngine(tmp_path / "index")
    engine.delete([1])  # no index yet: creating it must not wait on the writer's own lock
    assert engine.count() == 0


def test_an_index_of_an_older_schema_is_unavailable_until_reindexed(tmp_path):
    engine = TantivyEngine(tmp_path / "index")
    (tmp_path / "index" / "v1-old").mkdir(parents=True)
    (tmp_path / "index" / "CURRENT").write_text("v1-old")
    with pytest.raises(SearchUnavailable, match="reindex"):
        engine.search(SearchQuery(text="care"))
    assert engine.rebuild([], lambda _: None) == 0
    assert engine.search(SearchQuery(text="care")).total == 0
