"""Asking a provider a question, a reply, a report to the council and a block, in the browser,
with axe on every page on the way.

A holder asks a new provider a question from its listing; the provider sees the unread count in
the header and replies; the holder reports the conversation and the council's commissioner reads
it; the holder blocks the provider, who can then no longer write, and unblocks them.
"""

from __future__ import annotations

from typing import Any

from marketplace.accounts.models import Role, User
from marketplace.directory.models import (
    DeliveryMode,
    Listing,
    ListingStatus,
    PriceUnit,
    Provider,
    ProviderKind,
    ProviderMember,
    ProviderMemberRole,
    VerificationStatus,
)
from marketplace.extensions import db
from tests.browser.conftest import AXE, LiveSite, Problems, Visitor, _record_console
from tests.test_access_table import PASSWORD_HASH

OWNER_EMAIL = "owner@calm-minds.example"
PROVIDER = "Calm Minds CIC"


def _a_new_provider(site: LiveSite) -> int:
    """A provider the world's holder has never written to, with a published listing."""
    with site.app.app_context():
        owner = User(
            email=OWNER_EMAIL,
            full_name="Sam Owner",
            role=Role.PROVIDER,
            password_hash=PASSWORD_HASH,
        )
        provider = Provider(
            kind=ProviderKind.THERAPIST,
            legal_name=PROVIDER,
            verification_status=VerificationStatus.VERIFIED,
            postcode="OL1 1AA",
        )
        db.session.add_all([owner, provider])
        db.session.flush()
        db.session.add(
            ProviderMember(provider_id=provider.id, user_id=owner.id, role=ProviderMemberRole.OWNER)
        )
        listing = Listing(
            provider=provider,
            title="Talking therapy online",
            description="Weekly sessions by video call.",
            price_pence=4000,
            price_unit=PriceUnit.SESSION,
            delivery_mode=DeliveryMode.ONLINE,
            postcode="OL1 1AA",
            travel_radius_miles=0,
            status=ListingStatus.PUBLISHED,
        )
        db.session.add(listing)
        db.session.commit()
        return listing.id


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
    problems(*(f"{name}: {missing}" for missing in visitor.questions_missing()))
    visitor.screenshot(f"conversation-{name}")


def submit(page: Any, text: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=text).click()


def follow(page: Any, text: str) -> None:
    with page.expect_navigation():
        page.get_by_role("link", name=text).first.click()


def test_a_holder_asks_reports_and_blocks_and_the_provider_and_council_see_it(
    browser: Any, live_site: LiveSite, problems: Problems
) -> None:
    listing_id = _a_new_provider(live_site)
    holder = new_visitor(browser, live_site)
    holder.sign_in("holder@example.org")
    holder.goto(f"{live_site.base_url}/listings/{listing_id}")
    follow(holder.page, "Ask a question")
    check(holder, problems, "ask")
    submit(holder.page, "Send message")  # nothing written yet: the error summary
    check(holder, problems, "ask-error")
    assert "Enter your message" in holder.page.locator(".govuk-error-summary").inner_text()
    holder.page.locator("textarea[name=body]").fill("Do you see people in the evening?\nAfter 6.")
    submit(holder.page, "Send message")
    check(holder, problems, "conversation-holder")
    assert "Your message has been sent." in holder.page.content()
    conversation_url = holder.page.url.split("#")[0]

    provider = new_visitor(browser, live_site)
    provider.sign_in(OWNER_EMAIL)
    follow(provider.page, "Messages (1 unread)")
    check(provider, problems, "inbox-provider")
    follow(provider.page, "Holder Person")
    check(provider, problems, "conversation-provider")
    assert "Do you see people in the evening?" in provider.page.content()
    provider.page.locator("textarea[name=body]").fill("Yes, until 8pm on weekdays.")
    submit(provider.page, "Send message")

    holder.goto(f"{live_site.base_url}/bookings/dashboard")
    assert holder.page.locator("#unread-messages").inner_text().startswith("You have")
    holder.goto(conversation_url)
    assert "Yes, until 8pm on weekdays." in holder.page.content()

    follow(holder.page, "Report this conversation")
    check(holder, problems, "report")
    holder.page.locator("textarea[name=reason]").fill("They asked me to pay them in cash")
    submit(holder.page, "Report this conversation")
    check(holder, problems, "report-sent")
    assert "Conversation reported" in holder.page.content()

    commissioner = new_visitor(browser, live_site)
    commissioner.sign_in("commissioner@example.org")
    commissioner.goto(f"{live_site.base_url}/messages/reported")
    check(commissioner, problems, "reported")
    follow(commissioner.page, f"Holder Person and {PROVIDER}")
    check(commissioner, problems, "conversation-commissioner")
    read = commissioner.page.content()
    assert "pay them in cash" in read and "Yes, until 8pm on weekdays." in read

    holder.goto(conversation_url)
    follow(holder.page, f"Block {PROVIDER}")
    check(holder, problems, "block")
    submit(holder.page, f"Block {PROVIDER}")
    check(holder, problems, "blocked")
    assert f"You have blocked {PROVIDER}" in holder.page.content()

    provider.goto(conversation_url)
    check(provider, problems, "blocked-provider")
    assert "chosen not to hear from you" in provider.page.content()
    assert provider.page.locator("textarea[name=body]").count() == 0

    holder.goto(conversation_url)
    submit(holder.page, f"Unblock {PROVIDER}")
    assert f"You have unblocked {PROVIDER}." in holder.page.content()
    provider.goto(conversation_url)
    assert provider.page.locator("textarea[name=body]").count() == 1
    problems.assert_none()
