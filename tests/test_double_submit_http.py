"""A double click and twenty tabs at once, over real HTTP, for every state-changing route.

The app is served by a real WSGI server (werkzeug, threaded) on 127.0.0.1 with CSRF on, against
PostgreSQL, whose row locks and concurrent transactions are what these tests are about (SQLite
lets one writer in at a time, so a race there proves nothing: these are skipped on SQLite and run
in `make test-postgres`). People sign in through the sign-in form with real session cookies and
send the CSRF token the page gave them.

Every route of tests/test_one_commit_per_request.py's CASES (each state-changing route of the
access table, with a role that may use it and a valid form) is sent:

1. twice in a row, on a fresh world: the first request does its work, the second changes
   nothing and is answered with a page or a redirect, never a server error; and
2. twenty times at once (a barrier releases twenty threads together), on another fresh world:
   the database ends as it did after the single request, and every answer is a page, a
   redirect or a clear refusal (4xx), never a 500.

A form that makes something new sends the key its page drew (marketplace/sent_forms.py), the
same key each time, as a double click does.

After each, `flask verify`'s own check (the ledger and the bookings together) finds nothing.
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import DateTime, delete, select

from marketplace.bookings import integrity
from marketplace.extensions import db
from tests.conftest import make_app, served
from tests.test_access_table import PASSWORD, World, build_world
from tests.test_one_commit_per_request import (
    CASES,
    NO_DATABASE_CHANGE,
    WEBHOOK_SECRET,
    state_changing_routes,
    stripe_answers,
    url_of,
)

__all__ = ["stripe_answers"]  # the fixture, used by name

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL"),
        reason="races need PostgreSQL: TEST_DATABASE_URL is not set (make test-postgres sets it)",
    ),
]

TABS = 20
TIMEOUT_SECONDS = 30  # a request that takes longer than this is a hang, and fails
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

# Tables a repeated request may add a row to, by design, and why.
GROWS_ON_EACH_REQUEST: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/forgot-password"): {
        "outbound_emails": "each request sends a fresh link: someone who lost the first email "
        "asks again (the rate limit, off in tests, stops a flood)"
    },
}


def routes() -> list[Any]:
    return [pytest.param(m, r, id=f"{m} {r}") for m, r in state_changing_routes()]


@dataclass
class Site:
    app: Flask
    base_url: str


@pytest.fixture(scope="module")
def site(app: Flask) -> Iterator[Site]:
    """The app served over HTTP, on the database the `app` fixture migrated."""
    serving = make_app(
        app.instance_path,  # the same folder: an import checked on one page is found by the next
        TESTING=False,  # a server error is a 500 page, as people would see it
        WTF_CSRF_ENABLED=True,
        SERVER_NAME=None,
        SECRET_KEY=app.config["SECRET_KEY"],  # the world's signed links are the test app's
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": TABS, "max_overflow": 0},
    )
    with served(serving) as base_url:
        yield Site(serving, base_url)
    with serving.app_context():
        db.engine.dispose()  # close its pooled connections now, not at interpreter exit


class Browser:
    """One person's browser: a cookie jar, and the CSRF token the last form page gave."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.http = requests.Session()
        self.csrf = ""

    def open_form(self, path: str) -> None:
        page = self.http.get(self.site.base_url + path, timeout=TIMEOUT_SECONDS)
        assert page.status_code == 200, f"GET {path}: {page.status_code}"
        found = CSRF_FIELD.search(page.text)
        assert found, f"GET {path} has no CSRF token"
        self.csrf = found.group(1)

    def sign_in(self, email: str) -> None:
        self.open_form("/sign-in")
        answer = self.post("/sign-in", {"data": {"email": email, "password": PASSWORD}})
        assert answer.status_code == 302, f"sign-in as {email}: {answer.status_code}"
        # The token the sign-in page gave stays good: signing in keeps the session.

    def post(self, path: str, sent: dict[str, Any]) -> requests.Response:
        return post(self.http, self.site.base_url + path, sent, self.csrf)


def post(http: requests.Session, url: str, sent: dict[str, Any], csrf: str) -> requests.Response:
    """What client.open(url, method="POST", **sent) would send, over HTTP, with the token."""
    data, headers = sent["data"], dict(sent.get("headers", {}))
    if isinstance(data, bytes):  # a raw body (Stripe's webhook)
        return http.post(url, data=data, headers=headers, timeout=TIMEOUT_SECONDS)
    fields = {k: v for k, v in data.items() if not isinstance(v, tuple)}
    files = {k: (v[1], v[0].read()) for k, v in data.items() if isinstance(v, tuple)}
    return http.post(
        url,
        data={**fields, "csrf_token": csrf},
        files=files or None,
        headers=headers,
        allow_redirects=False,
        timeout=TIMEOUT_SECONDS,
    )


Rows = dict[str, Counter[str]]


def rows() -> Rows:
    """Every committed row of every table, without the columns that differ between two worlds
    built alike or move on their own (ids, references to ids, times)."""
    found: Rows = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            kept = [
                c
                for c in table.columns
                if not (c.primary_key or c.foreign_keys or isinstance(c.type, DateTime))
            ]
            found[table.name] = Counter(
                repr(tuple(row)) for row in connection.execute(select(*kept))
            )
    return found


def difference(before: Rows, after: Rows) -> dict[str, tuple[int, int]]:
    """Per table that changed: how many rows went and how many came (a changed row is one of
    each). Counts, not values, so two worlds' changes compare although tokens and hashes
    differ."""
    change = {}
    for name in before:
        gone, came = before[name] - after[name], after[name] - before[name]
        if gone or came:
            change[name] = (gone.total(), came.total())
    return change


def verified() -> list[str]:
    db.session.expire_all()
    return integrity.everything()


def empty_tables() -> None:
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(delete(table))
    db.session.commit()


@pytest.fixture()
def browsers() -> Iterator[list[Browser]]:
    """The browsers a test opens, closed after it."""
    opened: list[Browser] = []
    yield opened
    for browser in opened:
        browser.http.close()


def fresh_world(
    site: Site, method: str, rule: str, opened: list[Browser]
) -> tuple[World, Browser, str]:
    """A new world, prepared for the route's case, and its person signed in."""
    case = CASES[(method, rule)]
    world = build_world()
    if case.prepare is not None:
        case.prepare(world)
    browser = Browser(site)
    opened.append(browser)
    if case.role == "anonymous":
        browser.open_form("/sign-in")
    else:
        browser.sign_in(world.users[case.role].email)
    return world, browser, url_of(site.app, world, method, rule)


def at_once(browser: Browser, path: str, sent: list[dict[str, Any]]) -> list[int]:
    """Send each request from its own thread, all released together; their statuses."""
    url = browser.site.base_url + path
    start = threading.Barrier(len(sent), timeout=TIMEOUT_SECONDS)
    statuses: list[int] = [0] * len(sent)

    def send(n: int) -> None:
        with requests.Session() as tab:  # another tab of the same browser: the same cookies
            tab.cookies.update(browser.http.cookies)
            start.wait()
            try:
                statuses[n] = post(tab, url, sent[n], browser.csrf).status_code
            except requests.RequestException:
                statuses[n] = -1  # no answer in time: a hang

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(sent))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT_SECONDS * 2)
    return statuses


def effect(change: dict[str, tuple[int, int]], route: tuple[str, str]) -> dict[str, Any]:
    """The change, leaving out tables the route adds to on every request by design."""
    grows = GROWS_ON_EACH_REQUEST.get(route, {})
    return {k: v for k, v in change.items() if k not in grows}


@pytest.mark.usefixtures("stripe_answers")
@pytest.mark.parametrize(("method", "rule"), routes())
def test_twice_in_a_row_and_twenty_at_once_do_the_work_once(
    app_ctx: Flask, site: Site, browsers: list[Browser], method: str, rule: str
) -> None:
    route = (method, rule)
    case = CASES[route]

    # A double click: the second request changes nothing and gets an answer, not an error.
    world, browser, path = fresh_world(site, method, rule, browsers)
    before = rows()
    first = browser.post(path, case.send(world))
    after_one = rows()
    second = browser.post(path, case.send(world))
    after_two = rows()
    assert first.status_code < 400, f"the first request: {first.status_code}\n{first.text}"
    once = difference(before, after_one)
    assert bool(once) != (route in NO_DATABASE_CHANGE), f"one request changed {once}"
    assert second.status_code < 500, f"the second request: {second.status_code}"
    assert effect(difference(after_one, after_two), route) == {}, "the second did more work"
    assert verified() == []

    # Twenty tabs at once, on a fresh world: the work of one request, and no server error.
    empty_tables()
    world, browser, path = fresh_world(site, method, rule, browsers)
    sent = [case.send(world) for _ in range(TABS)]
    before = rows()
    statuses = at_once(browser, path, sent)
    assert all(0 < s < 500 for s in statuses), f"answers: {sorted(statuses)}"
    assert any(s < 400 for s in statuses), f"none succeeded: {sorted(statuses)}"
    assert effect(difference(before, rows()), route) == effect(once, route)
    assert verified() == []


def test_a_form_without_its_token_is_refused(
    app_ctx: Flask, site: Site, browsers: list[Browser]
) -> None:
    """The harness's requests are real: without the page's CSRF token, a form is refused."""
    world = build_world()
    browser = Browser(site)
    browsers.append(browser)
    browser.sign_in(world.users["holder"].email)
    browser.csrf = "not-the-token"
    answer = browser.post("/bookings/calendar/new-address", {"data": {}})
    assert answer.status_code == 400
