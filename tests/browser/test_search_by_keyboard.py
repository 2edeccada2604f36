"""Search as someone using only a keyboard, and on a 375 px phone: few Tabs from the search box
to the first result, focus that shows and is not the look of a matched word, and results near
the top of a small screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marketplace.extensions import db
from marketplace.search import services as search
from tests.browser.conftest import PHONE, LiveSite, Problems, Visitor
from tests.browser.test_tour import check_page

MOST_TABS_TO_THE_FIRST_RESULT = 6
QUERY = "/search?q=help+at+home&sort=relevance"


def _index_is_up_to_date(site: LiveSite) -> None:
    with site.app.app_context():
        search.drain_outbox()
        db.session.commit()


def _first_result_href(visitor: Visitor) -> str:
    return str(visitor.page.locator("#results ul a").first.get_attribute("href"))


def test_from_the_search_box_a_few_tabs_reach_the_first_result_whose_focus_shows(
    visitor: Visitor, problems: Problems
) -> None:
    _index_is_up_to_date(visitor.site)
    assert visitor.goto(visitor.site.base_url + QUERY) == 200
    first = _first_result_href(visitor)
    visitor.page.locator("#q").focus()

    for _ in range(MOST_TABS_TO_THE_FIRST_RESULT):
        visitor.page.keyboard.press("Tab")
        if visitor.page.evaluate("() => document.activeElement.getAttribute('href')") == first:
            break
    else:
        raise AssertionError(
            f"the first result is more than {MOST_TABS_TO_THE_FIRST_RESULT} Tabs from the box"
        )

    focused = visitor.page.evaluate(
        "() => getComputedStyle(document.activeElement).backgroundColor"
    )
    mark = visitor.page.locator("#results mark").first
    assert mark.count() == 1, "the search should highlight the words it matched"
    mark_background = mark.evaluate("m => getComputedStyle(m).backgroundColor")
    mark_weight = mark.evaluate("m => getComputedStyle(m).fontWeight")
    assert mark_background != focused and mark_background == "rgba(0, 0, 0, 0)"
    assert int(mark_weight) >= 700
    check_page(visitor, "anonymous search with results", problems)
    problems.assert_none()


def test_on_a_phone_the_results_start_near_the_top(visitor: Visitor) -> None:
    _index_is_up_to_date(visitor.site)
    visitor.page.set_viewport_size(PHONE)
    assert visitor.goto(visitor.site.base_url + QUERY) == 200
    first = visitor.page.locator("#results ul a").first.bounding_box()
    filters = visitor.page.locator("#filters").bounding_box()
    visitor.screenshot("anonymous search with results", folder="375px")
    assert first is not None and filters is not None
    assert first["y"] < 2 * PHONE["height"], f"the first result starts {first['y']:.0f} px down"
    assert first["y"] < filters["y"], "the filters come after the results on a phone"


def test_the_harness_reports_a_question_without_a_legend_and_an_unlabelled_field(
    visitor: Visitor,
) -> None:
    bad_page = (
        "<!doctype html><html lang='en'><body><main>"
        "<input type='radio' name='kind' id='a'><label for='a'>A</label>"
        "<input type='radio' name='kind' id='b'><label for='b'>B</label>"
        "<input type='text' name='price'></main></body></html>"
    )
    visitor.page.route(
        "**/harness-questions",
        lambda route: route.fulfill(status=200, content_type="text/html", body=bad_page),
    )
    visitor.goto(visitor.site.base_url + "/harness-questions")
    assert visitor.questions_missing() == [
        "radio kind is not in a fieldset with a legend",
        "text price has no label",
    ]


def test_the_harness_reports_focus_that_does_not_show_or_looks_like_a_highlight(
    visitor: Visitor,
) -> None:
    pages = {
        "no-focus": "<style>a:focus{outline:none}</style><main><a href='/x'>A link</a></main>",
        "yellow": (
            "<style>a:focus{outline:none;background:#ffdd00} mark{background:#ffdd00}</style>"
            "<main><a href='/x'>A link</a><p><mark>matched</mark></p></main>"
        ),
    }
    for name, body in pages.items():
        visitor.page.route(f"**/harness-{name}", _serve(body))
    visitor.goto(visitor.site.base_url + "/harness-no-focus")
    assert "does not change how it looks" in " ".join(visitor.focus_problems())
    visitor.goto(visitor.site.base_url + "/harness-yellow")
    assert "same background as focus" in " ".join(visitor.focus_problems())


def _serve(body: str) -> Callable[[Any], None]:
    html = f"<!doctype html><html lang='en'><body>{body}</body></html>"
    return lambda route: route.fulfill(status=200, content_type="text/html", body=html)
