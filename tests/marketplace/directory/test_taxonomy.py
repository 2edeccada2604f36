"""The care taxonomy and its CQC mapping."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from marketplace.directory.models import Category
from marketplace.directory.taxonomy import load_taxonomy, slugs_for_cqc, terms
from marketplace.extensions import db


def test_every_term_has_a_fixed_uuid_and_a_unique_slug():
    all_terms = terms()
    assert len({t.slug for t in all_terms}) == len(all_terms) >= 11
    for term in all_terms:
        assert str(uuid.UUID(term.oruk_term_id)) == term.oruk_term_id
    assert [t.slug for t in all_terms if t.is_personal_assistance] == ["personal-assistant"]


def test_loading_twice_adds_nothing_the_second_time(app_ctx):
    added, _ = load_taxonomy()
    assert added == len(terms())
    assert load_taxonomy() == (0, 0)
    assert db.session.scalar(select(func.count(Category.id))) == len(terms())


def test_loading_brings_a_changed_name_back(app_ctx):
    load_taxonomy()
    db.session.scalar(select(Category).where(Category.slug == "homecare")).name = "Old name"
    assert load_taxonomy() == (0, 1)


def test_load_taxonomy_command(app):
    result = app.test_cli_runner().invoke(args=["directory", "load-taxonomy"])
    assert result.exit_code == 0, result.output
    assert "added" in result.output


def test_cqc_service_types_and_specialisms_map_to_categories():
    assert slugs_for_cqc(["Homecare agencies"], ["Dementia", "Caring for adults over 65 yrs"]) == [
        "homecare",
        "dementia-support",
    ]
    assert "respite" in slugs_for_cqc(["Residential homes"])
    assert "nursing-care" in slugs_for_cqc(["Nursing homes"])
    assert slugs_for_cqc(["Supported living"]) == ["supported-living"]
    assert slugs_for_cqc(["Something CQC invents later"]) == []
