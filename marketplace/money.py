"""Money is integer pence inside the application, GBP only.

`Decimal` appears only when parsing what a person typed; Babel formats for display.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency

CURRENCY = "GBP"
LOCALE = "en_GB"
MAX_PENCE = 100_000_000_00  # £100 million: far beyond any single amount the service handles


class MoneyError(ValueError):
    """What a person typed is not an amount of money. The message can be shown to them."""


# Pounds as people in England write them: plain digits (0-9 only) or thousands in groups of
# three with commas, then at most one decimal point. No exponents, underscores or other digits.
POUNDS = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+")


class AmountTooLarge(MoneyError):
    """The amount is beyond anything the service handles."""


def parse_pounds(text: str, what: str = "amount") -> int:
    """Turn '£1,234.50' or '12' into pence. Raises MoneyError with a message fit to show, naming
    the field as `what` ('amount', 'price'); AmountTooLarge beyond any amount we handle."""
    a_what = f"{'an' if what[:1] in 'aeiou' else 'a'} {what}"
    cleaned = text.strip().removeprefix("£").strip()
    if not cleaned:
        raise MoneyError(f"Enter {a_what} in pounds, for example 12.50")
    if cleaned.startswith("-") and POUNDS.fullmatch(cleaned[1:].lstrip("£").strip()):
        raise MoneyError(f"{what.capitalize()} must not be negative")
    if not POUNDS.fullmatch(cleaned):
        raise MoneyError(f"Enter {a_what} in pounds and pence, like 12.50")
    try:
        amount = Decimal(cleaned.replace(",", ""))
    except InvalidOperation:
        raise MoneyError(f"Enter {a_what} in pounds and pence, like 12.50") from None
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise MoneyError(f"{what.capitalize()} must not have more than 2 decimal places")
    pence = int(amount * 100)
    if pence > MAX_PENCE:
        raise AmountTooLarge(f"{what.capitalize()} is too large")
    return pence


def format_pence(pence: int, *, show_zero_pence: bool = True) -> str:
    """Format pence as pounds for people: 123450 -> '£1,234.50'."""
    if not isinstance(pence, int) or isinstance(pence, bool):
        raise TypeError("amounts are integer pence")
    pounds = Decimal(pence) / 100
    if not show_zero_pence and pence % 100 == 0:
        return format_currency(
            pounds, CURRENCY, locale=LOCALE, format="¤#,##0", currency_digits=False
        )
    return format_currency(pounds, CURRENCY, locale=LOCALE)


def pounds_text(pence: int) -> str:
    """Pence as a person types pounds into a box: 1600 -> '16.00' (no £, no commas)."""
    if not isinstance(pence, int) or isinstance(pence, bool):
        raise TypeError("amounts are integer pence")
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    return f"{sign}{whole}.{part:02d}"


def apply_basis_points(pence: int, bps: int) -> int:
    """A share in basis points, rounded half down to whole pence (in the payer's favour)."""
    share = Decimal(pence) * bps / 10_000
    return int(share.to_integral_value(rounding="ROUND_HALF_DOWN"))
