"""What every page shares: the home page, security headers, error pages, template helpers."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import Blueprint, Flask, Response, g, redirect, render_template, request, url_for
from flask.globals import request_ctx
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import Conflict, Forbidden, HTTPException
from werkzeug.exceptions import NotFound as PageNotFound
from werkzeug.wrappers import Response as BaseResponse

from marketplace import sent_forms, transactions
from marketplace.clock import LONDON
from marketplace.directory.services import hhmm_until
from marketplace.errors import NoAccess, NotAllowed
from marketplace.extensions import db
from marketplace.money import format_pence

SERVICE_NAME = "Care marketplace"

bp = Blueprint("main", __name__)


@bp.get("/")
def home() -> str:
    from marketplace.directory.models import Category, Listing, ListingStatus, Provider

    categories = db.session.scalars(select(Category).order_by(Category.position, Category.id)).all()
    counts = {
        "providers": db.session.scalar(select(func.count(Provider.id))) or 0,
        "listings": db.session.scalar(
            select(func.count(Listing.id)).where(Listing.status == ListingStatus.PUBLISHED)
        )
        or 0,
    }
    return render_template("main/home.html", categories=categories, counts=counts)


@bp.get("/dashboard")
def dashboard() -> BaseResponse:
    """Send each signed-in person to the dashboard of their role."""
    from marketplace.accounts.models import Role

    if not current_user.is_authenticated:
        return redirect(url_for("accounts.sign_in", next=request.path))
    targets = {
        Role.HOLDER: "bookings.holder_dashboard",
        Role.REPRESENTATIVE: "bookings.holder_dashboard",
        Role.PROVIDER: "provider_onboarding.dashboard",
        Role.COMMISSIONER: "commissioning.dashboard",
        Role.ADMIN: "admin.dashboard",
    }
    return redirect(url_for(targets[current_user.role]))


@bp.get("/favicon.ico")
def favicon() -> BaseResponse:
    """Browsers ask for /favicon.ico whatever the page links; send them to the real icon."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.get("/accessibility")
def accessibility() -> str:
    return render_template("main/accessibility.html")


@bp.get("/data-sources")
def data_sources() -> str:
    return render_template("main/data_sources.html")


MAX_PAGE = 100_000  # no list is this long; a larger number is nonsense, not a page


def page_number() -> int:
    """The page of a paginated list the request asks for; 1 when missing or nonsense, and never
    more than MAX_PAGE (a page past the end shows the list's empty state)."""
    text = request.args.get("page", "")
    if not (text.isascii() and text.isdigit()):
        return 1
    return min(max(1, int(text[:7])), MAX_PAGE)


def london_time(value: datetime | None, fmt: str = "%-d %B %Y at %-I:%M%p") -> str:
    """Show a stored UTC time in Europe/London, as people in England read it."""
    if value is None:
        return ""
    text = value.astimezone(LONDON).strftime(fmt)
    return text.replace("AM", "am").replace("PM", "pm")


def _security_headers(response: Response) -> Response:
    nonce = g.get("csp_nonce", "")
    # Only the card payment page loads Stripe.js, its card frame and Stripe's API.
    stripe = g.get("csp_allows_stripe", False)
    scripts = " https://js.stripe.com" if stripe else ""
    frames = "frame-src https://js.stripe.com https://hooks.stripe.com; " if stripe else ""
    connect = " https://api.stripe.com" if stripe else ""
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'{scripts}; {frames}"
        f"style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'{connect}; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if current_user and current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
    return response


def _error_page(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    if request_ctx.url_adapter is None:  # a Host we do not serve: no page can link from it
        return f"{code} {error.name}", code
    template = code if code in (400, 403, 404, 405, 429) else "generic"
    return render_template(f"errors/{template}.html", error=error, code=code), code


def _no_access(error: NoAccess) -> tuple[str, int]:
    """A service said this person may not have the object: the 403 or 404 page, for every view."""
    return _error_page(Forbidden() if isinstance(error, NotAllowed) else PageNotFound())


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    return render_template("errors/csrf.html", error=error), 400


SENT_TWICE = (
    "This was sent twice, or someone changed it at the same moment. The first one was saved. "
    "Go back and check it before you try again."
)


def _sent_twice(error: IntegrityError) -> tuple[str, int]:
    """Two requests made the same thing at once (a double click, two tabs) and a unique
    constraint kept only the first: the second person is told so, with a 409, not a 500."""
    db.session.rollback()
    if not _unique_violation(error):
        raise error
    return _error_page(Conflict(SENT_TWICE))


def _unique_violation(error: IntegrityError) -> bool:
    code = getattr(error.orig, "sqlstate", None)  # PostgreSQL (psycopg)
    return code == "23505" or "UNIQUE constraint failed" in str(error.orig)  # or SQLite


def _server_error(error: Exception) -> tuple[str, int]:
    db.session.rollback()
    return render_template("errors/500.html"), 500


def duration(minutes: int) -> str:
    """90 -> '1.5 hours', 60 -> '1 hour', 30 -> '30 minutes': a length as people say it."""
    if minutes < 60:
        return f"{minutes} minute" + ("" if minutes == 1 else "s")
    hours = f"{minutes / 60:.2f}".rstrip("0").rstrip(".")
    return f"{hours} hour" + ("" if hours == "1" else "s")


def init_app(app: Flask) -> None:
    @app.before_request
    def _nonce() -> None:
        g.csp_nonce = secrets.token_urlsafe(16)
        g.pop("csp_allows_stripe", None)  # set again only by the page that needs Stripe.js

    app.after_request(_security_headers)
    transactions.one_commit_per_request(app)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(NoAccess, _no_access)
    app.register_error_handler(IntegrityError, _sent_twice)
    app.register_error_handler(HTTPException, _error_page)
    app.register_error_handler(500, _server_error)

    app.jinja_env.filters["pounds"] = format_pence
    app.jinja_env.filters["london_time"] = london_time
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["until"] = hhmm_until
    app.jinja_env.globals["service_name"] = SERVICE_NAME
    app.jinja_env.globals["url_rules"] = app.view_functions
    app.jinja_env.globals["govukRebrand"] = False  # our own header and look, not GOV.UK branding
    app.jinja_env.globals["csp_nonce"] = lambda: g.get("csp_nonce", "")
    app.jinja_env.globals["form_key"] = sent_forms.form_key
