"""Reading the query parameters of the Open Referral UK API.

Each function reads one parameter from the request's arguments and returns a typed value, or raises
BadParameter with a message that says what was wrong and what to send instead (the view answers
400 with it). A parameter that is missing or empty means "no filter".
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time

from marketplace.errors import DomainError

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_PAGE = 100_000
MAX_TEXT = 200
MAX_WORDS = 10
MAX_PROXIMITY_METRES = 500_000
MAX_AGE = 150
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
TRUE_WORDS = frozenset({"true", "1", "yes"})
FALSE_WORDS = frozenset({"false", "0", "no"})

Args = Mapping[str, str]


class BadParameter(DomainError):
    """A query parameter we cannot use. `field` names the parameter."""


@dataclass(frozen=True)
class Paging:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def _value(args: Args, name: str) -> str | None:
    value = args.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _whole_number(args: Args, name: str, low: int, high: int) -> int | None:
    value = _value(args, name)
    if value is None:
        return None
    if not value.isascii() or not value.isdigit():
        raise BadParameter(f"{name} must be a whole number from {low} to {high}", name)
    number = int(value)
    if not low <= number <= high:
        raise BadParameter(f"{name} must be a whole number from {low} to {high}", name)
    return number


def paging(args: Args) -> Paging:
    """`page` (from 1) and `per_page` (1 to MAX_PER_PAGE, default DEFAULT_PER_PAGE)."""
    page = _whole_number(args, "page", 1, MAX_PAGE) or 1
    per_page = _whole_number(args, "per_page", 1, MAX_PER_PAGE) or DEFAULT_PER_PAGE
    return Paging(page, per_page)


def words(args: Args) -> tuple[str, ...]:
    """The words of the free-text filter (`text`, or ORUK's `search`), lower case."""
    text = _value(args, "text") or _value(args, "search")
    if text is None:
        return ()
    if len(text) > MAX_TEXT:
        raise BadParameter(f"text must be at most {MAX_TEXT} characters", "text")
    found = tuple(dict.fromkeys(word.lower() for word in text.split()))
    if len(found) > MAX_WORDS:
        raise BadParameter(f"text must have at most {MAX_WORDS} words", "text")
    return found


def an_id(args: Args, name: str) -> uuid.UUID | None:
    """An ORUK id parameter: every id in this API is a UUID."""
    value = _value(args, name)
    return None if value is None else parse_uuid(value, name)


def parse_uuid(value: str, name: str = "id") -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise BadParameter(
            f"{name} must be a UUID, like 3f7b145d-84af-42d7-8fae-eaca714b02b2", name
        ) from None


def boolean(args: Args, name: str) -> bool | None:
    value = _value(args, name)
    if value is None:
        return None
    if value.lower() in TRUE_WORDS:
        return True
    if value.lower() in FALSE_WORDS:
        return False
    raise BadParameter(f"{name} must be true or false", name)


def moment(args: Args, name: str) -> datetime | None:
    """An ISO 8601 date or date and time. A time without an offset is taken as UTC."""
    value = _value(args, name)
    if value is None:
        return None
    try:
        # A "+" left unencoded in a query string arrives as a space before the offset.
        parsed = datetime.fromisoformat(re.sub(r" (\d{2}:?\d{2})$", r"+\1", value.upper()))
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: an offset past the year 9999
        raise BadParameter(
            f"{name} must be an ISO 8601 date and time, like 2025-03-15T10:30:00Z", name
        ) from None


def clock_time(args: Args, name: str) -> time | None:
    """A time of day, HH:MM (UK time, as listings' weekly times are kept)."""
    value = _value(args, name)
    if value is None:
        return None
    try:
        parsed = time.fromisoformat(value)
    except ValueError:
        raise BadParameter(f"{name} must be a time of day, like 09:30", name) from None
    if parsed.tzinfo is not None:
        raise BadParameter(f"{name} must be a UK time of day without an offset, like 09:30", name)
    return parsed


def weekday(args: Args, name: str = "day") -> int | None:
    """A day of the week as iCalendar writes it (MO … SU) or in full (Monday). Monday is 0."""
    value = _value(args, name)
    if value is None:
        return None
    if value.upper() in DAY_CODES:
        return DAY_CODES.index(value.upper())
    if value.lower() in DAY_NAMES:
        return DAY_NAMES.index(value.lower())
    raise BadParameter(f"{name} must be a day of the week, like MO or Monday", name)


def proximity(args: Args) -> float | None:
    """`proximity` in metres: a positive number up to MAX_PROXIMITY_METRES."""
    value = _value(args, "proximity")
    if value is None:
        return None
    message = f"proximity must be a distance in metres from 1 to {MAX_PROXIMITY_METRES:,}"
    try:
        metres = float(value)
    except ValueError:
        raise BadParameter(message, "proximity") from None
    if not math.isfinite(metres) or not 0 < metres <= MAX_PROXIMITY_METRES:
        raise BadParameter(message, "proximity")
    return metres


def age(args: Args, name: str) -> float | None:
    """An age in years (ORUK's `minimum_age`, `maximum_age`): a number from 0 to MAX_AGE."""
    value = _value(args, name)
    if value is None:
        return None
    message = f"{name} must be an age in years from 0 to {MAX_AGE}, like 18"
    try:
        years = float(value)
    except ValueError:
        raise BadParameter(message, name) from None
    if not math.isfinite(years) or not 0 <= years <= MAX_AGE:
        raise BadParameter(message, name)
    return years


def tenant(args: Args) -> int | None:
    """`tenant`: the id of a commissioning body, to read only the providers it oversees."""
    return _whole_number(args, "tenant", 1, 2**31 - 1)


def text_value(args: Args, name: str) -> str | None:
    return _value(args, name)


def refuse(args: Args, names: tuple[str, ...], reason: str) -> None:
    """Answer 400 for ORUK filters we cannot honour, rather than ignore them and return
    results the client did not ask for."""
    for name in names:
        if _value(args, name) is not None:
            raise BadParameter(f"{name} is not supported: {reason}", name)


def json_format(args: Args) -> None:
    """ORUK's `format`: only json (the default) is offered."""
    value = _value(args, "format")
    if value is not None and value.lower() != "json":
        raise BadParameter("format must be json: this feed is not offered as ndjson", "format")
