"""The words a person sees for a booking, a session and each thing that happened to them.

One place maps every state and every recorded move to plain English, for the booking page's
history, the lists and every home page. A booking's status reads its sessions too: a one-off
whose session is paid is "Done and paid", not "Booked"; a delivered session asks the holder's
side to confirm it. Words depend on who reads them (the side's value: "holder", "provider",
"commissioner"): "Cancelled by you" only for the side that cancelled. This module imports no
model, so the models' `label`s read their words from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from marketplace.clock import LONDON
from marketplace.money import format_pence

if TYPE_CHECKING:
    from marketplace.bookings.models import Booking, BookingEvent, Occurrence
    from marketplace.bookings.states import Side

# The name of each state, where nothing more is known (the enums' `label`).
BOOKING_STATE_WORDS = {
    "requested": "Waiting for an answer",
    "accepted": "Booked",
    "declined": "Declined",
    "expired": "No answer in time",
    "cancelled_by_holder": "Cancelled by the budget holder",
    "cancelled_by_provider": "Cancelled by the provider",
    "ended": "Finished",
}
SESSION_STATE_WORDS = {
    "scheduled": "Booked",
    "delivered": "Done: waiting for confirmation",
    "confirmed": "Done and paid",
    "paid": "Done and paid",
    "disputed": "Problem reported",
    "cancelled": "Cancelled",
}
SETTLED = frozenset({"confirmed", "paid"})
OPEN_SESSIONS = frozenset({"scheduled", "delivered", "disputed"})


@dataclass(frozen=True)
class Status:
    """What a booking's tag says, and its colour (a GOV.UK tag modifier, or "")."""

    text: str
    colour: str = ""

    @property
    def classes(self) -> str:
        return f"govuk-tag--{self.colour}" if self.colour else ""


def first_name(full_name: str) -> str:
    """The name a provider greets a client by: the first word of their full name."""
    return full_name.split()[0] if full_name.strip() else full_name


def session_words(
    occurrence: Occurrence, side: Side | str, decided_pence: int | None = None
) -> str:
    """A session's state as the reader sees it. `decided_pence`: what a commissioner's decision
    on a dispute paid the provider, for a session settled that way."""
    state = occurrence.state.value
    if decided_pence is not None:
        return _decided_session(decided_pence, occurrence.price_pence)
    if state == "delivered":
        return "Done: please confirm" if side == "holder" else "Done: waiting for confirmation"
    return SESSION_STATE_WORDS[state]


def _decided_session(paid: int, held: int) -> str:
    if paid == 0:
        return "Not paid: the council decided after a dispute"
    if paid == held:
        return f"{format_pence(paid)} paid in full after a dispute"
    return f"{format_pence(paid)} paid of {format_pence(held)} after a dispute"


def decided_outcome(paid: int, held: int) -> str:
    """What a decision on a dispute did with the money set aside, in a few words."""
    if paid == 0:
        return f"the provider was not paid and the {format_pence(held)} went back to the budget"
    if paid == held:
        return f"the provider was paid in full ({format_pence(paid)})"
    return (
        f"the provider was paid {format_pence(paid)} of {format_pence(held)} and "
        f"{format_pence(held - paid)} went back to the budget"
    )


def decided_words(at: datetime, by: str, paid: int, held: int) -> str:
    """A decided dispute, for anyone who comes to decide it again."""
    local = at.astimezone(LONDON)
    who = f" by {by}" if by else ""
    return (
        f"This dispute was already decided on {local:%-d %B %Y} at {clock_words(local.time())}"
        f"{who}: {decided_outcome(paid, held)}."
    )


def booking_status(booking: Booking, side: Side | str) -> Status:
    """The words for where a booking stands, for the reader's side."""
    state = booking.state.value
    if state == "requested":
        return _request_status(booking, side)
    if state == "accepted":
        return _booked_status(booking, side)
    if state == "cancelled_by_holder" and side == "holder":
        return Status("Cancelled", "grey")
    if state == "cancelled_by_provider" and side == "provider":
        return Status("Cancelled by you", "grey")
    colour = "red" if state in ("declined", "expired", "cancelled_by_provider") else "grey"
    return Status(BOOKING_STATE_WORDS[state], colour)


def _request_status(booking: Booking, side: Side | str) -> Status:
    offered = any(o.state.value == "open" for o in booking.offers)
    if offered:
        if side == "holder":
            return Status("Offer waiting for your answer", "orange")
        if side == "provider":
            return Status("Your offer: waiting for their answer", "blue")
        return Status("New price offered: waiting for an answer", "blue")
    if side == "provider":
        return Status("Waiting for your answer", "orange")
    return Status("Waiting for the provider", "blue")


def _booked_status(booking: Booking, side: Side | str) -> Status:
    states = {o.state.value for o in booking.occurrences}
    if "delivered" in states and side == "holder":
        return Status("Session to confirm", "orange")  # what the reader can do comes first
    if "disputed" in states:
        return Status("Problem reported", "red")
    if "delivered" in states:
        return Status("Waiting for confirmation", "blue")
    if booking.kind.value == "one_off" and states and not states & OPEN_SESSIONS:
        if states & SETTLED:
            return Status("Done and paid", "green")
        return Status("Cancelled", "grey")
    return Status("Booked", "turquoise")


# The history: one sentence for each recorded move.

_BOOKING_MOVES = {
    "accepted": "Booking agreed",
    "declined": "The provider declined the request",
    "expired": "The request ran out of time: nobody answered",
    "cancelled_by_provider": "The provider cancelled the booking",
    "ended": "The booking finished",
}
_SESSION_MOVES = {
    "delivered": "The provider said the session on {day} was done",
    "confirmed": "The session on {day} was confirmed and paid",
    "paid": "The session on {day} was paid",
    "disputed": "A problem was reported with the session on {day}",
    "cancelled": "The session on {day} was cancelled",
}


def event_words(
    event: BookingEvent,
    booking: Booking,
    actor_name: str | None,
    decided_pence: int | None = None,
) -> str:
    """One line of a booking's history, in plain words (no state names). `decided_pence`: for a
    decision on a dispute, what it paid the provider."""
    if event.occurrence_id is None:
        if event.to_state == "cancelled_by_holder":
            return f"Cancelled by {actor_name}" if actor_name else "Cancelled"
        if event.to_state == "accepted" and any(
            o.state.value == "accepted" for o in booking.offers
        ):
            return "The new price was accepted: booking agreed"
        return _BOOKING_MOVES.get(event.to_state, BOOKING_STATE_WORDS.get(event.to_state, ""))
    session = next((o for o in booking.occurrences if o.id == event.occurrence_id), None)
    day = session.starts_at.astimezone(LONDON).strftime("%-d %B") if session else "one day"
    if event.to_state == "confirmed" and event.actor_id is None:
        return f"The session on {day} was confirmed after 7 days with no reply, and paid"
    if event.from_state == "disputed":
        if decided_pence is not None and session is not None:
            outcome = decided_outcome(decided_pence, session.price_pence)
        elif event.to_state == "confirmed":
            outcome = "the provider was paid"
        else:
            outcome = "the money went back to the budget"
        return f"The problem with the session on {day} was decided: {outcome}"
    return _SESSION_MOVES.get(event.to_state, "{day}").format(day=day)


# What a request asks for, as the provider's inbox and home show it.

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Asked:
    """A request in a provider's words: who, which days, what times, how long, for how much."""

    client: str
    dates: str
    times: str
    hours: str
    price_pence: int
    price_per: str  # "" for a one-off's total, "a week" for a rota


def clock_words(at: time) -> str:
    """9am, 9:30am, 12pm: the time as people write it."""
    text = at.strftime("%-I:%M%p").replace(":00", "")
    return text.replace("AM", "am").replace("PM", "pm")


def _hours(minutes: int) -> str:
    hours = f"{minutes / 60:g}"
    return f"{hours} hour" if hours == "1" else f"{hours} hours"


def asked(booking: Booking, session_price: Callable[[int], int]) -> Asked:
    """What a request asks for. `session_price` prices a session of so many minutes at the
    booking's price."""
    slots = booking.slots
    one_off = booking.kind.value == "one_off"
    starts = booking.rota_starts_on
    if one_off:
        dates = f"{starts:%a %-d %b %Y}" if starts else ""
    else:
        days = " and ".join(f"{WEEKDAY_NAMES[s.weekday]}s" for s in slots)
        dates = f"{days}, every week from {starts:%-d %b %Y}" if starts else days
        if booking.rota_ends_on:
            dates += f" to {booking.rota_ends_on:%-d %b %Y}"
    times = "; ".join(
        ("" if one_off or len(slots) == 1 else f"{WEEKDAY_NAMES[s.weekday][:3]} ")
        + f"{clock_words(s.start_time)} to "
        + clock_words(_end(s.start_time, s.duration_minutes))
        for s in slots
    )
    lengths = sorted({s.duration_minutes for s in slots})
    hours = ", ".join(_hours(m) for m in lengths) + ("" if one_off else " each time")
    price = sum(session_price(s.duration_minutes) for s in slots)
    return Asked(
        client=first_name(booking.holder.full_name),
        dates=dates,
        times=times,
        hours=hours,
        price_pence=price,
        price_per="" if one_off else "a week",
    )


def _end(start: time, minutes: int) -> time:
    return (datetime.combine(date.min, start) + timedelta(minutes=minutes)).time()
