"""The first write to a tantivy engine whose index does not exist yet creates it."""

from marketplace.search.tantivy_engine import TantivyEngine


def test_the_first_write_creates_the_index_instead_of_waiting_for_itself(tmp_path):
    engine = TantivyEngine(tmp_path / "index")
    engine.delete([1])  # no index yet: creating it must not wait on the writer's own lock
    assert engine.count() == 0
