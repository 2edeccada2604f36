"""The daily check of saved searches: run each through the configured engine, remember what it
matches now, and email each person once about the listings new to them.

A listing is told once: the listings a search matched when it was saved, and every one told
since, are remembered (`SavedSearchTold`), so a second run the same day, or the next day, tells
nothing again. A listing is new to a person only when it is not remembered; with the search's
emails off, what it matches is remembered too (switching emails on later brings news, not a
list of everything). The count each search finds is kept: a saved search that finds nothing is
demand no one meets (`demand`).

Each person's searches are one unit of work: if the engine fails half way, the people already
done keep their emails and what they were told, and the retry carries on from there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby

from sqlalchemy import select

from marketplace import mail
from marketplace.accounts.models import User
from marketplace.clock import now
from marketplace.extensions import db
from marketplace.saved_searches import services
from marketplace.saved_searches.models import SavedSearch
from marketplace.transactions import unit_of_work

log = logging.getLogger(__name__)
BATCH = 500
TEMPLATE = "saved_search_alert"


@dataclass
class Checked:
    """What a daily check did, in counts only."""

    searches: int = 0
    emails: int = 0
    new_listings: int = 0
    unreadable: int = 0

    def summary(self) -> str:
        return (
            f"Checked {self.searches} saved search(es); {self.new_listings} new match(es); "
            f"emailed {self.emails} person(s)."
        )


@dataclass
class News:
    saved: SavedSearch
    new: int


@dataclass
class _Person:
    user: User
    news: list[News] = field(default_factory=list)


def check_all() -> Checked:
    """Check every saved search, a person at a time, each in its own unit of work. Raises
    SearchUnavailable when the engine fails (people done so far stay done)."""
    checked = Checked()
    for user_id, ids in groupby(_search_ids(), key=lambda row: row[0]):
        with unit_of_work():
            _check_person(user_id, [saved_id for _, saved_id in ids], checked)
    return checked


def _search_ids() -> Iterator[tuple[int, int]]:
    """(user id, saved search id) of every saved search, by person, read a batch at a time."""
    last = (0, 0)
    while True:
        rows = db.session.execute(
            select(SavedSearch.user_id, SavedSearch.id)
            .where(
                (SavedSearch.user_id > last[0])
                | ((SavedSearch.user_id == last[0]) & (SavedSearch.id > last[1]))
            )
            .order_by(SavedSearch.user_id, SavedSearch.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        yield from ((user_id, saved_id) for user_id, saved_id in rows)
        last = (rows[-1][0], rows[-1][1])


def _check_person(user_id: int, saved_ids: list[int], checked: Checked) -> None:
    person = _Person(db.session.get(User, user_id))  # type: ignore[arg-type]
    for saved_id in saved_ids:
        saved = db.session.get(SavedSearch, saved_id)
        if saved is None:  # deleted while the check ran
            continue
        new = check(saved, checked)
        if new and saved.alerts_on:
            person.news.append(News(saved, new))
    if person.news and person.user is not None and person.user.active:
        _email(person)
        checked.emails += 1


def check(saved: SavedSearch, checked: Checked | None = None) -> int:
    """Run one saved search, keep its count, remember what it matches; how many matches are
    new to its owner. Raises SearchUnavailable when the engine fails."""
    checked = checked if checked is not None else Checked()
    query = services.described_query(saved)
    checked.searches += 1
    if query is None:
        checked.unreadable += 1
        return 0
    total, ids = services.matching(query)
    saved.result_count = total
    saved.checked_at = now()
    new = [listing_id for listing_id in ids if listing_id not in services.told_ids(saved)]
    services.remember_told(saved, new)
    checked.new_listings += len(new)
    return len(new)


def _email(person: _Person) -> None:
    lines = [f"Hello {person.user.full_name.split()[0] if person.user.full_name else ''},".strip()]
    lines += ["", "New support matches searches you saved:", ""]
    for item in person.news:
        listings = "listing" if item.new == 1 else "listings"
        lines.append(f"{item.saved.name}: {item.new} new {listings}.")
        lines.append(f"See them: {mail.link('search.search', **_link_values(item.saved))}")
        lines.append("")
    lines.append(
        "To stop these emails, or to delete a saved search, go to "
        f"{mail.link('saved_searches.index')}"
    )
    subject = (
        "New support matches your saved search"
        if len(person.news) == 1
        else f"New support matches {len(person.news)} of your saved searches"
    )
    mail.queue_email(
        person.user.email,
        subject,
        "\n".join(lines) + "\n",
        template=TEMPLATE,
    )


def _link_values(saved: SavedSearch) -> dict[str, list[str]]:
    """The search's parameters as the address of its results page takes them."""
    values: dict[str, list[str]] = {}
    for name, value in saved.params:
        values.setdefault(name, []).append(value)
    return values
