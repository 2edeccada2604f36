"""Bookings from request to payment. Every move goes through states.move_*; money through payments.

Services take plain arguments, check who may act on this booking, flush and never commit. The
rooms: parties (who is acting), prices, requests, answers (accept, decline, offers, rotas),
sessions (cancel, deliver, confirm, dispute).
"""

from marketplace.bookings.services.answers import (
    accept,
    answer_offer,
    bookings_ahead,
    clashes,
    decline,
    expire_due,
    extend_rotas,
    free_for,
    offer,
    workers_of,
)
from marketplace.bookings.services.free_times import FreeTime, nearest_free
from marketplace.bookings.services.parties import (
    CONFIRM_WITHIN,
    HOLD_AHEAD_DAYS,
    config,
    require,
    side_of,
)
from marketplace.bookings.services.prices import (
    block_unit_price,
    describe,
    hourly_rate,
    occurrence_price,
)
from marketplace.bookings.services.refusals import standing_refusal
from marketplace.bookings.services.requests import (
    Quote,
    Request,
    block_price_for,
    planned_shifts,
    projected_run_out,
    quote,
    request_booking,
    request_of,
)
from marketplace.bookings.services.sessions import (
    Decision,
    NotDisputed,
    amount_due,
    auto_confirm,
    cancel_by_holder,
    cancel_by_provider,
    confirm,
    decision_of,
    decisions,
    dispute,
    mark_delivered,
    resolve_dispute,
)

__all__ = [
    "CONFIRM_WITHIN",
    "Decision",
    "FreeTime",
    "HOLD_AHEAD_DAYS",
    "NotDisputed",
    "Quote",
    "Request",
    "accept",
    "amount_due",
    "answer_offer",
    "auto_confirm",
    "block_price_for",
    "block_unit_price",
    "bookings_ahead",
    "cancel_by_holder",
    "cancel_by_provider",
    "clashes",
    "config",
    "confirm",
    "decision_of",
    "decisions",
    "decline",
    "describe",
    "dispute",
    "expire_due",
    "extend_rotas",
    "free_for",
    "hourly_rate",
    "mark_delivered",
    "occurrence_price",
    "nearest_free",
    "offer",
    "planned_shifts",
    "projected_run_out",
    "quote",
    "request_booking",
    "request_of",
    "require",
    "resolve_dispute",
    "side_of",
    "standing_refusal",
    "workers_of",
]
