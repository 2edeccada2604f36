"""What the provider's pages share: today's date, the provider the signed-in person acts for,
the weekday names, and adding a weekly time to a listing or a worker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time

from flask import abort, flash, redirect
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.clock import london_today
from marketplace.directory.models import Provider
from provider_onboarding import services
from provider_onboarding.forms import AvailabilityForm


def today() -> date:
    """Today in London: the date checks, listings and workers are judged on."""
    return london_today()


def my_provider() -> Provider:
    """The provider the signed-in person acts for; the 404 page when they act for none."""
    provider = services.provider_for_member(current_user)
    if provider is None:
        abort(404)
    return provider


def listings_weekdays() -> tuple[str, ...]:
    """The weekday names, Monday first, that the weekly-time forms offer."""
    from marketplace.directory.services import WEEKDAYS

    return WEEKDAYS


def _time(text: str) -> time:
    return time.fromisoformat(text)


def add_weekly_time(
    form: AvailabilityForm, add: Callable[[int, time, time], object], done_url: str
) -> Response | None:
    """Add the weekly time the form sends (to a listing or a worker) and redirect to `done_url`;
    None when the form was not sent or was refused (its errors are on the form)."""
    if not form.carry_out(
        lambda: add(form.weekday.data, _time(form.start_time.data), _time(form.end_time.data))
    ):
        return None
    flash("Time added.", "success")
    return redirect(done_url)
