"""Public pages of the directory: a listing and a provider."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from marketplace.clock import london_today
from marketplace.directory import services

bp = Blueprint("directory", __name__)


@bp.get("/listings/<int:listing_id>")
def listing(listing_id: int) -> str:
    item = services.visible_listing(listing_id, current_user)
    today = london_today()
    return render_template(
        "directory/listing.html",
        listing=item,
        provider=item.provider,
        is_preview=not services.listing_is_public(item),
        bookable=services.listing_is_bookable(item),
        availability=services.weekly_availability(item),
        holidays=services.upcoming_exceptions(item, today),
        cancellation=services.cancellation_terms(item),
        area=services.outcode(item.postcode),
    )


@bp.get("/providers/<int:provider_id>")
def provider(provider_id: int) -> str:
    item = services.visible_provider(provider_id, current_user)
    return render_template(
        "directory/provider.html",
        provider=item,
        listings=services.published_listings(item),
        address=services.public_address(item),
        cqc_url=services.cqc_url(item),
    )
