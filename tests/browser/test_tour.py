"""A tour of the site in headless Chromium: every page each role may open (from the access
table), checked with axe-core for WCAG 2.2 AA, for console errors, for questions a screen reader
would not hear (radios and checkbox groups outside a fieldset with a legend, fields without a
label) and for a focus style that shows and differs from highlighted words, with a screenshot
of each at desktop width and at 375 px (test-artifacts/screenshots/375px/)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.browser.conftest import PHONE, Problems, Visitor
from tests.test_access_table import ROLES, pages_for


def check_page(visitor: Visitor, label: str, report: Callable[..., None]) -> None:
    violations = visitor.axe_violations()
    report(*(f"{label}: axe {violation}" for violation in violations))
    report(*(f"{label}: console {error}" for error in visitor.console_errors))
    report(*(f"{label}: {missing}" for missing in visitor.questions_missing()))
    report(*(f"{label}: {problem}" for problem in visitor.focus_problems()))
    visitor.screenshot(label)
    wide = visitor.phone_screenshot(label)
    if wide > PHONE["width"]:
        report(f"{label}: {wide} px wide on a {PHONE['width']} px phone")


# Served for other programs (calendar apps, spreadsheets), which browsers download: checked by
# status only.
DOWNLOADS = (".ics", ".csv")


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_may_open_is_accessible_and_error_free(
    visitor: Visitor, role: str, problems: Problems
) -> None:
    pages = pages_for(role)
    assert pages, f"the access table gives {role} no pages"
    if role != "anonymous":
        visitor.sign_in(visitor.site.world.users[role].email)
    for method, rule in pages:
        url = visitor.site.url(method, rule)
        label = f"{role} {rule}"
        if rule.endswith(DOWNLOADS):  # a browser saves these rather than showing a page
            status = visitor.page.request.get(url).status
            if status != 200:
                problems(f"{label}: status {status}, the access table says 200")
            continue
        status = visitor.goto(url)
        if status != 200:
            problems(f"{label}: status {status}, the access table says 200")
        elif visitor.on_html_page:  # JSON (the Open Referral API) has no page to check
            check_page(visitor, label, problems)
    problems.assert_none()


def test_a_form_error_shows_the_error_summary_and_moves_focus_to_it(
    visitor: Visitor, problems: Problems
) -> None:
    visitor.goto(visitor.site.base_url + "/sign-in")
    visitor.page.locator("input[name=email]").fill("someone@example.org")
    with visitor.page.expect_navigation():
        visitor.page.locator("main form button[type=submit]").click()
    summary = visitor.page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert "There is a problem" in summary.inner_text()
    visitor.page.wait_for_function(
        "() => document.activeElement && document.activeElement.closest('.govuk-error-summary')",
        timeout=5000,
    )
    assert visitor.page.title().startswith("Error: ")
    link = summary.locator("a").first
    assert link.get_attribute("href") == "#password"
    check_page(visitor, "anonymous sign-in with an error", problems)
    problems.assert_none()


def test_a_page_that_is_not_there_is_accessible(visitor: Visitor, problems: Problems) -> None:
    assert visitor.goto(visitor.site.base_url + "/no-such-page") == 404
    check_page(visitor, "anonymous not found", problems)
    problems.assert_none()


def test_the_harness_reports_what_axe_finds(visitor: Visitor) -> None:
    """A page with an unlabelled image and an unlabelled field must not pass the checks."""
    bad_page = "<!doctype html><html><body><img src='x.png'><input type='text'></body></html>"
    visitor.page.route(
        "**/harness-check",
        lambda route: route.fulfill(status=200, content_type="text/html", body=bad_page),
    )
    visitor.goto(visitor.site.base_url + "/harness-check")
    found = " ".join(visitor.axe_violations())
    assert "image-alt" in found and "html-has-lang" in found
