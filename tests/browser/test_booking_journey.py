"""A weekly PA rota from search to payment, in the browser, with axe on every page on the way.

A holder searches, requests a weekly rota, the provider accepts and marks the first shift
delivered, the holder confirms, and the pot's statement shows the payment.
"""

from __future__ import annotations

from typing import Any

from marketplace.directory.models import Listing
from marketplace.extensions import db
from marketplace.payments import services as payments
from marketplace.payments.models import Pot
from marketplace.search import services as search
from tests.browser.conftest import AXE, LiveSite, Problems, Visitor, _record_console
from tests.frozen import TODAY


def _ready_the_budget(site: LiveSite) -> int:
    """The world's pot may buy the listing's category and holds £100; the listing works bank
    holidays (so today's shift is booked on any day); the index is up to date."""
    with site.app.app_context():
        pot = db.session.get(Pot, site.world.more_ids["pot_id"])
        listing = db.session.get(Listing, site.world.listing.id)
        pot.categories = list(listing.categories)
        listing.works_bank_holidays = True
        commissioner = db.session.get(
            type(site.world.users["commissioner"]), site.world.users["commissioner"].id
        )
        payments.fund_pot(commissioner, pot, 10_000, "Browser journey")
        db.session.commit()
        search.drain_outbox()
        db.session.commit()
        return pot.id


def new_visitor(browser: Any, site: LiveSite) -> Visitor:
    """A separate browser (its own cookies) with axe injected, as the `visitor` fixture makes."""
    context = browser.new_context(base_url=site.base_url)
    context.add_init_script(path=str(AXE))
    visitor = Visitor(context.new_page(), site)
    visitor.page.on("console", lambda msg: _record_console(visitor, msg))
    visitor.page.on("pageerror", lambda error: visitor.console_errors.append(f"{error}"))
    return visitor


def check(visitor: Visitor, problems: Problems, name: str) -> None:
    problems(*(f"{name}: {v}" for v in visitor.axe_violations()))
    problems(*(f"{name}: console {e}" for e in visitor.console_errors))
    visitor.screenshot(f"journey-{name}")


def submit(page: Any, text: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=text).click()


def test_a_holder_books_a_weekly_rota_and_pays_for_a_confirmed_shift(
    browser: Any, live_site: LiveSite, problems: Problems
) -> None:
    pot_id = _ready_the_budget(live_site)
    holder = Visitor(browser.new_context(base_url=live_site.base_url).new_page(), live_site)
    holder.page.context.add_init_script(
        path=str(__import__("tests.browser.conftest", fromlist=["AXE"]).AXE)
    )
    holder.sign_in("holder@example.org")

    holder.goto(live_site.base_url + "/search?q=help+at+home&sort=relevance")
    check(holder, problems, "search")
    with holder.page.expect_navigation():
        holder.page.get_by_role("link", name="Help at home in the morning").first.click()
    with holder.page.expect_navigation():
        holder.page.get_by_role("button", name="Book Help at home in the morning").click()
    check(holder, problems, "request-form")

    today = TODAY  # the server runs in this process's thread, so it reads the same frozen clock
    page = holder.page
    page.locator("#pot").check()
    page.locator("#kind-2").check()
    page.locator("#day-day").fill(str(today.day))
    page.locator("#day-month").fill(str(today.month))
    page.locator("#day-year").fill(str(today.year))
    page.locator(f"input[name=weekdays][value='{today.weekday()}']").check()
    page.locator("#start").fill("00:00")  # already begun whenever the test runs
    page.locator("#hours").fill("0.25")
    submit(page, "Check the price")
    check(holder, problems, "request-check")
    assert "Check your request before sending it" in page.content()
    submit(page, "Send request")
    check(holder, problems, "request-sent")
    assert "Request sent" in page.content()

    provider = new_visitor(browser, live_site)
    provider.sign_in("provider@example.org")
    provider.goto(live_site.base_url + "/bookings/inbox")
    with provider.page.expect_navigation():
        provider.page.get_by_role("link", name="Help at home in the morning").first.click()
    submit(provider.page, "Accept")
    assert "You have accepted the booking" in provider.page.content()
    with provider.page.expect_navigation():
        provider.page.get_by_role("link", name="Mark delivered").first.click()
    submit(provider.page, "Mark as delivered")
    assert "Marked as delivered" in provider.page.content()

    holder.goto(provider.page.url)
    check(holder, problems, "booking")
    submit(holder.page, "Confirm session")
    assert "The provider will be paid" in holder.page.content()

    holder.goto(f"{live_site.base_url}/payments/pots/{pot_id}")
    check(holder, problems, "statement")
    statement = holder.page.content()
    assert "£5.38" in statement and "Moorside Home Care Ltd" in statement
    problems.assert_none()
