"""The listing editor: a provider's listings, their weekly times and days off."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.directory.cqc import age_groups_from_bands
from marketplace.directory.models import (
    AgeGroup,
    DeliveryMode,
    Listing,
    PriceUnit,
    Provider,
    WorkerGender,
    sorted_age_groups,
)
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.sent_forms import once_per_form
from provider_onboarding import listings
from provider_onboarding.forms import AvailabilityForm, ExceptionForm, ListingForm
from provider_onboarding.views.blueprint import bp
from provider_onboarding.views.common import add_weekly_time, listings_weekdays, my_provider, today


def _listing_form(provider: Provider, listing: Listing | None = None) -> ListingForm:
    form = ListingForm(obj=listing)
    form.category_ids.choices = [SelectChoice(c.id, c.name) for c in listings.all_categories()]
    if listing is None and request.method == "GET":
        # A new listing starts from the service user bands of the provider's CQC registration.
        form.age_groups.data = [g.value for g in age_groups_from_bands(provider.cqc_specialisms)]
    if listing is not None and request.method == "GET":
        form.category_ids.data = [c.id for c in listing.categories]
        form.price.data = listing.price_pence
        form.price_unit.data = listing.price_unit.value
        form.delivery_mode.data = listing.delivery_mode.value
        form.worker_gender.data = listing.worker_gender.value if listing.worker_gender else ""
        form.languages.data = ", ".join(listing.languages)
        form.age_groups.data = sorted_age_groups(listing.age_groups)
        form.cancellation_charge_percent.data = listing.cancellation_charge_bps // 100
    return form


def _listing_details(form: ListingForm) -> listings.ListingDetails:
    gender = form.worker_gender.data or None
    return listings.ListingDetails(
        title=form.stripped("title"),
        description=form.stripped("description"),
        category_ids=list(form.category_ids.data or []),
        price_pence=form.price.pence,
        price_unit=PriceUnit(form.price_unit.data),
        block_quantity=form.block_quantity.data,
        block_pays_for=form.block_pays_for.data,
        delivery_mode=DeliveryMode(form.delivery_mode.data),
        postcode=form.stripped("postcode") or None,
        travel_radius_miles=form.travel_radius_miles.data,
        venue_address=form.stripped("venue_address") or None,
        languages=(form.languages.data or "").split(","),
        worker_gender=WorkerGender(gender) if gender else None,
        accessibility_notes=form.stripped("accessibility_notes") or "",
        cancellation_notice_hours=form.cancellation_notice_hours.data or 0,
        cancellation_charge_bps=(form.cancellation_charge_percent.data or 0) * 100,
        works_bank_holidays=bool(form.works_bank_holidays.data),
        age_groups=[AgeGroup(value) for value in form.age_groups.data or []],
    )


@bp.route("/listings/new", methods=["GET", "POST"])
@roles_required(Role.PROVIDER)
@once_per_form
def new_listing() -> str | Response | tuple[str, int]:
    provider = my_provider()
    form = _listing_form(provider)
    if form.validate_on_submit():
        try:
            item = listings.create_listing(provider, _listing_details(form), current_user)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            flash("Your listing is saved as a draft.", "success")
            return redirect(url_for("provider_onboarding.availability", listing_id=item.id))
    status = 400 if form.errors else 200
    return render_template("provider_onboarding/listing_form.html", form=form, listing=None), status


@bp.route("/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@roles_required(Role.PROVIDER)
def edit_listing(listing_id: int) -> str | Response | tuple[str, int]:
    item = _my_listing(listing_id)
    if request.method == "POST":
        # Of two saves at once, the second waits for the first and compares with what it saved.
        db.session.refresh(item, with_for_update=True)
    form = _listing_form(item.provider, item)
    if form.validate_on_submit():
        try:
            listings.update_listing(item, _listing_details(form), current_user)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            flash("Your listing is saved.", "success")
            return redirect(url_for("provider_onboarding.dashboard"))
    status = 400 if form.errors else 200
    return render_template("provider_onboarding/listing_form.html", form=form, listing=item), status


def _my_listing(listing_id: int) -> Listing:
    return listings.listing_of(my_provider(), listing_id)


@bp.get("/listings/<int:listing_id>/availability")
@roles_required(Role.PROVIDER)
def availability(listing_id: int) -> str:
    item = _my_listing(listing_id)
    return _availability_page(item, AvailabilityForm(), ExceptionForm(prefix="off"))[0]


def _availability_page(
    item: Listing,
    rule_form: AvailabilityForm,
    off_form: ExceptionForm,
    failed: object = None,
    booked: list[listings.BookedSession] | None = None,
) -> tuple[str, int]:
    html = render_template(
        "provider_onboarding/availability.html",
        listing=item,
        rule_form=rule_form,
        off_form=off_form,
        form=failed,
        weekdays=listings_weekdays(),
        block_price=listings.block_price_pence(item),
        booked=booked or [],
    )
    return html, 400 if failed is not None else 200


@bp.post("/listings/<int:listing_id>/availability")
@roles_required(Role.PROVIDER)
def add_availability(listing_id: int) -> str | Response | tuple[str, int]:
    item = _my_listing(listing_id)
    form = AvailabilityForm()
    added = add_weekly_time(
        form,
        lambda day, start, end: listings.add_rule(item, day, start, end),
        url_for("provider_onboarding.availability", listing_id=item.id),
    )
    if added is not None:
        return added
    return _availability_page(item, form, ExceptionForm(prefix="off", formdata=None), failed=form)


@bp.post("/listings/<int:listing_id>/availability/<int:rule_id>/delete")
@roles_required(Role.PROVIDER)
def remove_availability(listing_id: int, rule_id: int) -> Response:
    item = _my_listing(listing_id)
    listings.remove_rule(item, rule_id)
    return redirect(url_for("provider_onboarding.availability", listing_id=item.id))


@bp.post("/listings/<int:listing_id>/days-off")
@roles_required(Role.PROVIDER)
def add_days_off(listing_id: int) -> str | Response | tuple[str, int]:
    item = _my_listing(listing_id)
    form = ExceptionForm(prefix="off")
    if form.validate_on_submit():
        starts_on, ends_on = form.starts_on.data, form.ends_on.data
        assert starts_on is not None and ends_on is not None  # the form requires both
        booked = listings.sessions_booked_between(item, starts_on, ends_on)
        if booked and form.confirmed.data != "yes":
            form.confirmed.data = "yes"
            return _availability_page(item, AvailabilityForm(formdata=None), form, booked=booked)
        try:
            listings.add_exception(item, starts_on, ends_on, form.reason.data or "", today())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            flash(_days_off_added(booked), "success")
            return redirect(url_for("provider_onboarding.availability", listing_id=item.id))
    return _availability_page(item, AvailabilityForm(formdata=None), form, failed=form)


def _days_off_added(booked: list[listings.BookedSession]) -> str:
    if not booked:
        return "Days off added."
    if len(booked) == 1:
        return (
            "Days off added. 1 booked session is still on those days: cancel or move it from "
            "your bookings, and tell the person booked."
        )
    return (
        f"Days off added. {len(booked)} booked sessions are still on those days: cancel or "
        "move them from your bookings, and tell the people booked."
    )


@bp.post("/listings/<int:listing_id>/days-off/<int:exception_id>/delete")
@roles_required(Role.PROVIDER)
def remove_days_off(listing_id: int, exception_id: int) -> Response:
    item = _my_listing(listing_id)
    listings.remove_exception(item, exception_id)
    return redirect(url_for("provider_onboarding.availability", listing_id=item.id))


@bp.post("/listings/<int:listing_id>/publish")
@roles_required(Role.PROVIDER)
def publish_listing(listing_id: int) -> Response:
    item = _my_listing(listing_id)
    try:
        listings.publish(item, current_user, today())
    except listings.NoWeeklyTimes as error:
        flash(error.message, "error")  # shown on the page where the times are added
        return redirect(url_for("provider_onboarding.availability", listing_id=item.id))
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(f"‘{item.title}’ is published.", "success")
    return redirect(url_for("provider_onboarding.dashboard"))


@bp.post("/listings/<int:listing_id>/unpublish")
@roles_required(Role.PROVIDER)
def unpublish_listing(listing_id: int) -> Response:
    item = _my_listing(listing_id)
    listings.unpublish(item, current_user)
    flash(f"‘{item.title}’ is hidden from the public.", "success")
    return redirect(url_for("provider_onboarding.dashboard"))
