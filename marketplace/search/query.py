"""What a person asks for (SearchQuery) and what comes back (SearchResults), for every engine.

`parse_query` turns the parameters of /search and /search.json into a SearchQuery, raising
QueryError with a message fit to show when one is wrong. Free text is normalised and split into
clauses: each clause is a set of alternatives (a care word of data/search_vocabulary.toml gives
several), each alternative one word, which engines match with typo tolerance, or a phrase, whose
words they match next to each other and in order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import time
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from werkzeug.datastructures import MultiDict

from marketplace.directory.models import AgeGroup, ProviderKind, WorkerGender
from marketplace.directory.taxonomy import terms
from marketplace.errors import DomainError
from marketplace.search.geo import Place, locate
from marketplace.search.vocabulary import vocabulary

PER_PAGE = 20
MAX_PAGE = 50
DEFAULT_RADIUS_MILES = 10
MAX_RADIUS_MILES = 200
MAX_TEXT = 100
SORTS = ("relevance", "distance", "price")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CQC_RATINGS = ("Outstanding", "Good", "Requires improvement", "Inadequate")
# Price bands for the facet, in pence: (key, label, low inclusive, high exclusive).
PRICE_BANDS = (
    ("under-15", "Under £15", 0, 1500),
    ("15-25", "£15 to £25", 1500, 2500),
    ("25-40", "£25 to £40", 2500, 4000),
    ("40-plus", "£40 or more", 4000, 10**9),
)
# Languages the facet counts (others can still be searched for by name).
LANGUAGES = (
    "english", "urdu", "bengali", "punjabi", "polish", "arabic", "gujarati", "romanian",
    "somali", "chinese", "hindi", "portuguese", "spanish", "french", "kurdish", "farsi",
    "pashto", "tamil", "turkish", "bsl",
)  # fmt: skip


class QueryError(DomainError):
    """A search parameter is malformed. `field` names it; the message says how to fix it."""


Alternative = tuple[str, ...]
Clause = tuple[Alternative, ...]


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    categories: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    place: Place | None = None
    radius_miles: float | None = None  # None with a place: no limit, but at-home reach still holds
    max_price_pence: int | None = None
    day: int | None = None  # Monday 0 … Sunday 6
    time: time | None = None
    languages: tuple[str, ...] = ()
    gender: str | None = None
    age_group: str | None = None  # the person's: listings that serve that age group
    accessible: bool = False
    cqc_ratings: tuple[str, ...] = ()
    verified_only: bool = False
    sort: str = "relevance"
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def clauses(self) -> tuple[Clause, ...]:
        return text_clauses(self.text)

    @property
    def slot(self) -> str | None:
        """The availability token a listing must carry, or None when no day is asked for."""
        return availability_slot(self.day, self.time)

    def widened(self) -> SearchQuery:
        """The same search with no distance limit (at-home reach still holds), nearest first."""
        return replace(self, radius_miles=None, sort="distance", page=1)

    def filters(self) -> dict[str, object]:
        """The filters in force, without personal data: safe to record in a search event."""
        chosen = {
            "categories": list(self.categories),
            "kinds": list(self.kinds),
            "radius_miles": self.radius_miles if self.place else None,
            "max_price_pence": self.max_price_pence,
            "day": self.day,
            "time": self.time.strftime("%H:%M") if self.time else None,
            "languages": list(self.languages),
            "gender": self.gender,
            "age_group": self.age_group,
            "accessible": self.accessible or None,
            "cqc_ratings": list(self.cqc_ratings),
            "verified_only": self.verified_only or None,
            "sort": self.sort,
        }
        return {key: value for key, value in chosen.items() if value not in (None, [])}


@dataclass
class Hit:
    listing_id: int
    title: str
    provider_id: int
    provider_name: str
    categories: list[str]
    price_pence: int
    price_unit: str
    distance_miles: float | None
    score: float
    highlights: dict[str, str] = field(default_factory=dict)  # field → escaped HTML with <mark>

    def as_json(self) -> dict[str, object]:
        return {
            "listing_id": self.listing_id,
            "title": self.title,
            "provider_id": self.provider_id,
            "provider_name": self.provider_name,
            "categories": self.categories,
            "price_pence": self.price_pence,
            "price_unit": self.price_unit,
            "distance_miles": (
                round(self.distance_miles, 2) if self.distance_miles is not None else None
            ),
            "score": round(self.score, 4),
        }


@dataclass
class SearchResults:
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]


def empty_facets() -> dict[str, dict[str, int]]:
    return {"category": {}, "kind": {}, "language": {}, "price_band": {}}


def price_band(price_pence: int) -> str:
    return next(key for key, _, low, high in PRICE_BANDS if low <= price_pence < high)


def availability_slot(day: int | None, at: time | None) -> str | None:
    """'d2' for any time on Wednesday; 'd2-1330' for Wednesday in the half hour from 13:30."""
    if day is None:
        return None
    if at is None:
        return f"d{day}"
    return f"d{day}-{at.hour:02d}{30 if at.minute >= 30 else 0:02d}"


# Free text


def normalise_text(text: str) -> str:
    """Lower case, letters and digits only, single spaces, at most MAX_TEXT characters."""
    words = re.findall(r"[a-z0-9]+", (text or "").lower())
    return " ".join(words)[:MAX_TEXT].strip()


@lru_cache(maxsize=4096)
def text_clauses(text: str) -> tuple[Clause, ...]:
    """Split normalised text into clauses, longest care-word phrase of the vocabulary first
    (data/search_vocabulary.toml, typos allowed in words of 5 letters or more); drop stop
    words. A clause's alternatives of several words are phrases."""
    known = vocabulary()
    words = normalise_text(text).split()
    clauses: list[Clause] = []
    i = 0
    while i < len(words):
        for size in range(min(known.longest, len(words) - i), 0, -1):
            phrase = tuple(words[i : i + size])
            edits = tuple(allowed_edits(word) if len(word) >= 5 else 0 for word in phrase)
            meaning = known.meaning(phrase, edits)
            if meaning is not None:
                clauses.append(meaning)
                i += size
                break
        else:
            if words[i] not in known.stop_words:
                clauses.append(((words[i],),))
            i += 1
    return tuple(clauses)


def typed_word(clause: Clause) -> bool:
    """Whether a clause is one word as the person typed it, matched with typo tolerance. The
    alternatives of a care word (always two or more) are matched as the vocabulary spells them:
    a typo in the care word itself was forgiven when it was looked up."""
    return len(clause) == 1 and len(clause[0]) == 1


def allowed_edits(word: str) -> int:
    """Typo tolerance: none under 4 letters, one edit for 4–7, two beyond."""
    if len(word) < 4 or word.isdigit():
        return 0
    return 1 if len(word) <= 7 else 2


# Parameters


CATEGORY_SLUGS = frozenset(term.slug for term in terms())
KIND_VALUES = frozenset(kind.value for kind in ProviderKind)
GENDER_VALUES = frozenset(gender.value for gender in WorkerGender)
AGE_GROUP_VALUES = frozenset(group.value for group in AgeGroup)


def parse_query(params: MultiDict[str, str]) -> SearchQuery:
    """Read /search parameters. Raises QueryError (naming the field) when one is wrong."""
    place = _place(params.get("postcode"))
    return SearchQuery(
        text=normalise_text(params.get("q") or ""),
        categories=_choices(params.getlist("category"), CATEGORY_SLUGS, "category"),
        kinds=_choices(params.getlist("kind"), KIND_VALUES, "kind"),
        place=place,
        radius_miles=_radius(params.get("radius")) if place else None,
        max_price_pence=_pence(params.get("max_price")),
        day=_day(params.get("day")),
        time=_time(params.get("time"), params.get("day")),
        languages=tuple(sorted({normalise_text(v) for v in params.getlist("language") if v})),
        gender=_one(params.get("gender"), GENDER_VALUES, "gender"),
        age_group=_one(params.get("age_group"), AGE_GROUP_VALUES, "age_group"),
        accessible=_flag(params.get("accessible")),
        cqc_ratings=_choices(params.getlist("cqc_rating"), frozenset(CQC_RATINGS), "cqc_rating"),
        verified_only=_flag(params.get("verified")),
        sort=_sort(params.get("sort"), place),
        page=_page(params.get("page")),
    )


def _place(raw: str | None) -> Place | None:
    if not (raw or "").strip():
        return None
    from marketplace.search.geo import PostcodeError

    try:
        return locate(raw or "")
    except PostcodeError as error:
        raise QueryError(error.message, field="postcode") from None


def _choices(values: Sequence[str], allowed: frozenset[str], name: str) -> tuple[str, ...]:
    chosen = {value.strip() for value in values if value.strip()}
    unknown = sorted(chosen - allowed)
    if unknown:
        raise QueryError(f"Choose a {name.replace('_', ' ')} from the list", field=name)
    return tuple(sorted(chosen))


def _one(raw: str | None, allowed: frozenset[str], name: str) -> str | None:
    chosen = _choices([raw or ""], allowed, name)
    return chosen[0] if chosen else None


def _radius(raw: str | None) -> float:
    if not (raw or "").strip():
        return DEFAULT_RADIUS_MILES
    try:
        value = float(raw or "")
    except ValueError:
        raise QueryError("Distance must be a number of miles, like 5", field="radius") from None
    if not 0 < value <= MAX_RADIUS_MILES:
        raise QueryError(f"Distance must be between 1 and {MAX_RADIUS_MILES} miles", "radius")
    return value


def _pence(raw: str | None) -> int | None:
    text = (raw or "").strip().lstrip("£")
    if not text:
        return None
    try:
        pounds = Decimal(text)
    except InvalidOperation:
        message = "Maximum price must be an amount in pounds, like 25 or 25.50"
        raise QueryError(message, field="max_price") from None
    if not pounds.is_finite() or pounds < 0 or pounds > 100_000:
        raise QueryError("Maximum price must be between £0 and £100,000", field="max_price")
    return int(pounds * 100)


def _day(raw: str | None) -> int | None:
    text = (raw or "").strip().lower()
    if not text:
        return None
    if text.isascii() and text.isdigit() and int(text) < 7:
        return int(text)
    if text in DAYS:
        return DAYS.index(text)
    raise QueryError("Day must be a day of the week, like Monday", field="day")


def _time(raw: str | None, day: str | None) -> time | None:
    text = (raw or "").strip()
    if not text:
        return None
    if not (day or "").strip():
        raise QueryError("Choose a day as well as a time", field="day")
    match = re.fullmatch(r"([01]?\d|2[0-3])[:.]?([0-5]\d)?", text)
    if not match:
        raise QueryError("Time must be a 24-hour time, like 09:30 or 14:00", field="time")
    return time(int(match.group(1)), int(match.group(2) or 0))


def _flag(raw: str | None) -> bool:
    return (raw or "").strip().lower() in ("1", "true", "yes", "on", "y")


def _sort(raw: str | None, place: Place | None) -> str:
    chosen = (raw or "").strip() or "relevance"
    if chosen not in SORTS:
        raise QueryError("Sort by relevance, distance or price", field="sort")
    if chosen == "distance" and place is None:
        raise QueryError("Enter a postcode to sort by distance", field="postcode")
    return chosen


def _page(raw: str | None) -> int:
    text = (raw or "").strip() or "1"
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_PAGE:
        raise QueryError(f"Page must be a number from 1 to {MAX_PAGE}", field="page")
    return int(text)
