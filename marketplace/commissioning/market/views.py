"""The market gap report pages and their CSV exports.

The period comes from the query string: `from` and `to` as ISO dates (what links and CSV
addresses use) or as GOV.UK date boxes (`from-day`, `from-month`, `from-year`, the same for
`to`, what the page's form sends). No period means the last 12 weeks.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role, Tenant
from marketplace.clock import london_today
from marketplace.commissioning.market import export, rules
from marketplace.commissioning.market.charts import (
    categories_chart,
    concentration_chart,
    gaps_chart,
    prices_chart,
    trend_chart,
)
from marketplace.commissioning.market.facts import MarketFacts
from marketplace.commissioning.market.periods import Period, ReportError, default_period, period_for
from marketplace.commissioning.market.tables import (
    by_category,
    concentration,
    overview,
    price_bands,
    top_gaps,
    trend,
)
from marketplace.web import page_number

bp = Blueprint("market", __name__, url_prefix="/commissioning/market")

CELLS_PER_PAGE = 100
FIELD_NAMES = {"from": "the date the report starts from", "to": "the date the report runs to"}


def read_date(args: MultiDict[str, str], name: str) -> date | None:
    """A date from `name` (ISO) or from its three boxes. None when nothing was given; raises
    ReportError when what was given is not a real date."""
    what = FIELD_NAMES[name]
    iso = args.get(name, "").strip()
    if iso:
        try:
            return date.fromisoformat(iso)
        except ValueError:
            raise ReportError(f"Enter {what} as a real date, like 2026-06-01", field=name) from None
    boxes = [args.get(f"{name}-{part}", "").strip() for part in ("day", "month", "year")]
    if not any(boxes):
        return None
    if not all(boxes):
        missing = [
            part for part, box in zip(("day", "month", "year"), boxes, strict=True) if not box
        ]
        raise ReportError(f"{what.capitalize()} must include a {missing[0]}", field=name)
    try:
        day, month, year = (int(box) for box in boxes)
        if year < 1000:
            raise ValueError
        return date(year, month, day)
    except ValueError:
        raise ReportError(
            f"{what.capitalize()} must be a real date, like 1 6 2026", field=name
        ) from None


def period_from_request() -> Period:
    """The period asked for in the query string. Raises ReportError with the field it is about."""
    return period_for(
        read_date(request.args, "from"), read_date(request.args, "to"), london_today()
    )


def _tenant() -> Tenant:
    tenant: Tenant | None = current_user.tenant
    if tenant is None:
        abort(403)
    return tenant


def _boxes(name: str, fallback: date) -> dict[str, str]:
    """What the date boxes show: what was typed in them, else the date given as ISO (or
    nothing when that is not a date), else the period's date."""
    typed = {part: request.args.get(f"{name}-{part}", "") for part in ("day", "month", "year")}
    if any(typed.values()):
        return typed
    iso = request.args.get(name, "").strip()
    if iso:
        try:
            fallback = date.fromisoformat(iso)
        except ValueError:
            return {"day": "", "month": "", "year": ""}
    return {"day": str(fallback.day), "month": str(fallback.month), "year": str(fallback.year)}


@bp.get("/")
@roles_required(Role.COMMISSIONER)
def report() -> tuple[str, int]:
    tenant = _tenant()
    shown = default_period(london_today())
    try:
        period = period_from_request()
    except ReportError as error:
        html = render_template(
            "commissioning/market.html",
            tenant=tenant,
            error=error,
            period=None,
            boxes={"from": _boxes("from", shown.start), "to": _boxes("to", shown.end)},
            rules=rules,
        )
        return html, 400
    facts = MarketFacts(tenant, period)
    gaps = top_gaps(facts)
    categories = by_category(facts)
    prices = price_bands(facts)
    spread = concentration(facts)
    weeks = trend(facts)
    tables = {
        "overview": export.table("overview", facts),
        "gaps": export.table("gaps", facts, gaps),
        "categories": export.table("categories", facts, categories),
        "areas": export.table("areas", facts),
        "times": export.table("times", facts),
        "prices": export.table("prices", facts, prices),
        "concentration": export.table("concentration", facts, spread),
        "unspent": export.table("unspent", facts),
        "waiting": export.table("waiting", facts),
        "trend": export.table("trend", facts, weeks),
    }
    totals = overview(facts)
    has_demand = bool(totals[0].value or totals[3].value)
    charts = {
        "gaps": gaps_chart(gaps) if gaps else None,
        "categories": categories_chart(categories) if has_demand else None,
        "prices": prices_chart(prices) if prices else None,
        "concentration": concentration_chart(spread) if spread else None,
        "trend": trend_chart(weeks) if has_demand else None,
    }
    html = render_template(
        "commissioning/market.html",
        tenant=tenant,
        error=None,
        period=period,
        boxes={"from": _boxes("from", period.start), "to": _boxes("to", period.end)},
        tables=tables,
        charts=charts,
        has_demand=has_demand,
        rules=rules,
    )
    return html, 200


@bp.get("/cells")
@roles_required(Role.COMMISSIONER)
def cells() -> tuple[str, int]:
    tenant = _tenant()
    try:
        period = period_from_request()
    except ReportError as error:
        return render_template("commissioning/market_cells.html", error=error, period=None), 400
    full = export.table("cells", MarketFacts(tenant, period))
    pages = max(1, -(-len(full.rows) // CELLS_PER_PAGE))
    page = min(page_number(), pages)
    shown = export.Table(
        full.name,
        full.title,
        full.columns,
        full.rows[(page - 1) * CELLS_PER_PAGE : page * CELLS_PER_PAGE],
    )
    html = render_template(
        "commissioning/market_cells.html",
        error=None,
        period=period,
        table=shown,
        total=len(full.rows),
        page=page,
        pages=pages,
    )
    return html, 200


@bp.get("/<table>.csv")
@roles_required(Role.COMMISSIONER)
def csv_table(table: str) -> Response:
    tenant = _tenant()
    if table not in export.TABLES:
        abort(404)
    try:
        period = period_from_request()
    except ReportError as error:
        return Response(error.message + "\n", 400, mimetype="text/plain")
    found = export.table(table, MarketFacts(tenant, period))
    filename = f"market-{table}-{period.start.isoformat()}-to-{period.end.isoformat()}.csv"
    return Response(
        found.csv_text(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
