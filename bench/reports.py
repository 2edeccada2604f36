"""Market gap report at scale: 1,000,000 search events and 100,000 bookings, then the time of
the full report (every table) for 12 weeks and for a year, before and after the daily roll-up.

    PYTHONPATH=. .venv/bin/python bench/reports.py [--events N] [--bookings N] [--database-url URL]
    scripts/with-postgres.sh sh -c \
        'PYTHONPATH=. .venv/bin/python bench/reports.py --database-url "$TEST_DATABASE_URL"'

Builds a fresh database from the migrations (a temporary SQLite file unless a URL is given) and
bulk-loads, with COPY on PostgreSQL (executemany in batches on SQLite), two councils' worth of
rows: the care taxonomy, 1,200 providers with 6,000 listings (1 or 2 kinds each, availability
windows, districts around Oldham), 12,000 budget holders with pots and available balances,
bookings with their shifts (and provider cancellations with their events) and settled holds
over the last year, and search events over the last year (30 % by people signed in to the
reported council, 10 % to the other, 60 % by people not signed in, who count for the council
whose area their district is in). Then it times, for the reported council:

  - the report read live from search_events (no roll-up yet), 12 weeks and a year;
  - `reports rollup` over the whole year (done once; later runs only add the new day);
  - the report again, from the roll-up plus today's live events, 12 weeks and a year;
  - the page /commissioning/market/ itself (queries, tables, charts, HTML), 12 weeks and a year.

Each timing is the median of 3 runs after one warm-up. Prints figures; never fails on a timing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

from flask_migrate import upgrade
from sqlalchemy import Table, bindparam, insert, text

from marketplace import create_app
from marketplace.accounts.models import Role, Tenant, TenantArea, TenantKind, User
from marketplace.bookings.models import Booking, BookingEvent, RotaSlot
from marketplace.clock import london_today
from marketplace.commissioning.market.areas import area_outcodes
from marketplace.commissioning.market.export import report
from marketplace.commissioning.market.periods import Period, default_period
from marketplace.commissioning.market.rollup import rollup
from marketplace.directory.models import (
    AvailabilityRule,
    Category,
    Listing,
    Provider,
    listing_categories,
)
from marketplace.directory.taxonomy import load_taxonomy
from marketplace.extensions import db
from marketplace.payments.models import Hold, LedgerAccount, Pot
from marketplace.search import geo
from marketplace.search.models import SearchEvent

TARGET_SECONDS = 2.0
PROVIDERS = 1_200
LISTINGS = 6_000
HOLDERS = 12_000
BATCH = 20_000
# Who made the search events: people signed in to the reported council, to the other one, and
# (the rest, 60 %) people not signed in.
REPORTED_SHARE = 0.3
OTHER_SHARE = 0.1
PASSWORD = "bench password 1"


def machine() -> str:
    memory = "?"
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            kb = int(handle.readline().split()[1])
        memory = f"{kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    cpu = platform.processor() or platform.machine()
    try:
        model = subprocess.run(
            ["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        cpu = model or cpu
    except OSError:
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"{nproc} CPUs (nproc), {memory}, {cpu}, {platform.machine()}, {python}"


# Loading


def bulk(table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert rows fast: COPY on PostgreSQL, executemany in batches elsewhere."""
    connection = db.session.connection()
    count = 0
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        names = ", ".join(columns)
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([json.dumps(v) if isinstance(v, list | dict) else v for v in row])
                count += 1
        return count
    batch: list[dict[str, Any]] = []
    statement = insert(table)
    for row in rows:
        batch.append(dict(zip(columns, row, strict=True)))
        if len(batch) >= BATCH:
            connection.execute(statement, batch)
            count += len(batch)
            batch = []
    if batch:
        connection.execute(statement, batch)
        count += len(batch)
    return count


def reset_sequences() -> None:
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        if "id" in table.c and table.c.id.autoincrement is not False:
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)"
                )
            )


def nearby_outcodes(count: int) -> list[str]:
    home = geo.locate("OL1").point
    known = geo.outcodes()  # the shipped ONS centroids
    return sorted(known, key=lambda o: geo.miles_between(home, known[o]))[:count]


def load(events: int, bookings: int, today: date, seed: int = 7) -> Tenant:
    rng = random.Random(seed)
    now = datetime.combine(today, clock_time(12), tzinfo=UTC)
    year_ago = now - timedelta(days=365)

    def moment() -> datetime:
        return year_ago + timedelta(seconds=rng.randrange(365 * 86_400))

    tenant = Tenant(name="Oldham Council", kind=TenantKind.COUNCIL)
    tenant.areas = [TenantArea(gss_code="E08000004", name="Oldham")]
    other = Tenant(name="Rochdale Council", kind=TenantKind.COUNCIL)
    other.areas = [TenantArea(gss_code="E08000005", name="Rochdale")]
    db.session.add_all([tenant, other])
    load_taxonomy()
    db.session.flush()
    from werkzeug.security import generate_password_hash

    db.session.add(
        User(
            email="commissioner@bench.example",
            full_name="Bench Commissioner",
            role=Role.COMMISSIONER,
            tenant_id=tenant.id,
            password_hash=generate_password_hash(PASSWORD, method="scrypt"),
        )
    )
    db.session.flush()
    categories = [
        (c.id, c.slug, c.is_personal_assistance)
        for c in db.session.query(Category).order_by(Category.position)
    ]
    outcodes = nearby_outcodes(80)
    tenants = [tenant.id] * 5 + [other.id]

    stamp = now
    provider_tenant = [rng.choice(tenants) for _ in range(PROVIDERS)]
    bulk(
        Provider.__table__,
        ["id", "kind", "legal_name", "description", "postcode", "verification_status",
         "tenant_id", "is_demo", "cqc_service_types", "cqc_specialisms", "created_at",
         "updated_at"],
        (
            (
                n + 1,
                rng.choice(["CARE_AGENCY", "PERSONAL_ASSISTANT", "THERAPIST"]),
                f"Provider {n + 1} Ltd",
                "",
                f"{rng.choice(outcodes)} 1AA",
                "VERIFIED" if rng.random() < 0.8 else "PENDING",
                provider_tenant[n],
                False,
                [],
                [],
                stamp,
                stamp,
            )
            for n in range(PROVIDERS)
        ),
    )  # fmt: skip
    listing_rows = []
    for n in range(LISTINGS):
        provider = rng.randrange(PROVIDERS) + 1
        hourly = rng.random() < 0.85
        listing_rows.append(
            (
                n + 1, provider, f"Support {n + 1}", "Help at home.",
                rng.randrange(1400, 6000, 25) if hourly else rng.randrange(2000, 9000, 100),
                "HOUR" if hourly else "SESSION", "AT_HOME",
                f"{rng.choice(outcodes)} {rng.randrange(1, 9)}{rng.choice('AB')}{rng.choice('HJ')}",
                10, [], "", "PUBLISHED" if rng.random() < 0.9 else "DRAFT",
                24, 0, False, False, stamp, stamp,
            )
        )  # fmt: skip
    bulk(
        Listing.__table__,
        ["id", "provider_id", "title", "description", "price_pence", "price_unit",
         "delivery_mode", "postcode", "travel_radius_miles", "languages", "accessibility_notes",
         "status", "cancellation_notice_hours", "cancellation_charge_bps",
         "works_bank_holidays", "is_demo", "created_at", "updated_at"],
        listing_rows,
    )  # fmt: skip
    listing_cats: dict[int, list[int]] = {}
    pairs = []
    for n in range(LISTINGS):
        chosen = rng.sample(categories, rng.choice([1, 1, 2]))
        listing_cats[n + 1] = [c[0] for c in chosen]
        pairs += [(n + 1, c[0]) for c in chosen]
    bulk(listing_categories, ["listing_id", "category_id"], pairs)
    rules = []
    for n in range(LISTINGS):
        for weekday in rng.sample(range(7), rng.randrange(0, 6)):
            start = rng.randrange(6, 20)
            rules.append(
                (
                    n + 1,
                    weekday,
                    clock_time(start),
                    clock_time(min(23, start + rng.randrange(1, 9))),
                )
            )
    bulk(AvailabilityRule.__table__, ["listing_id", "weekday", "start_time", "end_time"], rules)

    # Budget holders, their pots and available balances.
    holder_tenant = [tenant.id if rng.random() < 0.85 else other.id for _ in range(HOLDERS)]
    first_user = 1000
    bulk(
        User.__table__,
        ["id", "email", "full_name", "role", "tenant_id", "active", "is_demo", "session_token",
         "created_at", "updated_at"],
        (
            (first_user + n, f"holder{n}@bench.example", f"Holder {n}", "HOLDER",
             holder_tenant[n], True, False, f"token-{n}", stamp, stamp)
            for n in range(HOLDERS)
        ),
    )  # fmt: skip
    bulk(
        Pot.__table__,
        ["id", "holder_id", "tenant_id", "kind", "support_plan_reference", "allocation_pence",
         "allocation_every_days", "allocation_starts_on", "pa_hourly_cap_pence", "active",
         "created_at"],
        (
            (n + 1, first_user + n, holder_tenant[n], "SOCIAL_CARE", f"SP-{n}",
             rng.randrange(40_000, 200_000, 100), 28, today - timedelta(days=400),
             rng.choice([None, 1800, 2000, 2200]), True, stamp)
            for n in range(HOLDERS)
        ),
    )  # fmt: skip
    bulk(
        LedgerAccount.__table__,
        ["id", "key", "kind", "owner_type", "owner_id", "balance_pence", "may_go_negative",
         "created_at"],
        (
            (n + 1, f"available:pot:{n + 1}", "AVAILABLE", "pot", n + 1,
             rng.randrange(0, 1_500_000), False, stamp)
            for n in range(HOLDERS)
        ),
    )  # fmt: skip

    # Bookings with their shifts, provider cancellations' events, and settled holds.
    states = (
        ["ACCEPTED"] * 40 + ["ENDED"] * 20 + ["DECLINED"] * 12 + ["EXPIRED"] * 10
        + ["CANCELLED_BY_HOLDER"] * 8 + ["CANCELLED_BY_PROVIDER"] * 5 + ["REQUESTED"] * 5
    )  # fmt: skip
    booking_rows, slots, events_rows, holds = [], [], [], []
    for n in range(bookings):
        pot = rng.randrange(HOLDERS) + 1
        listing = rng.randrange(LISTINGS) + 1
        provider = listing_rows[listing - 1][1]
        state = rng.choice(states)
        made = moment()
        accepted = (
            made + timedelta(hours=rng.randrange(1, 48))
            if state in ("ACCEPTED", "ENDED", "CANCELLED_BY_PROVIDER")
            or (state == "CANCELLED_BY_HOLDER" and rng.random() < 0.5)
            else None
        )
        category = rng.choice(listing_cats[listing])
        count = 1 if rng.random() < 0.6 else rng.randrange(2, 5)
        booking_rows.append(
            (n + 1, first_user + pot - 1, first_user + pot - 1, listing, provider, pot, category,
             "ONE_OFF" if count == 1 else "ROTA", state, listing_rows[listing - 1][4], "HOUR", "",
             made, made + timedelta(hours=48), accepted)
        )  # fmt: skip
        for weekday in rng.sample(range(7), count):
            slots.append((n + 1, weekday, clock_time(rng.randrange(6, 22)), 120))
        if state == "CANCELLED_BY_PROVIDER":
            events_rows.append(
                (n + 1, "ACCEPTED", "cancelled_by_provider", "", made + timedelta(days=3))
            )
        if state in ("ACCEPTED", "ENDED"):
            pence = rng.randrange(2000, 20_000, 50)
            closed = min(made + timedelta(days=rng.randrange(1, 30)), now)
            holds.append(
                (pot, provider, category, f"booking:{n + 1}", "A session", pence, "SETTLED",
                 pence, 0, made, closed)
            )  # fmt: skip
    bulk(
        Booking.__table__,
        ["id", "holder_id", "requested_by_id", "listing_id", "provider_id", "pot_id",
         "category_id", "kind", "state", "unit_price_pence", "price_unit", "note", "created_at",
         "expires_at", "accepted_at"],
        booking_rows,
    )  # fmt: skip
    bulk(RotaSlot.__table__, ["booking_id", "weekday", "start_time", "duration_minutes"], slots)
    bulk(
        BookingEvent.__table__,
        ["booking_id", "from_state", "to_state", "reason", "at"],
        events_rows,
    )
    bulk(
        Hold.__table__,
        ["pot_id", "provider_id", "category_id", "reference", "description", "amount_pence",
         "status", "settled_pence", "fee_pence", "created_at", "closed_at"],
        holds,
    )  # fmt: skip

    # Search events over the year.
    slugs = [c[1] for c in categories]

    def search_rows() -> Iterable[tuple[Any, ...]]:
        for _ in range(events):
            roll = rng.random()
            owner = (
                tenant.id
                if roll < REPORTED_SHARE
                else other.id
                if roll < REPORTED_SHARE + OTHER_SHARE
                else None
            )
            cats = rng.sample(slugs, rng.choice([0, 1, 1, 1, 2]))
            filters: dict[str, Any] = {"categories": cats}
            if rng.random() < 0.5:
                filters["day"] = rng.randrange(7)
                if rng.random() < 0.6:
                    filters["time"] = f"{rng.randrange(6, 22):02d}:{rng.choice(['00', '30'])}"
            result = rng.random()
            count = (
                0
                if result < 0.15
                else rng.randrange(1, 4)
                if result < 0.3
                else rng.randrange(4, 200)
            )
            yield (
                owner,
                rng.choice(outcodes) if rng.random() < 0.9 else None,
                cats,
                filters,
                "",
                count,
                "tantivy",
                moment(),
            )

    bulk(
        SearchEvent.__table__,
        ["tenant_id", "outcode", "categories", "filters", "text", "result_count", "engine",
         "created_at"],
        search_rows(),
    )  # fmt: skip
    reset_sequences()
    db.session.commit()
    if db.session.connection().dialect.name == "postgresql":
        db.session.connection().execute(text("ANALYZE"))
        db.session.commit()
    return tenant


# Timing


def timed(action: Callable[[], object], runs: int = 3) -> tuple[float, float]:
    """(first run, median of the next `runs`) in seconds."""
    start = time.perf_counter()
    action()
    first = time.perf_counter() - start
    times = []
    for _ in range(runs):
        db.session.expire_all()
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return first, statistics.median(times)


def line(label: str, figures: tuple[float, float]) -> None:
    first, median = figures
    verdict = "meets" if median <= TARGET_SECONDS else "misses"
    print(
        f"  {label:<46} median {median:6.3f} s (first {first:6.3f} s); "
        f"{verdict} the {TARGET_SECONDS:.0f} s target"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--bookings", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-reports-")
    url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": tmp,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    print(f"machine: {machine()}")
    print(f"database: {url.split(':', 1)[0]}")
    with app.app_context():
        upgrade()
        today = london_today()
        start = time.perf_counter()
        tenant = load(args.events, args.bookings, today)
        counts = {
            name: db.session.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
            for name in ("search_events", "bookings", "rota_slots", "holds", "listings",
                         "availability_rules", "pots")
        }  # fmt: skip
        print(f"loaded in {time.perf_counter() - start:.1f} s: " + ", ".join(
            f"{n:,} {name}" for name, n in counts.items()
        ))  # fmt: skip
        tenant = db.session.get(Tenant, tenant.id)
        area = area_outcodes(frozenset(a.gss_code for a in tenant.areas))
        anonymous = db.session.execute(
            text(
                "SELECT count(*) FILTER (WHERE tenant_id IS NULL), "
                "count(*) FILTER (WHERE tenant_id IS NULL AND outcode IN :area) "
                "FROM search_events"
            ).bindparams(bindparam("area", expanding=True)),
            {"area": list(area)},
        ).one()
        print(
            f"searches not signed in: {anonymous[0]:,}, of them {anonymous[1]:,} from the "
            f"{len(area)} districts of the reported council's area ({', '.join(area)})"
        )
        weeks = default_period(today)
        year = Period(today - timedelta(days=364), today)

        def full(period: Period) -> Callable[[], object]:
            return lambda: report(db.session.get(Tenant, tenant.id), period)

        sizes = {name: len(t.rows) for name, t in report(tenant, weeks).items()}
        print("tables for 12 weeks (rows): " + ", ".join(f"{k} {v}" for k, v in sizes.items()))
        print("full report, every table, read live from search_events (no roll-up):")
        line("12 weeks", timed(full(weeks)))
        line("a year", timed(full(year)))
        start = time.perf_counter()
        days = rollup(today)
        db.session.commit()
        rolled = time.perf_counter() - start
        print(f"reports rollup: {len(days)} days in {rolled:.1f} s (once; then one day a day)")
        start = time.perf_counter()
        rollup(today)
        db.session.commit()
        print(f"reports rollup again, nothing new: {time.perf_counter() - start:.3f} s")
        print("full report, every table, from the roll-up plus today's events:")
        line("12 weeks", timed(full(weeks)))
        line("a year", timed(full(year)))
        db.session.remove()

    client = app.test_client()
    response = client.post(
        "/sign-in", data={"email": "commissioner@bench.example", "password": PASSWORD}
    )
    assert response.status_code == 302, response.status_code

    def page(query: str = "") -> Callable[[], None]:
        def get() -> None:
            got = client.get(f"/commissioning/market/{query}")
            assert got.status_code == 200, got.status_code

        return get

    a_year = f"?from={(today - timedelta(days=364)).isoformat()}&to={today.isoformat()}"
    with app.app_context():
        print("the page /commissioning/market/ (queries, tables, charts and HTML):")
        line("12 weeks (the default)", timed(page()))
        line("a year", timed(page(a_year)))
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
