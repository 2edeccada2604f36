"""The market gap report on a small world whose every figure is worked out by hand below.

The period is Monday 1 June to Sunday 14 June 2026 (British Summer Time: London midnight is 23:00
UTC the evening before). Tenant A (Oldham Council, area Oldham) is the one reported on; tenant B
(Rochdale Council, area Rochdale) has searches, bookings and money in the same period, which must
never show in A's report.

Searches of tenant A (created_at in UTC; the time of week is what the search asked for):
  #1 1 Jun  OL1 [homecare]               0 results  Mon 09:00  weekday daytime
  #2 2 Jun  OL1 [homecare]               2 results  Sat        weekend
  #3 3 Jun  OL1 [homecare, physio]       0 results  (none)     no day or time
  #4 4 Jun  OL8 [physio]                 5 results  Wed 19:30  weekday evening
  #5 5 Jun  (no postcode) []            10 results  (none)     no day or time
  #6 7 Jun 23:30 UTC = 8 Jun 00:30 London: OL1 [homecare] 1 result Mon 09:00 (week 2)
  #7 10 Jun OL8 [physio]                 0 results  Wed 19:30  weekday evening
  #8 11 Jun M1 [homecare]               12 results  (none)     no day or time: signed in to A,
     so it counts though Manchester is outside A's areas
  #9 3 Jun  OL2 [physio]                 0 results  Thu 10:00  weekday daytime: not signed in,
     from a district whose nearest council centre is Oldham's, so it is A's
  not counted: 31 May 23:30 London, 15 Jun 00:30 London; tenant B's signed-in search from OL1
  (A's district); searches not signed in from OL12 (nearest Rochdale: B's), M1 (Manchester:
  no one's here) and with no postcode.
  Searches 9; no results 4 (#1 #3 #7 #9); 1 to 3 results 2 (#2 #6).

Supply (tenant A's providers; published listings; weekly availability):
  L1 P1 verified   homecare             OL1  £20/h  Mon 09-17 (8h day), Sat 10-14 (4h weekend)
  L2 P2 verified   homecare + PA        OL1  £24/h  Tue 17-21 (1h day, 3h evening)
  L3 P3 pending    physiotherapy        OL8  £45/h  none
  L4 P2 verified   PA                   OL8  £16/h  Wed 08-12 (4h day)
  L6 P3 pending    physiotherapy        OL8  £60 a session, none
  O1-O4 P1         occupational therapy OL1  £30, £32, £35, £40 /h, none
  not counted: a draft listing of P1, tenant B's listing.
  Listings 9; verified providers 2; weekly hours 20 (day 13, evening 3, weekend 4).

Booking requests from tenant A's pots, made in the period:
  B1 H1 L1 homecare Mon 10:00           declined
  B2 H2 L1 homecare Sat 11:00           expired
  B3 H3 L2 homecare rota Tue 18:00 + Sat 09:00, accepted, cancelled by the provider on 9 Jun,
     not re-booked: unfilled (counts in evening and weekend)
  B4 H4 L4 PA Wed 09:00 accepted, cancelled by the provider on 4 Jun, re-booked by B5: not failed
  B5 H4 L4 PA Wed 10:00 accepted (made 5 Jun)
  B6 H1 L3 physio Mon 19:00 withdrawn by the holder before acceptance: unfilled
  B7 H2 L1 homecare Mon 09:00 still waiting
  Requests 7; declined 1; expired 1; unfilled 2.

Saved searches of tenant A's people (a figure of their own, as they stand today: what each
found when last run; counted when made before the period ended, wherever it began):
  S1 H1 3 Jun   OL1 [homecare]                0 results  waiting
  S2 H2 5 Jun   OL1 [homecare, physio]        0 results  waiting: under each kind
  S3 H3 6 Jun   OL8 [physio]                  2 results  not waiting
  S4 H1 20 May  (no postcode) []              0 results  waiting (made before the period)
  not counted: H2's made 14 Jun 23:30 UTC = 15 Jun in London (after the period); tenant B's
  holder's from OL1 with 0 results.
  Waiting 3: Homecare OL1 (Oldham) 2; Physiotherapy OL1 1; no kind chosen, no postcode 1.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Role, Tenant, TenantArea
from marketplace.bookings.models import (
    Booking,
    BookingEvent,
    BookingKind,
    BookingState,
    RotaSlot,
)
from marketplace.commissioning import market
from marketplace.commissioning.market.counts import Counts
from marketplace.commissioning.market.times import TimeBand
from marketplace.commissioning.models import SearchEventDaily, SearchEventWeekly
from marketplace.directory.models import (
    AvailabilityRule,
    Category,
    ListingStatus,
    PriceUnit,
    Provider,
    VerificationStatus,
)
from marketplace.extensions import db
from marketplace.payments.models import (
    AccountKind,
    Hold,
    HoldStatus,
    LedgerAccount,
    Pot,
    PotKind,
)
from marketplace.saved_searches.models import SavedSearch
from marketplace.search.models import SearchEvent
from tests.frozen import TODAY

PERIOD = market.Period(date(2026, 6, 1), date(2026, 6, 14))
QUERY = "from=2026-06-01&to=2026-06-14"


def at(day: int, hour: int = 12, minute: int = 0, month: int = 6) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def hm(text: str) -> time:
    return time.fromisoformat(text)


class World:
    """What the tests read back: the two tenants and their commissioners."""


@pytest.fixture()
def world(make_tenant, make_user, make_provider, make_listing) -> World:
    w = World()
    w.tenant = make_tenant("Oldham Council")
    w.other = make_tenant("Rochdale Council")
    w.other.areas = [TenantArea(gss_code="E08000005", name="Rochdale")]
    db.session.commit()
    w.commissioner = make_user(Role.COMMISSIONER, tenant=w.tenant)
    w.other_commissioner = make_user(Role.COMMISSIONER, tenant=w.other)

    def category(slug: str, name: str, position: int, pa: bool = False) -> Category:
        made = Category(
            slug=slug,
            name=name,
            description=name,
            oruk_term_id=str(uuid.uuid4()),
            is_personal_assistance=pa,
            position=position,
        )
        db.session.add(made)
        return made

    pa = category("personal-assistant", "Personal assistant", 10, pa=True)
    homecare = category("homecare", "Homecare", 20)
    physio = category("physiotherapy", "Physiotherapy", 30)
    ot = category("occupational-therapy", "Occupational therapy", 40)
    db.session.commit()
    w.categories = {"pa": pa, "homecare": homecare, "physio": physio, "ot": ot}

    p1 = make_provider(tenant_id=w.tenant.id, legal_name="Moorside Care Ltd")
    p2 = make_provider(tenant_id=w.tenant.id, legal_name="Pennine Support Ltd")
    p3 = make_provider(
        tenant_id=w.tenant.id,
        legal_name="Hollins Physio Ltd",
        verification_status=VerificationStatus.PENDING,
    )
    p5 = make_provider(tenant_id=w.tenant.id, legal_name="Small Agency Ltd")
    pb = make_provider(tenant_id=w.other.id, legal_name="Rochdale Only Care Ltd")

    def listing(provider, cats, postcode, pence, windows=(), **fields):
        made = make_listing(
            provider=provider, categories=cats, postcode=postcode, price_pence=pence, **fields
        )
        for weekday, start, end in windows:
            db.session.add(
                AvailabilityRule(
                    listing_id=made.id, weekday=weekday, start_time=hm(start), end_time=hm(end)
                )
            )
        db.session.commit()
        return made

    l1 = listing(p1, [homecare], "OL1 1AA", 2000, [(0, "09:00", "17:00"), (5, "10:00", "14:00")])
    l2 = listing(p2, [homecare, pa], "OL1 3BB", 2400, [(1, "17:00", "21:00")])
    l3 = listing(p3, [physio], "OL8 1CC", 4500)
    l4 = listing(p2, [pa], "OL8 2DD", 1600, [(2, "08:00", "12:00")])
    listing(p3, [physio], "OL8 1CC", 6000, price_unit=PriceUnit.SESSION)
    for pence in (3000, 3200, 3500, 4000):
        listing(p1, [ot], "OL1 4EE", pence)
    listing(p1, [homecare], "OL1 1AA", 9900, [(6, "08:00", "20:00")], status=ListingStatus.DRAFT)
    lb = listing(pb, [homecare], "OL1 1AA", 1000, [(0, "08:00", "20:00")])

    # Budgets: 2,800p every 28 days is 700p a week, so 8 weeks is 5,600p.
    def holder_with_pot(tenant: Tenant, cap: int | None, available: int) -> Pot:
        holder = make_user(Role.HOLDER, tenant=tenant)
        pot = Pot(
            holder_id=holder.id,
            tenant_id=tenant.id,
            kind=PotKind.SOCIAL_CARE,
            support_plan_reference=f"SP-{holder.id}",
            allocation_pence=2800,
            allocation_every_days=28,
            allocation_starts_on=date(2026, 1, 5),
            pa_hourly_cap_pence=cap,
        )
        db.session.add(pot)
        db.session.flush()
        db.session.add(
            LedgerAccount(
                key=f"available:pot:{pot.id}",
                kind=AccountKind.AVAILABLE,
                owner_type="pot",
                owner_id=pot.id,
                balance_pence=available,
            )
        )
        db.session.commit()
        return pot

    h1 = holder_with_pot(w.tenant, 1800, 9000)  # 3,400p above 8 weeks
    h2 = holder_with_pot(w.tenant, 2200, 6000)  # 400p above
    h3 = holder_with_pot(w.tenant, None, 7600)  # 2,000p above
    h4 = holder_with_pot(w.tenant, 2000, 50_000)  # no failed request: not counted
    hb = holder_with_pot(w.other, 900, 1_000_000)
    w.pots = [h1, h2, h3, h4, hb]

    def booking(pot, lst, cat, state, made, slots, accepted=None):
        made_booking = Booking(
            holder_id=pot.holder_id,
            requested_by_id=pot.holder_id,
            listing_id=lst.id,
            provider_id=lst.provider_id,
            pot_id=pot.id,
            category_id=cat.id,
            kind=BookingKind.ROTA if len(slots) > 1 else BookingKind.ONE_OFF,
            state=state,
            unit_price_pence=lst.price_pence,
            price_unit=PriceUnit.HOUR,
            created_at=made,
            expires_at=made + timedelta(hours=48),
            accepted_at=accepted,
        )
        made_booking.slots = [
            RotaSlot(weekday=d, start_time=hm(s), duration_minutes=60) for d, s in slots
        ]
        db.session.add(made_booking)
        db.session.flush()
        return made_booking

    cancelled = BookingState.CANCELLED_BY_PROVIDER
    booking(h1, l1, homecare, BookingState.DECLINED, at(2), [(0, "10:00")])
    booking(h2, l1, homecare, BookingState.EXPIRED, at(3), [(5, "11:00")])
    b3 = booking(h3, l2, homecare, cancelled, at(8), [(1, "18:00"), (5, "09:00")], at(8, 14))
    b4 = booking(h4, l4, pa, cancelled, at(2), [(2, "09:00")], at(2, 15))
    booking(h4, l4, pa, BookingState.ACCEPTED, at(5), [(2, "10:00")], at(5, 16))
    booking(h1, l3, physio, BookingState.CANCELLED_BY_HOLDER, at(10), [(0, "19:00")])
    booking(h2, l1, homecare, BookingState.REQUESTED, at(12), [(0, "09:00")])
    for made, when in ((b3, at(9)), (b4, at(4))):
        db.session.add(
            BookingEvent(
                booking_id=made.id,
                from_state="accepted",
                to_state="cancelled_by_provider",
                at=when,
            )
        )
    # Not counted: before the period, and tenant B's.
    booking(h1, l1, homecare, BookingState.DECLINED, at(20, month=5), [(0, "10:00")])
    booking(hb, lb, homecare, BookingState.DECLINED, at(3), [(0, "10:00")])
    booking(hb, lb, homecare, BookingState.EXPIRED, at(4), [(6, "10:00")])

    # Settled spend. Homecare: P1 3,000 + 2,000, P2 3,000, P3 1,500, P5 500 = 10,000p;
    # shares 50, 30, 15, 5 %: top three 95.0 %, HHI 2,500 + 900 + 225 + 25 = 3,650.
    # Personal assistant: P2 4,000p alone: 100.0 %, HHI 10,000.
    def hold(pot, provider, cat, pence, closed, status=HoldStatus.SETTLED):
        db.session.add(
            Hold(
                pot_id=pot.id,
                provider_id=provider.id,
                category_id=cat.id,
                reference=f"ref-{uuid.uuid4()}",
                description="A session",
                amount_pence=pence,
                status=status,
                settled_pence=pence if status == HoldStatus.SETTLED else 0,
                closed_at=closed,
            )
        )

    hold(h1, p1, homecare, 3000, at(3))
    hold(h2, p1, homecare, 2000, at(10))
    hold(h3, p2, homecare, 3000, at(11))
    hold(h1, p3, homecare, 1500, at(6))
    hold(h2, p5, homecare, 500, at(13))
    hold(h4, p2, pa, 4000, at(9))
    hold(h4, p2, pa, 7000, at(20, month=5))  # before the period
    hold(h4, p5, pa, 7000, None, status=HoldStatus.HELD)  # not settled
    hold(hb, pb, homecare, 99_000, at(9))  # tenant B's

    def search(tenant, outcode, cats, results, when, **filters):
        db.session.add(
            SearchEvent(
                tenant_id=tenant.id if tenant else None,
                outcode=outcode,
                categories=cats,
                filters={"categories": cats, **filters},
                text="",
                result_count=results,
                engine="tantivy",
                created_at=when,
            )
        )

    search(w.tenant, "OL1", ["homecare"], 0, at(1), day=0, time="09:00")
    search(w.tenant, "OL1", ["homecare"], 2, at(2), day=5)
    search(w.tenant, "OL1", ["homecare", "physiotherapy"], 0, at(3))
    search(w.tenant, "OL8", ["physiotherapy"], 5, at(4), day=2, time="19:30")
    search(w.tenant, None, [], 10, at(5))
    search(w.tenant, "OL1", ["homecare"], 1, at(7, 23, 30), day=0, time="09:00")
    search(w.tenant, "OL8", ["physiotherapy"], 0, at(10), day=2, time="19:30")
    search(w.tenant, "M1", ["homecare"], 12, at(11))
    search(None, "OL2", ["physiotherapy"], 0, at(3), day=3, time="10:00")
    search(w.tenant, "OL1", ["homecare"], 0, at(31, 22, 30, month=5))  # 31 May in London
    search(w.tenant, "OL1", ["homecare"], 0, at(14, 23, 30))  # 15 June in London
    search(w.other, "OL1", ["homecare"], 0, at(3), day=0, time="09:00")
    search(None, "OL12", ["homecare"], 0, at(4))  # Rochdale: tenant B's, not A's
    search(None, "M1", ["homecare"], 0, at(4))  # Manchester: neither's
    search(None, None, ["homecare"], 0, at(4))  # no postcode: no one's

    def saved(pot: Pot, outcode: str | None, cats: list[str], found: int, when: datetime):
        db.session.add(
            SavedSearch(
                user_id=pot.holder_id,
                tenant_id=pot.tenant_id,
                name="A search",
                params=[["category", c] for c in cats]
                + ([["postcode", outcode]] if outcode else []),
                outcode=outcode,
                categories=cats,
                result_count=found,
                created_at=when,
            )
        )

    saved(h1, "OL1", ["homecare"], 0, at(3))
    saved(h2, "OL1", ["homecare", "physiotherapy"], 0, at(5))
    saved(h3, "OL8", ["physiotherapy"], 2, at(6))
    saved(h1, None, [], 0, at(20, month=5))
    saved(h2, "OL1", ["homecare"], 0, at(14, 23, 30))  # 15 June in London
    saved(hb, "OL1", ["homecare"], 0, at(3))  # tenant B's
    db.session.commit()
    return w


def facts(world: World, period: market.Period = PERIOD) -> market.MarketFacts:
    tenant = db.session.get(Tenant, world.tenant.id)
    return market.MarketFacts(tenant, period)


def figures(c: Counts) -> tuple[int, ...]:
    return (
        c.searches,
        c.zero_results,
        c.few_results,
        c.requests,
        c.declined,
        c.expired,
        c.unfilled,
        c.listings,
        c.providers,
        c.weekly_minutes // 60,
    )


# The rules


def test_time_of_week_and_availability_split():
    assert market.band_of(0, hm("08:00")) == TimeBand.WEEKDAY_DAYTIME
    assert market.band_of(4, hm("17:59")) == TimeBand.WEEKDAY_DAYTIME
    assert market.band_of(4, hm("18:00")) == TimeBand.WEEKDAY_EVENING
    assert market.band_of(2, hm("07:59")) == TimeBand.WEEKDAY_EVENING
    assert market.band_of(5, None) == TimeBand.WEEKEND
    assert market.band_of(1, None) == TimeBand.ANY
    assert market.band_of(None, None) == TimeBand.ANY
    assert market.window_minutes(1, hm("17:00"), hm("21:00")) == {
        TimeBand.WEEKDAY_DAYTIME: 60,
        TimeBand.WEEKDAY_EVENING: 180,
    }
    assert market.window_minutes(0, hm("06:00"), hm("20:00")) == {
        TimeBand.WEEKDAY_DAYTIME: 600,
        TimeBand.WEEKDAY_EVENING: 240,
    }
    assert market.window_minutes(6, hm("10:00"), hm("14:00")) == {TimeBand.WEEKEND: 240}


def test_quartiles_interpolate_between_listings():
    # 4 rates: positions 0.75, 1.5 and 2.25 between 3000, 3200, 3500, 4000.
    assert market.quartiles([(3000, 1), (3200, 1), (3500, 1), (4000, 1)]) == (3150, 3350, 3625)
    # Counts stand for repeated rates: 1600, 2400, 2400 → 2000, 2400, 2400.
    assert market.quartiles([(1600, 1), (2400, 2)]) == (2000, 2400, 2400)
    assert market.quartiles([(4500, 1)]) == (4500, 4500, 4500)


def test_period_rules():
    today = date(2026, 11, 22)
    default = market.period_for(None, None, today)
    assert (default.start, default.end, default.days) == (date(2026, 8, 31), today, 84)
    assert market.Period(date(2026, 6, 3), date(2026, 6, 16)).weeks() == [
        (date(2026, 6, 3), date(2026, 6, 7)),
        (date(2026, 6, 8), date(2026, 6, 14)),
        (date(2026, 6, 15), date(2026, 6, 16)),
    ]
    assert PERIOD.starts_at == datetime(2026, 5, 31, 23, 0, tzinfo=UTC)
    assert PERIOD.ends_at == datetime(2026, 6, 14, 23, 0, tzinfo=UTC)
    with pytest.raises(market.ReportError, match="same as or before"):
        market.period_for(date(2026, 6, 2), date(2026, 6, 1), today)
    with pytest.raises(market.ReportError, match="at most 2 years"):
        market.period_for(date(2024, 1, 1), date(2026, 6, 1), today)
    with pytest.raises(market.ReportError, match="today or in the past"):
        market.period_for(date(2026, 11, 1), date(2026, 11, 23), today)


# The figures, worked out by hand in the module docstring


def test_overview(world):
    rows = {row.measure: row.value for row in market.overview(facts(world))}
    assert rows == {
        "Searches": 9,  # #1-#9
        "Searches with no results": 4,  # #1 #3 #7 #9
        "Searches with 1 to 3 results": 2,  # #2 #6
        "Booking requests": 7,
        "Requests declined by the provider": 1,
        "Requests with no reply in time (expired)": 1,
        "Requests unfilled": 2,
        "Budgets with a failed request": 3,  # H1 (B1, B6), H2 (B2), H3 (B3)
        "Of them, budgets holding more than 8 weeks of allocation": 3,
        "Money in those budgets above 8 weeks of allocation": 3400 + 400 + 2000,
        "Published listings": 9,
        "Verified providers with a published listing": 2,
        "Weekly hours of availability": 20 * 60,
        "Saved searches still finding nothing": 3,  # S1 S2 S4
    }


def test_saved_searches_still_finding_nothing_by_kind_and_district(world):
    """S1 and S2 under Homecare in OL1, S2 again under Physiotherapy, S4 with no kind and no
    postcode; S3 found 2; the one made on 15 June and tenant B's are not A's period's."""
    rows = [
        (r.category, r.outcode, r.local_authority, r.saved_searches)
        for r in market.waiting(facts(world))
    ]
    assert rows == [
        ("Homecare", "OL1", "Oldham", 2),
        ("Physiotherapy", "OL1", "Oldham", 1),
        ("No kind of support chosen", "Not given", "", 1),
    ]
    # A period that ended before any was made counts only the one made in May.
    early = market.Period(date(2026, 5, 18), date(2026, 5, 31))
    assert [r.saved_searches for r in market.waiting(facts(world, early))] == [1]
    # Tenant B's report counts its own one alone.
    other = market.MarketFacts(db.session.get(Tenant, world.other.id), PERIOD)
    assert [(r.category, r.outcode, r.saved_searches) for r in market.waiting(other)] == [
        ("Homecare", "OL1", 1)
    ]


def test_by_category(world):
    rows = [(r.category, figures(r.counts)) for r in market.by_category(facts(world))]
    assert rows == [
        # searches, none, few, requests, declined, expired, unfilled, listings, verified, hours
        ("Personal assistant", (0, 0, 0, 2, 0, 0, 0, 2, 1, 8)),
        ("Homecare", (5, 2, 2, 4, 1, 1, 1, 2, 2, 16)),  # #1 #2 #3 #6 #8
        ("Physiotherapy", (4, 3, 0, 1, 0, 0, 1, 2, 0, 0)),  # #3 #4 #7 #9
        ("Occupational therapy", (0, 0, 0, 0, 0, 0, 0, 4, 1, 0)),
        # the search that chose no kind is set against all supply
        ("No kind of support chosen", (1, 0, 0, 0, 0, 0, 0, 9, 2, 20)),
    ]


def test_by_area(world):
    rows = [(r.outcode, r.local_authority, figures(r.counts)) for r in market.by_area(facts(world))]
    assert rows == [
        ("M1", "Manchester (outside your areas)", (1, 0, 0, 0, 0, 0, 0, 0, 0, 0)),  # #8
        ("OL1", "Oldham", (4, 2, 2, 4, 1, 1, 1, 6, 2, 16)),
        ("OL2", "Oldham", (1, 1, 0, 0, 0, 0, 0, 0, 0, 0)),  # #9, not signed in
        ("OL8", "Oldham", (2, 1, 0, 3, 0, 0, 1, 3, 1, 4)),
        ("Not given", "", (1, 0, 0, 0, 0, 0, 0, 9, 2, 20)),
    ]


def test_by_time_of_week(world):
    rows = [(r.time_band, figures(r.counts)) for r in market.by_time(facts(world))]
    assert rows == [
        (TimeBand.WEEKDAY_DAYTIME, (3, 2, 1, 4, 1, 0, 0, 3, 2, 13)),  # #1 #6 #9; B1 B4 B5 B7
        (TimeBand.WEEKDAY_EVENING, (2, 1, 0, 2, 0, 0, 2, 1, 1, 3)),  # B3 B6
        (TimeBand.WEEKEND, (1, 0, 1, 2, 0, 1, 1, 1, 1, 4)),  # B2 B3
        (TimeBand.ANY, (3, 1, 0, 0, 0, 0, 0, 9, 2, 20)),  # #3 #5 #8
    ]


def test_top_gaps_ranked_by_unmet_demand_per_supply(world):
    # score = unmet × 600 ÷ (600 + weekly minutes)
    rows = [
        (g.rank, g.cell.category, g.cell.outcode, g.cell.time_band, g.cell.counts.unmet)
        for g in market.top_gaps(facts(world))
    ]
    assert rows == [
        (1, "Homecare", "OL1", TimeBand.WEEKEND, 3),  # few 1 + expired 1 + unfilled 1; 4h: 2.14
        (2, "Physiotherapy", "OL8", TimeBand.WEEKDAY_EVENING, 2),  # none 1 + unfilled 1; 0h: 2.0
        (3, "Homecare", "OL1", TimeBand.WEEKDAY_DAYTIME, 3),  # none 1, few 1, declined 1; 9h: 1.58
        (4, "Physiotherapy", "OL1", TimeBand.ANY, 1),  # #3; 0h: 1.0
        (5, "Physiotherapy", "OL2", TimeBand.WEEKDAY_DAYTIME, 1),  # #9; 0h: 1.0, OL2 after OL1
        (6, "Homecare", "OL1", TimeBand.WEEKDAY_EVENING, 1),  # B3; 3h: 0.77
        (7, "Homecare", "OL1", TimeBand.ANY, 1),  # #3; 16h: 0.38
    ]
    scores = [market.table("gaps", facts(world)).rows[n][-1] for n in range(7)]
    assert scores == ["2.1", "2.0", "1.6", "1.0", "1.0", "0.8", "0.4"]


def test_price_bands_against_caps(world):
    rows = market.price_bands(facts(world))
    assert [
        (r.category, r.listings, r.lower_quartile, r.median, r.upper_quartile) for r in rows
    ] == [
        ("Personal assistant", 2, 1800, 2000, 2200),  # 1600, 2400
        ("Homecare", 2, 2100, 2200, 2300),  # 2000, 2400
        ("Physiotherapy", 1, 4500, 4500, 4500),  # the session-priced listing is left out
        ("Occupational therapy", 4, 3150, 3350, 3625),
    ]
    # Caps of tenant A's open pots: 1,800, 2,000 and 2,200 (tenant B's 900 is not theirs).
    assert [(r.lowest_cap, r.highest_cap, r.above_lowest_cap) for r in rows] == [
        (1800, 2200, 1),  # L2 at 2,400
        (None, None, None),
        (None, None, None),
        (None, None, None),
    ]


def test_provider_concentration(world):
    rows = market.concentration(facts(world))
    assert [
        (r.category, r.spend_pence, r.providers, str(r.top_three_share), r.hhi) for r in rows
    ] == [
        ("Personal assistant", 4000, 1, "100.0", 10_000),
        ("Homecare", 10_000, 4, "95.0", 3650),
    ]


def test_unspent_money_is_shown_only_for_three_or_more_budgets(world):
    rows = [
        (r.category, r.pots, r.pots_above, r.unspent_pence) for r in market.unspent(facts(world))
    ]
    assert rows == [
        ("Homecare", 3, 3, 5800),  # H1 3,400 + H2 400 + H3 2,000
        ("Physiotherapy", 1, 1, None),  # H1 alone: not shown
    ]
    assert market.table("unspent", facts(world)).rows[1][-1] == "Fewer than 3 budgets"


def test_trend_by_week(world):
    rows = [
        (r.week_from, r.searches, r.zero_results, r.requests, r.failed)
        for r in market.trend(facts(world))
    ]
    assert rows == [
        (date(2026, 6, 1), 6, 3, 4, 2),  # #1-#5 #9; B1 B2 B4 B5, failed B1 B2
        (date(2026, 6, 8), 3, 1, 3, 2),  # #6 #7 #8; B3 B6 B7, failed B3 B6
    ]


def test_a_provider_cancellation_re_booked_before_it_still_counts_as_unfilled(world):
    """Re-booking means an accepted booking made after the cancellation."""
    cat = world.categories["pa"]
    row = next(r for r in market.by_category(facts(world)) if r.category == cat.name)
    assert row.counts.unfilled == 0  # B4 was re-booked by B5, made after the cancellation
    event = db.session.scalar(
        select(BookingEvent).where(
            BookingEvent.to_state == "cancelled_by_provider", BookingEvent.at == at(4)
        )
    )
    event.at = at(6)  # cancelled after B5 was made: B5 is not a re-booking
    db.session.commit()
    row = next(r for r in market.by_category(facts(world)) if r.category == cat.name)
    assert row.counts.unfilled == 1


def test_the_roll_ups_give_the_same_report(world):
    tenants = [db.session.get(Tenant, t.id) for t in (world.tenant, world.other)]
    part = market.Period(date(2026, 6, 3), date(2026, 6, 10))  # parts of both weeks

    def reports() -> list[dict[str, market.Table]]:
        return [market.report(t, period) for t in tenants for period in (PERIOD, part)]

    live = reports()
    # Roll up to 8 June: whole weeks to Sunday 7 June, so the period's first week comes from
    # the weekly roll-up, 8 June from the daily one and the rest from the events.
    days = market.rollup(date(2026, 6, 9))
    db.session.commit()
    assert days[0] == date(2026, 5, 31) and days[-1] == date(2026, 6, 8)
    assert market.rolled_up_to() == date(2026, 6, 8)
    assert market.rolled_up_to(market.WEEKLY_ROLLUP_NAME) == date(2026, 6, 7)

    def rolled(table, *where) -> int:
        return db.session.scalar(select(func.sum(table.searches)).where(*where))

    # 31 May to 8 June: A 7 (31 May, #1-#6, #9 is not signed in), B 1, not signed in 4.
    assert rolled(SearchEventDaily) == 12
    assert rolled(SearchEventDaily, SearchEventDaily.tenant_id.is_(None)) == 4  # #9 and three
    # 8 June (#6) is in a week not yet over.
    every = SearchEventWeekly.category == "*"
    assert rolled(SearchEventWeekly, every) == 11
    assert rolled(SearchEventWeekly, every, SearchEventWeekly.tenant_id.is_(None)) == 4
    assert reports() == live
    assert market.rollup(date(2026, 6, 9)) == []  # nothing new
    market.rollup(date(2026, 6, 20))
    db.session.commit()
    assert market.rolled_up_to() == date(2026, 6, 19)
    assert market.rolled_up_to(market.WEEKLY_ROLLUP_NAME) == date(2026, 6, 14)
    assert reports() == live


def test_searches_not_signed_in_are_picked_by_district_when_the_report_is_read(world):
    """The roll-ups keep them under no tenant, so a change of a tenant's areas needs no new
    roll-up: Rochdale's districts count for A from the moment Rochdale is one of its areas."""
    market.rollup(date(2026, 6, 20))
    db.session.commit()
    tenant = db.session.get(Tenant, world.tenant.id)

    def searches() -> int:
        return market.MarketFacts(tenant, PERIOD).counts[(market.ALL,) * 3].searches

    assert searches() == 9
    tenant.areas.append(TenantArea(gss_code="E08000005", name="Rochdale"))
    db.session.commit()
    assert searches() == 10  # and the search from OL12
    rows = {r.outcode: r.local_authority for r in market.by_area(facts(world))}
    assert rows["OL12"] == "Rochdale"


# The page, its CSV files and the command


class _Tables(HTMLParser):
    """Every <table id="table-…"> of a page as rows of cell text, header row first."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._current: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "table" and (found.get("id") or "").startswith("table-"):
            self._current = found["id"].removeprefix("table-")
            self.tables[self._current] = []
        elif self._current and tag == "tr":
            self.tables[self._current].append([])
        elif self._current and tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._current = None
        elif tag in ("th", "td") and self._cell is not None and self._current:
            self.tables[self._current][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def page_tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def assert_csv_is_the_table(written: list[list[str]], shown: list[list[str]], name: str) -> None:
    """The CSV holds the page's table cell for cell, each figure without its £, commas or %."""
    assert len(written) == len(shown), name
    for header, heading in zip(written[0], shown[0], strict=True):
        assert header in (heading, f"{heading} (£)", f"{heading} (%)"), name
    for csv_row, page_row in zip(written[1:], shown[1:], strict=True):
        for cell, text in zip(csv_row, page_row, strict=True):
            plain = text.removeprefix("£").replace(",", "").removesuffix("%")
            assert cell in (text, plain), (name, cell, text)
            if cell != text:
                float(cell)  # a figure a spreadsheet reads


def test_page_shows_every_table_and_each_csv_equals_it(world, client, sign_in):
    sign_in(world.commissioner)
    response = client.get(f"/commissioning/market/?{QUERY}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    tables = page_tables(html)
    assert set(tables) == set(market.TABLES) - {"cells"}
    assert tables["overview"][1] == ["Searches", "9"]
    assert tables["gaps"][1] == [
        "1", "Homecare", "OL1", "Oldham", TimeBand.WEEKEND.short_label, "3", "4", "2.1",
    ]  # fmt: skip
    assert ["Homecare", "£100.00", "4", "95.0%", "3,650"] in tables["concentration"]
    for name, rows in tables.items():
        response = client.get(f"/commissioning/market/{name}.csv?{QUERY}")
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        assert_csv_is_the_table(read_csv(response.get_data(as_text=True)), rows, name)
    # Figures are plain numbers a spreadsheet adds up, their unit in the header.
    concentration = read_csv(
        client.get(f"/commissioning/market/concentration.csv?{QUERY}").get_data(as_text=True)
    )
    assert concentration[0][1:4] == [
        "Settled spend (£)",
        "Providers paid",
        "Top 3 providers' share (%)",
    ]
    assert ["Homecare", "100.00", "4", "95.0", "3650"] in concentration
    cells_html = client.get(f"/commissioning/market/cells?{QUERY}").get_data(as_text=True)
    cells = page_tables(cells_html)["cells"]
    assert_csv_is_the_table(
        read_csv(client.get(f"/commissioning/market/cells.csv?{QUERY}").get_data(as_text=True)),
        cells,
        "cells",
    )
    assert len(cells) == 1 + 12  # header, then every cell with demand or supply
    # Charts: inline SVG with a text alternative, no script and no style attributes.
    assert html.count('role="img"') == 5
    assert 'aria-labelledby="chart-gaps-title chart-gaps-desc"' in html
    assert '<title id="chart-trend-title">' in html
    assert not re.search(r"\sstyle=", html)
    assert "<script>" not in html
    assert "Gap score</strong> = unmet demand ÷ (1 + weekly hours ÷ 10)" in html
    assert "when they were not signed in and gave a postcode in a district of your areas" in html


def test_the_page_names_no_person_and_no_provider(world, client, sign_in):
    sign_in(world.commissioner)
    html = client.get(f"/commissioning/market/?{QUERY}").get_data(as_text=True)
    assert "Gap score" in html  # the report itself is on the page
    assert len(world.pots) >= 3
    for pot in world.pots:
        holder = db.session.get(Pot, pot.id).holder
        assert holder.full_name and holder.email
        assert holder.full_name not in html and holder.email not in html
    for name in ("Moorside", "Pennine", "Hollins", "Small Agency", "Rochdale Only"):
        assert db.session.scalar(
            select(func.count(Provider.id)).where(Provider.legal_name.contains(name))
        ), name  # a provider of the report's world has this name
        assert name not in html


def test_the_cells_page_is_paged_and_its_csv_holds_every_page(world, client, sign_in, monkeypatch):
    from marketplace.commissioning.market import views as market_views

    monkeypatch.setattr(market_views, "CELLS_PER_PAGE", 4)
    sign_in(world.commissioner)
    every = read_csv(client.get(f"/commissioning/market/cells.csv?{QUERY}").get_data(as_text=True))
    assert len(every) == 1 + 12
    html = client.get(f"/commissioning/market/cells?{QUERY}&page=2").get_data(as_text=True)
    assert page_tables(html)["cells"] == [every[0], *every[5:9]]
    assert "Page 2 of 3" in html and "page=3" in html
    last = client.get(f"/commissioning/market/cells?{QUERY}&page=99").get_data(as_text=True)
    assert page_tables(last)["cells"] == [every[0], *every[9:]]


def test_the_command_writes_the_same_csv_files(world, app, client, sign_in, tmp_path: Path):
    result = app.test_cli_runner().invoke(
        args=[
            "reports",
            "market-gaps",
            "--tenant",
            "Oldham Council",
            "--from",
            "2026-06-01",
            "--to",
            "2026-06-14",
            "--csv",
            str(tmp_path / "out"),
        ]
    )
    assert result.exit_code == 0, result.output
    written = sorted(p.stem for p in (tmp_path / "out").glob("*.csv"))
    assert written == sorted(market.TABLES)
    sign_in(world.commissioner)
    for name in market.TABLES:
        served = client.get(f"/commissioning/market/{name}.csv?{QUERY}").get_data(as_text=True)
        assert (tmp_path / "out" / f"{name}.csv").read_bytes().decode() == served, name
    by_id = app.test_cli_runner().invoke(
        args=[
            "reports",
            "market-gaps",
            "--tenant",
            str(world.other.id),
            "--csv",
            str(tmp_path / "b"),
        ]
    )
    assert by_id.exit_code == 0, by_id.output
    bad = app.test_cli_runner().invoke(
        args=["reports", "market-gaps", "--tenant", "Nowhere", "--csv", str(tmp_path / "c")]
    )
    assert bad.exit_code != 0 and "no council or NHS body" in bad.output


def test_another_tenants_searches_bookings_and_money_never_show(
    world, app, client, sign_in, tmp_path
):
    """Tenant B sees only its own: two searches (its signed-in one from OL1, in A's area, and
    one not signed in from OL12, in B's), two requests, its own spend and budget."""
    sign_in(world.other_commissioner)
    tables = page_tables(client.get(f"/commissioning/market/?{QUERY}").get_data(as_text=True))
    overview = dict(tables["overview"][1:])
    assert overview["Searches"] == "2"
    assert overview["Searches with no results"] == "2"
    assert [row[:3] for row in tables["areas"][1:]] == [
        ["OL1", "Oldham (outside your areas)", "1"],
        ["OL12", "Rochdale", "1"],
    ]
    assert overview["Booking requests"] == "2"
    assert overview["Published listings"] == "1"
    assert overview["Budgets with a failed request"] == "1"
    assert overview["Money in those budgets above 8 weeks of allocation"] == "Fewer than 3 budgets"
    assert tables["concentration"][1:] == [["Homecare", "£990.00", "1", "100.0%", "10,000"]]
    assert tables["prices"][1:] == [
        ["Homecare", "1", "£10.00", "£10.00", "£10.00", "No cap", "No cap", "No cap"]
    ]
    csv_overview = read_csv(
        client.get(f"/commissioning/market/overview.csv?{QUERY}").get_data(as_text=True)
    )
    assert dict(csv_overview[1:])["Searches"] == "2"
    result = app.test_cli_runner().invoke(
        args=["reports", "market-gaps", "--tenant", "Rochdale Council", "--from", "2026-06-01",
              "--to", "2026-06-14", "--csv", str(tmp_path)]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert dict(read_csv((tmp_path / "overview.csv").read_text())[1:])["Searches"] == "2"
    # And tenant A's report holds nothing of B's (worked out above): its spend is £140.00.
    a_spend = sum(r.spend_pence for r in market.concentration(facts(world)))
    assert a_spend == 14_000
    # Nor B's searches: not its signed-in one from OL1, nor the one not signed in from OL12.
    a_searches = {r.outcode: r.counts.searches for r in market.by_area(facts(world))}
    assert a_searches["OL1"] == 4 and "OL12" not in a_searches


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-06-14&to=2026-06-01", "must be the same as or before"),
        ("from=2024-01-01&to=2026-06-01", "at most 2 years"),
        ("from=2026-06-01&to=2099-01-01", "today or in the past"),
        ("from=2026-02-30&to=2026-06-01", "real date"),
        ("from-day=31&from-month=2&from-year=2026&to=2026-06-01", "must be a real date"),
        ("from-day=1&from-month=&from-year=2026&to=2026-06-01", "must include a month"),
        ("from=2026-06-01", "Enter the date the report runs to"),
    ],
)
def test_bad_dates_get_a_400_with_a_message(world, client, sign_in, query, message):
    sign_in(world.commissioner)
    response = client.get(f"/commissioning/market/?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is a problem" in html and message in html
    assert "<title>Error:" in html
    assert 'id="table-' not in html
    response = client.get(f"/commissioning/market/gaps.csv?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert client.get(f"/commissioning/market/cells?{query}").status_code == 400


def test_the_form_sends_date_boxes(world, client, sign_in):
    sign_in(world.commissioner)
    response = client.get(
        "/commissioning/market/?from-day=1&from-month=6&from-year=2026"
        "&to-day=14&to-month=6&to-year=2026"
    )
    assert response.status_code == 200
    assert page_tables(response.get_data(as_text=True))["overview"][1] == ["Searches", "9"]


def test_an_empty_period_shows_an_empty_state(world, client, sign_in):
    sign_in(world.commissioner)
    response = client.get("/commissioning/market/?from=2026-01-05&to=2026-01-18")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "No one searched for support or asked for a booking in this period" in html
    assert "No spend was settled with providers in this period." in html
    assert "No budget had a failed request in this period." in html
    tables = page_tables(html)
    assert "gaps" not in tables and "trend" not in tables
    assert dict(tables["overview"][1:])["Searches"] == "0"
    assert dict(tables["overview"][1:])["Published listings"] == "9"  # supply as it is today


def test_the_default_period_is_the_last_twelve_weeks(world, client, sign_in):
    sign_in(world.commissioner)
    html = client.get("/commissioning/market/").get_data(as_text=True)
    period = market.default_period(TODAY)
    assert f"from {period.start:%-d %B %Y} to {period.end:%-d %B %Y}" in html
    assert client.get("/commissioning/market/nonsense.csv").status_code == 404


def test_a_commissioner_without_a_tenant_is_refused(make_user, client, sign_in):
    commissioner = make_user(Role.COMMISSIONER)
    commissioner.tenant_id = None
    db.session.commit()
    sign_in(commissioner)
    assert client.get("/commissioning/market/").status_code == 403


def test_districts_are_labelled_with_the_nearest_council():
    assert market.council_label("OL1", frozenset({"E08000004"})) == "Oldham"
    assert market.council_label("M1", frozenset({"E08000004"})) == "Manchester (outside your areas)"
    assert market.council_label("ZZ99", frozenset()) == "Not known"
    assert market.council_label(None, frozenset()) == ""
