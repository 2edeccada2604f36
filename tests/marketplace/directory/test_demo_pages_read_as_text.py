"""Every public page of the demo shows words, never HTML as text.

A link built by joining strings in a template is escaped and shows as `<a class="govuk-link"…>`
on the page. Links go through the `link` macro (templates/links.html).
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from marketplace.demo.services import load_demo
from marketplace.directory.models import Listing, Provider
from marketplace.extensions import db
from marketplace.paths import PROJECT_ROOT
from marketplace.search import services as search
from tests.marketplace.test_demo import own_index  # noqa: F401  (the fixture)

TAG_AS_TEXT = re.compile(r"&lt;/?[a-zA-Z]")
SEARCHES = [
    {"q": "personal assistant", "postcode": "OL1 1AA", "radius": "10"},
    {"q": "homecare", "postcode": "OL8", "radius": "5"},
    {"q": "respite"},
    {"q": "physio therapy"},
    {"q": "nothing like this exists"},
]


def _tags_as_text(page: str) -> list[str]:
    return [page[max(0, m.start() - 40) : m.end() + 40] for m in TAG_AS_TEXT.finditer(page)]


def test_no_public_page_of_the_demo_shows_html_as_text(app, app_ctx, client, own_index):  # noqa: F811
    load_demo()
    db.session.commit()
    search.drain_outbox()
    db.session.commit()
    urls = [f"/listings/{i}" for i in db.session.scalars(select(Listing.id))]
    urls += [f"/providers/{i}" for i in db.session.scalars(select(Provider.id))]
    urls += ["/search?" + "&".join(f"{k}={v}" for k, v in args.items()) for args in SEARCHES]

    shown = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        shown[url] = _tags_as_text(response.get_data(as_text=True))

    assert len(urls) > 200
    assert 'href="/listings/' in client.get(urls[-len(SEARCHES)]).get_data(as_text=True)
    assert {url: found for url, found in shown.items() if found} == {}


def test_templates_build_no_html_by_joining_strings():
    """The `link` macro, or a `{% set %}` block, is the one way to put markup in a component."""
    joined = re.compile(r"""'html':\s*'[^']*<[^']*'\s*(~|\|)""")
    found = [
        f"{path.relative_to(PROJECT_ROOT)}: {line.strip()[:80]}"
        for path in Path(PROJECT_ROOT / "templates").rglob("*.html")
        for line in path.read_text(encoding="utf-8").splitlines()
        if joined.search(line)
    ]
    assert found == []
