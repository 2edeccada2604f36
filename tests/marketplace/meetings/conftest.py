"""First meetings use the bookings' small world: a council, a holder with a funded pot, a PA."""

from tests.marketplace.bookings.conftest import world

__all__ = ["world"]
