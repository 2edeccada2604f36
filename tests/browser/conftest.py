"""Browser harness: the real app on 127.0.0.1 (a free port, CSRF on, a migrated SQLite file) and
headless Chromium driven by Playwright, with axe-core injected into every page.

Debian's `chromium` is used; Playwright never downloads a browser. Without /usr/bin/chromium the
browser tests are skipped with a reason locally; .ci/run fails when they are skipped.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade

from marketplace import clock
from marketplace.extensions import db
from tests.conftest import make_app, served
from tests.frozen import NOW
from tests.test_access_table import PASSWORD, World, build_world, routes

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 375, "height": 812}  # a small phone, as people hold it
DESKTOP = {"width": 1280, "height": 720}  # Playwright's own default
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@dataclass
class LiveSite:
    app: Flask
    base_url: str
    world: World

    def url(self, method: str, rule: str) -> str:
        matching = [r for m, text, r in routes(self.app) if (m, text) == (method, rule)]
        assert matching, f"{method} {rule} is not a route"
        return self.base_url + self.world.url_for_rule(matching[0])


@pytest.fixture(scope="session")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    tmp_dir = tmp_path_factory.mktemp("browser-instance")
    app = make_app(
        str(tmp_dir),
        TESTING=False,  # the real error pages, as people see them
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_dir}/browser.sqlite3",
        WTF_CSRF_ENABLED=True,
        SERVER_NAME=None,
    )
    with app.app_context(), clock.frozen(NOW):  # the world is made at the moment the tests run
        upgrade()
        world = build_world()
        loaded = (
            world.tenant,
            world.provider,
            world.listing,
            world.representation,
            world.invitation,
        )
        for row in (*world.users.values(), *loaded):
            db.session.refresh(row)  # load now: the rows outlive this session
        db.session.expunge_all()
    with served(app) as base_url:
        yield LiveSite(app, base_url, world)
    with app.app_context():
        db.engine.dispose()  # close its pooled connections now, not at interpreter exit


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (make test does)")
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run npm ci")
    if not (PROJECT_ROOT / "static" / "dist" / "app.css").exists():
        pytest.fail("static/dist is missing: run npm run build")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Visitor:
    """One person's browser tab, recording console errors as they go."""

    page: Any
    site: LiveSite
    console_errors: list[str] = field(default_factory=list)
    content_type: str = ""

    def goto(self, url: str) -> int:
        self.console_errors.clear()
        response = self.page.goto(url, wait_until="load")
        self.content_type = response.headers.get("content-type", "") if response else ""
        return int(response.status) if response else 0

    @property
    def on_html_page(self) -> bool:
        return self.content_type.startswith("text/html")

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        self.goto(self.site.base_url + "/sign-in")
        self.page.locator("input[name=email]").fill(email)
        self.page.locator("input[name=password]").fill(password)
        with self.page.expect_navigation():
            self.page.locator("main form button[type=submit]").click()
        assert "/sign-in" not in self.page.url, f"sign-in as {email} failed"

    def axe_violations(self) -> list[str]:
        results = self.page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
            AXE_TAGS,
        )
        return [
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + json.dumps([node["target"] for node in v["nodes"]])
            for v in results["violations"]
        ]

    def screenshot(self, name: str, folder: str = "") -> None:
        where = SCREENSHOTS / folder if folder else SCREENSHOTS
        where.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "home"
        self.page.screenshot(path=str(where / f"{slug}.png"), full_page=True)

    def phone_screenshot(self, name: str) -> int:
        """The page as a 375 px wide phone shows it, saved under screenshots/375px/; how wide
        the page is there (wider than the phone: the person scrolls sideways to read it)."""
        self.page.set_viewport_size(PHONE)
        try:
            self.screenshot(name, folder="375px")
            return int(self.page.evaluate("document.documentElement.scrollWidth"))
        finally:
            self.page.set_viewport_size(DESKTOP)

    def questions_missing(self) -> list[str]:
        """Radio buttons and groups of checkboxes outside a fieldset with a legend, and fields
        with no label, as the browser's own accessibility properties report them."""
        return list(self.page.evaluate(QUESTIONS_SCRIPT))

    def focus_problems(self) -> list[str]:
        """The first link or button in the page's main part, focused: its look must change
        (outline, shadow or background) and must not look like a highlighted search word."""
        return list(self.page.evaluate(FOCUS_SCRIPT))


@pytest.fixture()
def visitor(browser: Any, live_site: LiveSite) -> Iterator[Visitor]:
    context = browser.new_context(base_url=live_site.base_url)
    # Init scripts go in through the DevTools protocol, so the page's CSP (no inline scripts)
    # stays as strict as in production and axe is still present in every document.
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    visitor = Visitor(page, live_site)
    page.on("console", lambda msg: _record_console(visitor, msg))
    page.on("pageerror", lambda error: visitor.console_errors.append(f"page error: {error}"))
    yield visitor
    context.close()


def _record_console(visitor: Visitor, message: Any) -> None:
    if message.type != "error":
        return
    # Chromium logs a 4xx document as an error; the status itself is what the test checks.
    own_status = message.text.startswith("Failed to load resource: the server responded")
    if own_status and message.location.get("url") == visitor.page.url:
        return
    visitor.console_errors.append(f"{message.text} ({message.location.get('url')})")


QUESTIONS_SCRIPT = """() => {
  const found = [];
  const controls = [...document.querySelectorAll('input, select, textarea')];
  const named = (name) => controls.filter((c) => c.name === name).length;
  for (const c of controls) {
    const type = (c.type || c.tagName).toLowerCase();
    if (['hidden', 'submit', 'button', 'image', 'reset'].includes(type)) continue;
    const grouped = type === 'radio' || (type === 'checkbox' && named(c.name) > 1);
    if (grouped) {
      const fieldset = c.closest('fieldset');
      const legend = fieldset && fieldset.querySelector('legend');
      if (!legend || !legend.textContent.trim()) {
        found.push(`${type} ${c.name} is not in a fieldset with a legend`);
      }
    } else if (!(c.labels && c.labels.length) && !c.getAttribute('aria-label')
               && !c.getAttribute('aria-labelledby')) {
      found.push(`${type} ${c.name || c.id} has no label`);
    }
  }
  return [...new Set(found)];
}"""

# GOV.UK's focus style is a yellow background with a black underline (links) or a yellow
# outline; a matched search word must never look the same.
FOCUS_SCRIPT = """() => {
  const target = document.querySelector(
    'main a[href], main button, main input:not([type=hidden]), main select');
  if (!target) return [];
  const look = (el) => {
    const s = getComputedStyle(el);
    return [s.outlineStyle + s.outlineWidth + s.outlineColor, s.boxShadow, s.backgroundColor];
  };
  document.activeElement && document.activeElement.blur();
  const before = look(target);
  target.focus();
  const after = look(target);
  const found = [];
  if (document.activeElement !== target) return found;
  if (before.every((value, i) => value === after[i])) {
    found.push(`focus on ${target.outerHTML.slice(0, 80)} does not change how it looks`);
  }
  const focusBackground = getComputedStyle(target).backgroundColor;
  for (const mark of document.querySelectorAll('mark')) {
    if (getComputedStyle(mark).backgroundColor === focusBackground) {
      found.push('a highlighted word has the same background as focus: ' + mark.textContent);
      break;
    }
  }
  target.blur();
  return found;
}"""


class Problems:
    """Every page's problems, collected so that one test failure lists them all."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def __call__(self, *items: str) -> None:
        self.found.extend(items)

    def assert_none(self) -> None:
        assert not self.found, "\n".join(self.found)


@pytest.fixture()
def problems() -> Problems:
    return Problems()
