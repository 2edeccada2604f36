"""Names people type are shown as text, and the pages' own links and buttons as HTML."""

from __future__ import annotations

from marketplace.accounts.models import Role
from tests.marketplace.accounts.helpers import represent

NAME = "Ann <b>O'Neil</b> & Co"
SHOWN = "Ann &lt;b&gt;O&#39;Neil&lt;/b&gt; &amp; Co"  # the name as text, escaped once


def assert_clean(html: str, *, shows_name: bool = True) -> None:
    assert "<b>O" not in html  # the name is escaped
    if shows_name:
        assert SHOWN in html  # and shown, escaped exactly once
    assert "<a " in html and "<form" in html  # our own markup is HTML
    for tag in ("&lt;a ", "&lt;form", "&lt;span", "&lt;code", "&lt;br"):
        assert tag not in html  # and never escaped


def test_commissioner_and_holder_pages_escape_names_only(
    client, another_client, sign_in, make_user
):
    commissioner = make_user(Role.COMMISSIONER)
    holder = make_user(Role.HOLDER, tenant=commissioner.tenant, full_name=NAME)
    represent(holder, make_user(Role.REPRESENTATIVE, tenant=holder.tenant, full_name=NAME))
    sign_in(commissioner)
    client.post(
        "/commissioning/holders/invite",
        data={"holder-full_name": NAME, "holder-email": "ann@example.org"},
    )
    for path in ("/commissioning/", f"/commissioning/holders/{holder.id}"):
        assert_clean(client.get(path).get_data(as_text=True))

    browser = another_client()
    browser.post("/sign-in", data={"email": holder.email, "password": "correct horse battery"})
    for path in ("/account", "/bookings/dashboard"):
        assert_clean(browser.get(path).get_data(as_text=True))


def test_admin_pages_escape_names_only(client, sign_in, make_user):
    sign_in(make_user(Role.ADMIN))
    holder = make_user(Role.HOLDER, full_name=NAME)
    client.post(f"/admin/users/{holder.id}/active", data={"active": "0"})
    for path, shows_name in (("/admin/users", True), ("/admin/audit", False), ("/admin/", False)):
        assert_clean(client.get(path).get_data(as_text=True), shows_name=shows_name)
