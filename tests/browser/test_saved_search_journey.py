"""Saving a search in the browser, with axe on every page on the way.

A representative searches for help at home near OL1, saves the search (first forgetting its
name, so the error summary shows), sees it on their saved searches page, stops its emails and
deletes it. The world's own saved search (the holder's) is left as it is for the tour.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from werkzeug.datastructures import MultiDict

from marketplace.extensions import db
from marketplace.search import services as search
from marketplace.search.query import parse_query
from tests.browser.conftest import Problems, Visitor
from tests.browser.test_tour import check_page

QUERY = "/search?q=help+at+home&postcode=OL1+1AA"


def submit(visitor: Visitor, text: str) -> None:
    with visitor.page.expect_navigation():
        visitor.page.get_by_role("button", name=text).click()


def test_a_representative_saves_a_search_stops_its_emails_and_deletes_it(
    visitor: Visitor, problems: Problems
) -> None:
    site = visitor.site
    with site.app.app_context():
        search.drain_outbox()
        db.session.commit()
        # Other journeys in the same site may add listings first: the count is whatever the
        # search finds now.
        total = search.engine().search(parse_query(MultiDict(dict(parse_qsl(QUERY[8:]))))).total
    found = "No results" if total == 0 else "1 result" if total == 1 else f"{total} results"
    visitor.sign_in(site.world.users["representative"].email)
    assert visitor.goto(site.base_url + QUERY) == 200
    with visitor.page.expect_navigation():
        visitor.page.get_by_role("link", name="Save this search").click()
    assert "/search/save?" in visitor.page.url
    check_page(visitor, "representative saves a search", problems)

    visitor.page.get_by_label("Name for this search").fill("")
    submit(visitor, "Save this search")
    assert visitor.page.get_by_text("There is a problem").count() == 1
    check_page(visitor, "representative saves a search without a name", problems)

    visitor.page.get_by_label("Name for this search").fill("Mornings for Dad")
    visitor.page.get_by_label("Yes, email me (at most once a day)").check()
    submit(visitor, "Save this search")
    assert visitor.page.url.endswith("/saved-searches")
    body = visitor.page.locator("main").inner_text()
    assert "Search saved. We will email you when new support matches it." in body
    assert "Mornings for Dad" in body and found in body
    assert visitor.page.get_by_role("link", name=f"{found} for Mornings for Dad").count() == 1
    check_page(visitor, "representative saved searches", problems)

    submit(visitor, "Stop emails for Mornings for Dad")
    assert (
        "We will not email you about ‘Mornings for Dad’."
        in visitor.page.locator("main").inner_text()
    )
    with visitor.page.expect_navigation():
        visitor.page.get_by_role("link", name="Delete (Mornings for Dad)").click()
    check_page(visitor, "representative deletes a saved search", problems)
    submit(visitor, "Delete this saved search")
    body = visitor.page.locator("main").inner_text()
    assert "The saved search has been deleted." in body
    assert "You have no saved searches." in body
    check_page(visitor, "representative with no saved searches", problems)
    problems.assert_none()
