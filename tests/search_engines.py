"""Putting a search engine in the app's place for one test, and the app's own back after."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Flask

from marketplace.search import services
from marketplace.search.interfaces import SearchEngine


def engine_in_use(app: Flask, engine: SearchEngine) -> Iterator[SearchEngine]:
    """Yield `engine` (its index made) as the app's search engine; then restore the previous one."""
    previous = app.extensions.get(services.ENGINE_KEY)
    app.extensions[services.ENGINE_KEY] = engine
    engine.ensure_index()
    yield engine
    if previous is None:
        app.extensions.pop(services.ENGINE_KEY, None)
    else:
        app.extensions[services.ENGINE_KEY] = previous
