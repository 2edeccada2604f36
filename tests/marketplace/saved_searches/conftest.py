"""Saved searches run through the real tantivy engine, in a temp dir per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from marketplace.directory.models import Category
from marketplace.directory.taxonomy import categories_by_slug, load_taxonomy
from marketplace.extensions import db
from marketplace.search.interfaces import SearchEngine
from marketplace.search.tantivy.engine import TantivyEngine
from tests.search_engines import engine_in_use


@pytest.fixture()
def tantivy_engine(app: Flask, tmp_path: Path) -> Iterator[SearchEngine]:
    yield from engine_in_use(app, TantivyEngine(tmp_path / "tantivy"))


@pytest.fixture()
def category(app_ctx: Flask) -> Callable[[str], Category]:
    load_taxonomy()
    db.session.commit()

    def get(slug: str) -> Category:
        return categories_by_slug([slug])[0]

    return get
