"""What a session costs: by the hour, session or item, and block prices."""

from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from marketplace.bookings import schedule
from marketplace.directory.models import Listing, PriceUnit

# Prices.


def occurrence_price(unit_price_pence: int, unit: PriceUnit, minutes: int) -> int:
    """What one session costs: hourly prices by the minute, rounded half up to a penny."""
    if unit != PriceUnit.HOUR:
        return unit_price_pence
    return int((Decimal(unit_price_pence) * minutes / 60).to_integral_value(ROUND_HALF_UP))


def block_unit_price(listing: Listing, shifts: list[schedule.Shift]) -> int:
    """The unit price for a booking of these shifts (its whole length): the listing's price,
    or less when the booking holds whole blocks ("10 for the price of 8"). Units are hours
    for an hourly price, otherwise sessions; every whole block is charged as its paid units
    and the rest at the full price, spread evenly over the units and rounded down to a
    penny, so the holder never pays more than the block price."""
    price, quantity, paid = listing.price_pence, listing.block_quantity, listing.block_pays_for
    if not quantity or not paid or not shifts:
        return price
    if listing.price_unit == PriceUnit.HOUR:
        units = Decimal(sum(shift.minutes for shift in shifts)) / 60
    else:
        units = Decimal(len(shifts))
    blocks = int(units // quantity)
    if not blocks:
        return price
    charged = units - blocks * quantity + blocks * paid
    return int((Decimal(price) * charged / units).to_integral_value(ROUND_FLOOR))


def hourly_rate(unit_price_pence: int, unit: PriceUnit) -> int | None:
    return unit_price_pence if unit == PriceUnit.HOUR else None


def describe(shift: schedule.Shift) -> str:
    """'4 hours on Tue 3 Mar' in London time, as statements say it."""
    local = shift.starts_at.astimezone(schedule.LONDON)
    hours = Decimal(shift.minutes) / 60
    amount = f"{hours.normalize():f}" if hours == hours.to_integral() else f"{hours:.2f}"
    unit = "hour" if hours == 1 else "hours"
    return f"{amount} {unit} on {local:%a %-d %b}"
