"""The search page and its JSON twin. Open to everyone, signed in or not."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from marketplace.directory.models import (
    PROVIDER_KIND_LABELS,
    AgeGroup,
    ProviderKind,
    WorkerGender,
)
from marketplace.directory.taxonomy import terms
from marketplace.search import services
from marketplace.search.interfaces import SearchUnavailable
from marketplace.search.query import (
    CQC_RATINGS,
    DAYS,
    LANGUAGES,
    PRICE_BANDS,
    QueryError,
    SearchResults,
    parse_query,
)

bp = Blueprint("search", __name__)

UNAVAILABLE = "Search is not working at the moment. Try again in a few minutes."
# Parameters that widen a search when they are dropped, with what the link says.
DROPPABLE = (
    ("category", "any kind of support"),
    ("kind", "any kind of provider"),
    ("max_price", "any price"),
    ("day", "any day"),
    ("language", "any language"),
    ("gender", "any worker"),
    ("age_group", "support for any age"),
    ("accessible", "any accessibility"),
    ("cqc_rating", "any CQC rating"),
    ("verified", "unverified providers too"),
)


@bp.get("/search")
def search() -> tuple[str, int] | str:
    args = request.args
    if not any(value.strip() for value in args.values()):
        return render_template("search/search.html", **_choices(), query=None, results=None)
    try:
        query = parse_query(args)
    except QueryError as error:
        return render_template(
            "search/search.html", **_choices(), error=error, query=None, results=None
        ), 400
    try:
        results = services.search(query)
        nearest = services.nearest_beyond(query) if results.total == 0 else None
    except SearchUnavailable:
        return render_template("search/unavailable.html", message=UNAVAILABLE), 503
    return render_template(
        "search/search.html",
        **_choices(),
        query=query,
        results=results,
        nearest=nearest,
        wider=_wider_links(args, query.radius_miles),
        pages=_pages(results, query.page, query.per_page),
    )


@bp.get("/search.json")
def search_json() -> tuple[Response, int] | Response:
    try:
        query = parse_query(request.args)
    except QueryError as error:
        return jsonify({"error": error.message, "field": error.field}), 400
    try:
        results = services.search(query)
    except SearchUnavailable:
        return jsonify({"error": UNAVAILABLE}), 503
    return jsonify(
        {
            "total": results.total,
            "page": query.page,
            "results": [hit.as_json() for hit in results.hits],
            "facets": results.facets,
        }
    )


def _choices() -> dict[str, object]:
    return {
        "categories": terms(),
        "kinds": [(kind.value, PROVIDER_KIND_LABELS[kind]) for kind in ProviderKind],
        "genders": [(gender.value, gender.label) for gender in WorkerGender],
        "age_groups": [(group.value, group.label) for group in AgeGroup],
        "days": [(str(i), day.capitalize()) for i, day in enumerate(DAYS)],
        "languages": LANGUAGES,
        "price_bands": {key: label for key, label, _, _ in PRICE_BANDS},
        "kind_labels": {kind.value: PROVIDER_KIND_LABELS[kind] for kind in ProviderKind},
        "category_names": {term.slug: term.name for term in terms()},
        "cqc_ratings": CQC_RATINGS,
        "args": request.args,
    }


def _wider_links(args: MultiDict[str, str], radius: float | None) -> list[tuple[str, str]]:
    """Links that repeat the search with the radius doubled or one filter dropped."""
    links = []
    if radius is not None and radius < 200:
        wider = args.copy()
        wider["radius"] = str(int(min(radius * 2, 200)))
        wider.pop("page", None)
        links.append((f"Search within {wider['radius']} miles", _url(wider)))
    for name, label in DROPPABLE:
        if args.get(name):
            fewer = args.copy()
            fewer.poplist(name)
            fewer.pop("page", None)
            links.append((f"Show {label}", _url(fewer)))
    return links


def _pages(results: SearchResults, page: int, per_page: int) -> dict[str, object] | None:
    last = min(50, (results.total + per_page - 1) // per_page)
    if last <= 1:
        return None

    def at(number: int) -> str:
        moved = request.args.copy()
        moved["page"] = str(number)
        return _url(moved)

    return {
        "previous": {"href": at(page - 1)} if page > 1 else None,
        "next": {"href": at(page + 1)} if page < last else None,
        "items": [
            {"number": n, "href": at(n), "current": n == page}
            for n in range(max(1, page - 2), min(last, page + 2) + 1)
        ],
    }


def _url(args: MultiDict[str, str]) -> str:
    return url_for("search.search") + "?" + urlencode(list(args.items(multi=True)))
