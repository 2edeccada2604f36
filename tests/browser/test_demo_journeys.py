"""Each role's journey from the state `make run` leaves: `db upgrade`, `demo load`, nothing else.

The commands are the real ones (run through Flask's CLI runner, at the tests' moment), and the
people sign in with the passwords `demo load` printed, as a newcomer reads them off the screen.
The assertions are the words and figures a person sees. One journey is done by keyboard only
(focus and Enter, typing into fields), one on a 375 px wide phone; buttons that move money or a
booking are double-clicked, and `flask verify`'s check runs after.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace import clock
from marketplace.bookings import integrity
from marketplace.bookings.models import Booking, BookingState, Occurrence, OccurrenceState
from marketplace.demo.fictional import demo_email
from marketplace.extensions import db
from tests.browser.conftest import PHONE, LiveSite, Problems, Visitor
from tests.browser.test_booking_journey import check, new_visitor, submit
from tests.conftest import make_app, served
from tests.frozen import NOW


@dataclass
class DemoSite:
    app: Flask
    base_url: str
    passwords: dict[str, str]  # email -> the password `demo load` printed
    printed: str


def printed_sign_ins(output: str) -> dict[str, str]:
    """The table `demo load` prints: role, email, password on each line."""
    found = re.findall(r"^\S.*?\s(\S+@\S+)\s+(\S+)\s*$", output, re.MULTILINE)
    return dict(found)


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    tmp_dir = tmp_path_factory.mktemp("demo-instance")
    app = make_app(
        str(tmp_dir),
        TESTING=False,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_dir}/demo.sqlite3",
        WTF_CSRF_ENABLED=True,
        SERVER_NAME=None,
    )
    runner = app.test_cli_runner()
    with clock.frozen(NOW):
        upgraded = runner.invoke(args=["db", "upgrade"])
        assert upgraded.exit_code == 0, upgraded.output
        loaded = runner.invoke(args=["demo", "load"])
        assert loaded.exit_code == 0, loaded.output
    passwords = printed_sign_ins(loaded.output)
    assert demo_email("holder") in passwords, loaded.output
    with served(app) as base_url:
        yield DemoSite(app, base_url, passwords, loaded.output)
    with app.app_context():
        db.engine.dispose()


def visitor_of(browser: Any, site: DemoSite) -> Visitor:
    live = LiveSite(site.app, site.base_url, None)  # type: ignore[arg-type]
    return new_visitor(browser, live)


def sign_in(visitor: Visitor, site: DemoSite, key: str) -> None:
    email = demo_email(key)
    visitor.sign_in(email, site.passwords[email])


def verified(site: DemoSite) -> list[str]:
    with site.app.app_context():
        return integrity.everything()


def text(visitor: Visitor) -> str:
    return re.sub(r"\s+", " ", visitor.page.inner_text("main"))


def test_make_run_prints_a_sign_in_for_every_role(demo_site: DemoSite) -> None:
    for key in ("holder", "representative", "provider", "commissioner.council", "admin"):
        assert demo_email(key) in demo_site.passwords, demo_site.printed
    assert "Search index" in demo_site.printed  # and the demo's listings were sent to search


def test_on_a_phone_a_newcomers_first_search_finds_the_demos_listings(
    browser: Any, demo_site: DemoSite, problems: Problems
) -> None:
    visitor = visitor_of(browser, demo_site)
    visitor.page.set_viewport_size(PHONE)
    visitor.goto(demo_site.base_url + "/search")
    visitor.page.locator("#q").fill("personal assistant")
    visitor.page.locator("#postcode").fill("OL8 1AA")
    with visitor.page.expect_navigation():
        visitor.page.locator("#q").press("Enter")
    check(visitor, problems, "demo-first-search-375px")
    found = re.search(r"(\d+) results?\b", text(visitor))
    assert found and int(found.group(1)) > 0, text(visitor)[:500]
    results_top = visitor.page.locator("#results").bounding_box()
    assert results_top and results_top["y"] < 812 * 2, "the results start within two screens"
    width = visitor.page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a 375 px phone"
    with visitor.page.expect_navigation():
        visitor.page.locator("#results h3 a").first.click()
    check(visitor, problems, "demo-listing-signed-out-375px")
    assert "Sign in to book" in text(visitor)
    problems.assert_none()


def test_by_keyboard_the_holder_accepts_the_offer_and_confirms_a_session(
    browser: Any, demo_site: DemoSite, problems: Problems
) -> None:
    holder = visitor_of(browser, demo_site)
    page, keys = holder.page, holder.page.keyboard
    holder.goto(demo_site.base_url + "/sign-in")
    page.locator("input[name=email]").focus()
    keys.type(demo_email("holder"))
    keys.press("Tab")
    keys.type(demo_site.passwords[demo_email("holder")])
    with page.expect_navigation():
        keys.press("Enter")
    holder.goto(demo_site.base_url + "/bookings/dashboard")
    check(holder, problems, "demo-holder-home")
    banner = page.locator(".govuk-notification-banner").first.inner_text()
    assert "Offers to answer" in banner and "Sessions to confirm" in banner
    assert "£14.50 per hour" in banner

    def follow(link: Any) -> None:
        link.focus()
        with page.expect_navigation():
            keys.press("Enter")

    follow(page.locator(".govuk-notification-banner a", has_text="£14.50").first)
    check(holder, problems, "demo-holder-offer")
    offered = text(holder)
    assert "Offer from the provider" in offered and "£14.50" in offered
    assert re.search(r"History .*: Request sent .*: The provider offered £14\.50 per hour", offered)
    button = page.get_by_role("button", name="Accept offer")
    button.focus()
    keys.press("Enter")
    keys.press("Enter")  # pressed twice, as a double click: the second may cut the first short
    expect(page.locator("main")).to_contain_text("You have accepted the offer", timeout=30_000)
    page.wait_for_load_state("load")
    assert "You have accepted the offer" in text(holder)
    with demo_site.app.app_context():
        agreed = db.session.scalars(
            select(Booking).where(Booking.offers.any(), Booking.state == BookingState.ACCEPTED)
        ).one()
        starts = [o.starts_at for o in agreed.occurrences]
        assert starts and len(starts) == len(set(starts)), "each session held once"
    assert verified(demo_site) == []

    holder.goto(demo_site.base_url + "/bookings/dashboard")
    follow(page.locator(".govuk-notification-banner a[href*='#sessions']").first)
    check(holder, problems, "demo-holder-session-to-confirm")
    confirm = page.get_by_role("button", name=re.compile(r"^Confirm session on")).first
    confirm.focus()
    keys.press("Enter")
    keys.press("Enter")
    expect(page.locator("main")).to_contain_text("The provider will be paid", timeout=30_000)
    page.wait_for_load_state("load")
    assert "The provider will be paid" in text(holder)
    with demo_site.app.app_context():
        states = set(db.session.scalars(select(Occurrence.state)))
    assert OccurrenceState.DELIVERED not in states, "the one session to confirm is confirmed"
    assert verified(demo_site) == []
    problems.assert_none()


def test_the_provider_accepts_the_request_and_a_form_error_keeps_the_price_typed(
    browser: Any, demo_site: DemoSite, problems: Problems
) -> None:
    provider = visitor_of(browser, demo_site)
    sign_in(provider, demo_site, "provider")
    provider.goto(demo_site.base_url + "/provider/")
    check(provider, problems, "demo-provider-home")
    banner = provider.page.locator(".govuk-notification-banner").first.inner_text()
    assert "Requests to answer" in banner and "Sessions to mark as done" in banner
    assert "£31.00" in banner and "(2 hours)" in banner
    with demo_site.app.app_context():
        asked = db.session.scalars(
            select(Booking).where(Booking.state == BookingState.REQUESTED, ~Booking.offers.any())
        ).one()
        asked_id, listing_id = asked.id, asked.listing_id
    with provider.page.expect_navigation():
        provider.page.locator(f".govuk-notification-banner a[href$='/bookings/{asked_id}']").click()
    check(provider, problems, "demo-provider-request")
    provider.page.get_by_role("button", name="Accept", exact=True).dblclick()
    expect(provider.page.locator("main")).to_contain_text(
        "You have accepted the booking", timeout=30_000
    )
    provider.page.wait_for_load_state("load")
    assert "You have accepted the booking" in text(provider)
    with demo_site.app.app_context():
        accepted = db.session.get(Booking, asked_id)
        assert accepted is not None and accepted.state == BookingState.ACCEPTED
        assert len(accepted.occurrences) == 1  # one session, however often it was clicked
    assert verified(demo_site) == []

    provider.goto(f"{demo_site.base_url}/provider/listings/{listing_id}/edit")
    provider.page.locator("input[name=title]").fill("")
    provider.page.locator("input[name=price]").fill("16.50")
    submit(provider.page, "Save")
    check(provider, problems, "demo-provider-listing-error")
    assert provider.page.locator(".govuk-error-summary").is_visible()
    assert provider.page.locator("input[name=price]").input_value() == "16.50"
    problems.assert_none()


def test_the_commissioner_sees_what_waits_and_a_market_report_with_figures(
    browser: Any, demo_site: DemoSite, problems: Problems
) -> None:
    commissioner = visitor_of(browser, demo_site)
    sign_in(commissioner, demo_site, "commissioner.council")
    commissioner.goto(demo_site.base_url + "/commissioning/")
    check(commissioner, problems, "demo-commissioner-home")
    banner = commissioner.page.locator(".govuk-notification-banner").first.inner_text()
    assert "Problems with sessions to decide" in banner and "Alerts to look at" in banner
    with commissioner.page.expect_navigation():
        commissioner.page.get_by_role("link", name=re.compile("^Market gap report")).click()
    check(commissioner, problems, "demo-commissioner-market-report")
    report = text(commissioner)
    assert "No searches" not in report
    assert re.search(r"\bSearches [1-9]\d*\b", report), report[:800]
    assert re.search(r"\bBooking requests [1-9]\d*\b", report), report[:800]
    commissioner.phone_screenshot("demo-commissioner-market-report")
    problems.assert_none()
