"""A personal assistant joins, in the browser: registers, sends checks and documents, a
commissioner verifies them, they publish a listing and it appears in search. Axe runs on every
page on the way."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.browser.conftest import LiveSite, Problems
from tests.browser.test_booking_journey import check, new_visitor, submit
from tests.frozen import TODAY

TITLE = "Evening personal assistant in Oldham"


def fill_date(page: Any, name: str, day: date) -> None:
    boxes = page.locator(f"input[name={name}]")
    for index, value in enumerate((day.day, day.month, day.year)):
        boxes.nth(index).fill(str(value))


def test_a_personal_assistant_registers_is_verified_and_publishes_to_the_public(
    browser: Any, live_site: LiveSite, problems: Problems
) -> None:
    pa = new_visitor(browser, live_site)
    page = pa.page
    pa.goto(live_site.base_url + "/provider/register")
    check(pa, problems, "onboarding-register")
    page.get_by_label("Your full name").fill("Rowan Assistant")
    page.get_by_label("Your email address").fill("rowan@example.org")
    page.locator("input[name=password]").fill("a long enough password")
    page.locator("input[name=confirm]").fill("a long enough password")
    page.get_by_label("Personal assistant (self-employed)").check()
    page.get_by_label("Legal name").fill("Rowan Assistant")
    page.get_by_label("Contact phone number").fill("07700 900 982")
    page.get_by_label("Postcode").fill("OL1 1AA")
    submit(page, "Create account")
    check(pa, problems, "onboarding-dashboard-new")

    pa.goto(live_site.base_url + "/provider/checks")
    check(pa, problems, "onboarding-checks")
    page.get_by_label("Who checks you").select_option(label="Oldham Council")
    page.get_by_label("DBS certificate number").fill("001234567890")
    fill_date(page, "dbs_issued_on", TODAY - timedelta(days=300))  # well within 3 years
    page.get_by_label("Public liability insurer").fill("Acme Mutual")
    fill_date(page, "insurance_expires_on", TODAY + timedelta(days=730))
    page.get_by_label("I confirm I have the right to work in the UK").check()
    page.get_by_label("First reference").fill("Jo Smith, 07700 900 001")
    page.get_by_label("Second reference").fill("Ali Khan, ali@example.org")
    submit(page, "Save checks")

    for kind in ("DBS certificate", "Public liability insurance"):
        pa.goto(live_site.base_url + "/provider/documents")
        page.get_by_label("What is the document").select_option(label=kind)
        page.locator("input[name=file]").set_input_files(
            files=[{"name": "scan.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 x"}]
        )
        submit(page, "Upload document")
    check(pa, problems, "onboarding-documents")
    pa.goto(live_site.base_url + "/provider/")
    submit(page, "Send my checks")
    assert "Waiting for checks" in page.content()

    commissioner = new_visitor(browser, live_site)
    commissioner.sign_in(live_site.world.users["commissioner"].email)
    commissioner.goto(live_site.base_url + "/provider/verification/")
    check(commissioner, problems, "onboarding-queue")
    commissioner.page.get_by_role("link", name="Rowan Assistant").click()
    commissioner.page.wait_for_load_state()
    check(commissioner, problems, "onboarding-decide")
    commissioner.page.get_by_label("Approve").check()
    submit(commissioner.page, "Record decision")

    pa.goto(live_site.base_url + "/provider/listings/new")
    check(pa, problems, "onboarding-new-listing")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Description").fill("Help with tea, washing and getting to bed.")
    page.locator("input[name=category_ids]").first.check()
    page.get_by_label("Price in pounds").fill("18.50")
    page.get_by_label("per hour").check()
    page.get_by_label("At your home").check()
    page.locator("input[name=postcode]").fill("OL1 1AA")
    page.get_by_label("How far you travel, in miles").fill("5")
    submit(page, "Save")
    check(pa, problems, "onboarding-availability")
    page.locator("select[name=weekday]").select_option("Monday")
    submit(page, "Add time")
    assert "Time added" in page.content()
    pa.goto(live_site.base_url + "/provider/")
    submit(page, f"Publish {TITLE}")
    assert "is published" in page.content()

    # Someone not signed in finds it through search (the outbox drained after the publish
    # request) and opens the public listing page.
    public = new_visitor(browser, live_site)
    assert public.goto(f"{live_site.base_url}/search?q=evening+personal+assistant") == 200
    check(public, problems, "onboarding-search")
    with public.page.expect_navigation():
        public.page.get_by_role("link", name=TITLE).first.click()
    assert TITLE in public.page.content()
    check(public, problems, "onboarding-public-listing")
    problems.assert_none()
