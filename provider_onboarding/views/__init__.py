"""The provider's pages and the commissioner's verification queue: one blueprint
(`blueprint.py`), its routes in rooms by who uses them. Importing a room registers its routes."""

from provider_onboarding.views import (  # noqa: F401  (each room adds its routes to bp)
    bank_details,
    bulk_import,
    checks,
    details,
    listing_editor,
    registration,
    team,
    verification_queue,
)
from provider_onboarding.views.blueprint import bp

__all__ = ["bp"]
