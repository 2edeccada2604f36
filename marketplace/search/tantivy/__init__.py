"""The default search engine: a tantivy index on local disk."""
