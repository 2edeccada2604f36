"""Saving a search, renaming it, switching its emails on or off and deleting it.

Only budget holders and representatives save searches, and each sees and changes only their
own: another person's saved search is NotFound, as one that does not exist. Services flush and
never commit; each change leaves an audit row (ids only, never the words searched for).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from sqlalchemy import delete, func, select, update
from werkzeug.datastructures import MultiDict

from marketplace import audit
from marketplace.accounts.models import Role, User
from marketplace.clock import now
from marketplace.directory.models import PROVIDER_KIND_LABELS, AgeGroup, ProviderKind, WorkerGender
from marketplace.directory.taxonomy import terms
from marketplace.errors import DomainError, NotAllowed, NotFound
from marketplace.extensions import db
from marketplace.money import format_pence
from marketplace.saved_searches.models import SavedSearch, SavedSearchTold
from marketplace.search.interfaces import SearchUnavailable
from marketplace.search.query import DAYS, QueryError, SearchQuery, parse_query
from marketplace.search.services import engine

SAVERS = (Role.HOLDER, Role.REPRESENTATIVE)
MOST_PER_PERSON = 50
MAX_NAME = 100
# The parameters of /search a saved search keeps (the page it was on is not one of them).
KEPT = (
    "q", "category", "kind", "postcode", "radius", "max_price", "day", "time", "language",
    "gender", "age_group", "accessible", "cqc_rating", "verified", "sort",
)  # fmt: skip
# How many matches are read per request to the engine, and at most in all, when a saved search
# is run for the listings it matches.
MATCH_PAGE = 100
MOST_MATCHES = 1000
NOT_WORKING = "Search is not working at the moment. Try again in a few minutes."


class SavedSearchError(DomainError):
    """A saved search cannot be made or changed as asked; the message says why."""


def search_params(args: MultiDict[str, str]) -> list[list[str]]:
    """The parameters of a search worth keeping, in the order given, without empty ones."""
    return [
        [name, value.strip()]
        for name, value in args.items(multi=True)
        if name in KEPT and value.strip()
    ]


def query_of(params: Iterable[Iterable[str]]) -> SearchQuery:
    """The search a saved search's parameters ask for. Raises QueryError when they no longer
    make one (a postcode that has gone from the postcode data)."""
    pairs = [tuple(pair) for pair in params]
    return parse_query(MultiDict([(name, value) for name, value in pairs]))


def describe(query: SearchQuery) -> str:
    """A name for a search in plain words: 'Homecare near OL1 1AA', 'dementia, anywhere'."""
    names = {term.slug: term.name for term in terms()}
    what = [query.text] if query.text else []
    what += [names.get(slug, slug) for slug in query.categories]
    words = ", ".join(what) or "Any support"
    where = f"near {(query.place.postcode or query.place.outcode)}" if query.place else "anywhere"
    return f"{words[0].upper()}{words[1:]} {where}"[:MAX_NAME]


def summary(query: SearchQuery) -> list[tuple[str, str]]:
    """What a search asks for, as (question, answer) rows a person reads."""
    names = {term.slug: term.name for term in terms()}
    rows = [("Words", query.text or "None")]
    rows.append(("Kind of support", ", ".join(names.get(s, s) for s in query.categories) or "Any"))
    if query.place:
        where = query.place.postcode or query.place.outcode
        if query.radius_miles is not None:
            where += f", within {query.radius_miles:g} miles"
        rows.append(("Where", where))
    else:
        rows.append(("Where", "Anywhere"))
    others = _other_choices(query)
    if others:
        rows.append(("Other choices", "; ".join(others)))
    return rows


def _other_choices(query: SearchQuery) -> list[str]:
    """The filters beyond words, kind of support and place, in plain words."""
    found = [PROVIDER_KIND_LABELS[ProviderKind(kind)] for kind in query.kinds]
    if query.max_price_pence is not None:
        found.append(f"Up to {format_pence(query.max_price_pence)}")
    if query.day is not None:
        day = DAYS[query.day].capitalize()
        found.append(f"{day} at {query.time:%H:%M}" if query.time else day)
    found += [f"Speaks {'BSL' if lang == 'bsl' else lang.capitalize()}" for lang in query.languages]
    if query.gender:
        found.append(WorkerGender(query.gender).label)
    if query.age_group:
        found.append(AgeGroup(query.age_group).label)
    if query.accessible:
        found.append("Accessibility details given")
    if query.cqc_ratings:
        found.append("CQC rating " + " or ".join(query.cqc_ratings))
    if query.verified_only:
        found.append("Checked providers only")
    return found


def matching(query: SearchQuery) -> tuple[int, list[int]]:
    """How many listings match a search now, and their ids (at most MOST_MATCHES), through the
    configured engine. No search event is recorded: this is not a person searching. Raises
    SearchUnavailable when the engine is down."""
    ids: list[int] = []
    page = 1
    total = 0
    while len(ids) < MOST_MATCHES:
        results = engine().search(replace(query, page=page, per_page=MATCH_PAGE))
        total = results.total
        ids += [hit.listing_id for hit in results.hits]
        if not results.hits or len(ids) >= total:
            break
        page += 1
    return total, ids


def save(user: User, params: list[list[str]], name: str, alerts_on: bool) -> SavedSearch:
    """Keep a search for `user`, remembering the listings it finds now (they are on the page the
    person saved it from, so no email tells them of these again). Raises NotAllowed for a role
    that does not save searches, SavedSearchError when the search is not one or the person has
    MOST_PER_PERSON already, QueryError naming a wrong parameter."""
    if user.role not in SAVERS:
        raise NotAllowed("Only budget holders and their representatives save searches")
    if not params:
        raise SavedSearchError("There is no search to save. Search first, then save it.")
    query = query_of(params)
    # Of two saves at once (two tabs), the second waits for the first and then sees it.
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    if (kept := already_saved(user, query)) is not None:
        raise SavedSearchError(f"You already saved this search, as “{kept.name}”")
    chosen = _name(name)
    if chosen and _name_taken(user, chosen):
        raise SavedSearchError(_TAKEN.format(chosen), field="name")
    if _count_of(user) >= MOST_PER_PERSON:
        raise SavedSearchError(
            f"You have {MOST_PER_PERSON} saved searches, the most you can keep. "
            "Delete one you no longer need first."
        )
    try:
        total, ids = matching(query)
    except SearchUnavailable:
        raise SavedSearchError(NOT_WORKING) from None
    saved = SavedSearch(
        user_id=user.id,
        tenant_id=user.tenant_id,
        name=chosen or free_name(user, describe(query)),
        params=params,
        outcode=query.place.outcode if query.place else None,
        categories=list(query.categories),
        latitude=query.place.point.latitude if query.place else None,
        longitude=query.place.point.longitude if query.place else None,
        radius_miles=query.radius_miles,
        alerts_on=alerts_on,
        result_count=total,
        checked_at=now(),
    )
    db.session.add(saved)
    db.session.flush()
    remember_told(saved, ids)
    audit.note("saved_search.saved", saved, user, alerts_on=alerts_on)
    return saved


def remember_told(saved: SavedSearch, listing_ids: Iterable[int]) -> None:
    """Remember that the owner knows these listings match (each id once)."""
    for listing_id in sorted(set(listing_ids)):
        db.session.add(SavedSearchTold(saved_search_id=saved.id, listing_id=listing_id))
    db.session.flush()


def told_ids(saved: SavedSearch) -> set[int]:
    return set(
        db.session.scalars(
            select(SavedSearchTold.listing_id).where(SavedSearchTold.saved_search_id == saved.id)
        )
    )


def _count_of(user: User) -> int:
    return (
        db.session.scalar(select(func.count(SavedSearch.id)).where(SavedSearch.user_id == user.id))
        or 0
    )


def _name(text: str) -> str:
    return " ".join((text or "").split())[:MAX_NAME]


_TAKEN = "You already have a saved search called “{}”: choose another name"


def _name_taken(user: User, name: str, other_than: int | None = None) -> bool:
    """Whether another of the person's saved searches has this name (in any case)."""
    found = select(SavedSearch.id).where(
        SavedSearch.user_id == user.id,
        func.lower(SavedSearch.name) == name.lower(),
        SavedSearch.id != (other_than or 0),
    )
    return db.session.scalar(found.limit(1)) is not None


def free_name(user: User, name: str) -> str:
    """The name, or with " (2)", " (3)" … after it when the person already has one so called."""
    found, number = name, 1
    while _name_taken(user, found):
        number += 1
        tail = f" ({number})"
        found = name[: MAX_NAME - len(tail)] + tail
    return found


def already_saved(user: User, query: SearchQuery) -> SavedSearch | None:
    """The person's saved search that asks for the same as `query` (in any order or spelling of
    its parameters), or None."""
    wanted = replace(query, page=1)
    for saved in db.session.scalars(
        select(SavedSearch).where(SavedSearch.user_id == user.id).order_by(SavedSearch.id)
    ):
        try:
            if replace(query_of(saved.params), page=1) == wanted:
                return saved
        except QueryError:
            continue
    return None


def own(user: User, saved_search_id: int) -> SavedSearch:
    """The user's own saved search. Raises NotFound for anyone else's or one that is gone."""
    found = db.session.get(SavedSearch, saved_search_id)
    if found is None or found.user_id != user.id:
        raise NotFound("There is no saved search with this reference")
    return found


def of(user: User, page: int, per_page: int = 20) -> Any:
    """One page (Flask-SQLAlchemy's pagination) of the user's saved searches, newest first."""
    return db.paginate(
        select(SavedSearch)
        .where(SavedSearch.user_id == user.id)
        .order_by(SavedSearch.created_at.desc(), SavedSearch.id.desc()),
        page=page,
        per_page=per_page,
        error_out=False,
    )


def rename(user: User, saved: SavedSearch, name: str) -> SavedSearch:
    """Give a saved search a new name. Raises SavedSearchError when the name is empty. The
    name changes only where it is still another (compare and set): the same name sent twice,
    or twice at once, is one change and one audit row."""
    cleaned = _name(name)
    if not cleaned:
        raise SavedSearchError("Enter a name for the search", field="name")
    if _name_taken(user, cleaned, other_than=saved.id):
        raise SavedSearchError(_TAKEN.format(cleaned), field="name")
    if _changed(saved, SavedSearch.name != cleaned, name=cleaned):
        audit.note("saved_search.renamed", saved, user)
    return saved


def set_alerts(user: User, saved: SavedSearch, on: bool) -> bool:
    """Switch a saved search's emails on or off. Whether anything changed: the same choice sent
    twice, or twice at once, changes it once (compare and set) and is audited once."""
    changed = _changed(saved, SavedSearch.alerts_on.is_not(on), alerts_on=on)
    if changed:
        audit.note("saved_search.alerts_on" if on else "saved_search.alerts_off", saved, user)
    return changed


def _changed(saved: SavedSearch, still_other: Any, **values: Any) -> bool:
    """Set `values` on the saved search's row where `still_other` holds; whether it did."""
    done = db.session.execute(
        update(SavedSearch)
        .where(SavedSearch.id == saved.id, still_other)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(saved)
    return bool(getattr(done, "rowcount", 0))


def remove(user: User, saved_search_id: int) -> bool:
    """Delete one of the user's saved searches. Whether one was deleted: False when it had gone
    already (deleted a moment ago) or is not theirs, so a repeat changes nothing."""
    tenant_id = user.tenant_id
    mine = select(SavedSearch.id).where(
        SavedSearch.id == saved_search_id, SavedSearch.user_id == user.id
    )
    db.session.execute(delete(SavedSearchTold).where(SavedSearchTold.saved_search_id.in_(mine)))
    gone = db.session.execute(
        delete(SavedSearch)
        .where(SavedSearch.id == saved_search_id, SavedSearch.user_id == user.id)
        .execution_options(synchronize_session=False)
    )
    if not getattr(gone, "rowcount", 0):
        return False
    audit.record(
        "saved_search.deleted",
        "saved_search",
        saved_search_id,
        actor_id=user.id,
        tenant_id=tenant_id,
    )
    db.session.flush()
    return True


def described_query(saved: SavedSearch) -> SearchQuery | None:
    """The saved search's query, or None when its parameters no longer make one."""
    try:
        return query_of(saved.params)
    except QueryError:
        return None
