"""Factories for onboarding tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from marketplace.directory.models import Category
from marketplace.extensions import db


@pytest.fixture()
def make_category(app_ctx) -> Callable[..., Category]:
    def factory(name: str = "Personal care") -> Category:
        slug = name.lower().replace(" ", "-")
        category = Category(
            slug=slug, name=name, description=name, oruk_term_id=f"term-{slug}"[:36]
        )
        db.session.add(category)
        db.session.commit()
        return category

    return factory
