"""Every page of the tour, as each role sees it, read for what a person would trip over: markup
shown as text, words from the code ("more_info", "flask ", "1 hours", "Not a valid…"), and
questions a screen reader would not hear (a radio or checkbox outside a fieldset with a legend, a
field with no label). The same pages again after a form is sent with nonsense in every field."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.web import duration
from tests import test_access_table as access
from tests.page_reading import Page, read
from tests.test_access_table import ACCESS, ROLES, World, pages_for, routes

# The people and objects of the access table, signed in as each role.
world = access.world
client_as = access.client_as

NONSENSE = "xyz <b>"
# The administrators' page of timed jobs names the command that runs each job now, on purpose:
# it is for the people who run the servers. Markup and questions are still checked there.
COMMANDS_SHOWN_ON_PURPOSE = {"/admin/jobs/"}


def _problems(label: str, page: Page, rule: str = "") -> list[str]:
    words = [] if rule in COMMANDS_SHOWN_ON_PURPOSE else page.developer_words()
    return (
        [f"{label}: shows markup as text {found}" for found in page.raw_tags()]
        + [f"{label}: developer word {found}" for found in words]
        + [f"{label}: {missing}" for missing in page.questions_missing()]
    )


def _url(app: Flask, world: World, method: str, rule: str) -> str:
    matching = [r for m, text, r in routes(app) if (m, text) == (method, rule)]
    return world.url_for_rule(matching[0])


def _html(response: object) -> str | None:
    if not getattr(response, "mimetype", "").startswith("text/html"):
        return None
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


@pytest.mark.parametrize("role", ROLES)
def test_every_page_reads_plainly_and_asks_every_question(
    app: Flask, world: World, client_as: Callable[[str], FlaskClient], role: str
) -> None:
    client = client_as(role)
    found: list[str] = []
    for method, rule in pages_for(role):
        html = _html(client.get(_url(app, world, method, rule)))
        if html is not None:
            found += _problems(f"{role} {rule}", read(html), rule)
    assert not found, "\n".join(found)


def _forms_with_errors(role: str) -> list[str]:
    """The rules whose form this role may open and send, refused when filled with nonsense."""
    column = ROLES.index(role)
    return [
        rule
        for (method, rule), statuses in ACCESS.items()
        if method == "POST" and statuses[column] == 400 and _opens(role, rule)
    ]


def _opens(role: str, rule: str) -> bool:
    statuses = ACCESS.get(("GET", rule))
    return statuses is not None and statuses[ROLES.index(role)] == 200


@pytest.mark.parametrize("role", ROLES)
def test_every_form_sent_with_nonsense_answers_in_plain_words(
    app: Flask, world: World, client_as: Callable[[str], FlaskClient], role: str
) -> None:
    client = client_as(role)
    found: list[str] = []
    for rule in _forms_with_errors(role):
        url = _url(app, world, "POST", rule)
        form = read(client.get(url).get_data(as_text=True))
        names = {f.name for f in form.fields if f.name and f.type not in ("hidden", "submit")}
        html = _html(client.post(url, data=dict.fromkeys(names, NONSENSE)))
        if html is not None:
            found += _problems(f"{role} POST {rule} with nonsense", read(html))
    assert not found, "\n".join(found)


def test_the_reader_finds_what_a_person_would_trip_over() -> None:
    page = read(
        "<html><head><title>None</title></head><body>"
        "<p>pending to more_info &lt;a href='x'&gt;link&lt;/a&gt; for 1 hours, spending</p>"
        "<input type='radio' name='kind' value='a'>"
        "<fieldset><legend>How often?</legend><input type='radio' name='often'></fieldset>"
        "<input type='text' name='price' id='price'>"
        "<label for='postcode'>Postcode</label><input type='text' id='postcode' name='postcode'>"
        "<script>var None = 1;</script></body></html>"
    )
    words = " ".join(page.developer_words())
    assert "'pending'" in words and "'more_info'" in words and "' 1 hours'" in words
    assert "'None'" not in words  # only in the title and a script, which nobody reads there
    assert words.count("'pending'") == 1  # "spending" is not the word
    assert page.raw_tags()
    assert page.questions_missing() == [
        "input 'price' has no label",
        "radio 'kind' is not in a fieldset with a legend",
    ]


@pytest.mark.parametrize(
    ("minutes", "words"),
    [(60, "1 hour"), (90, "1.5 hours"), (120, "2 hours"), (30, "30 minutes"), (1, "1 minute")],
)
def test_a_length_of_time_reads_as_people_say_it(minutes: int, words: str) -> None:
    assert duration(minutes) == words
