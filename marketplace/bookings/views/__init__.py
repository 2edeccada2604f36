"""Bookings pages: request, the booking and its sessions, the provider's inbox, calendars, reviews.

Every state change is a POST with CSRF, checked against the booking in the service. Importing
the rooms registers their routes on the one blueprint.
"""

from marketplace.bookings.views import (  # noqa: F401  (each room registers its routes)
    booking,
    calendars,
    requesting,
    reviews,
    sessions,
)
from marketplace.bookings.views.blueprint import bp

__all__ = ["bp"]
