"""Bulk import of listings: CSV and Open Referral UK files, dry run first, then all or nothing."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Role
from marketplace.directory.models import (
    DeliveryMode,
    Listing,
    ListingStatus,
    PriceUnit,
    WorkerGender,
)
from marketplace.directory.taxonomy import load_taxonomy, terms
from marketplace.errors import DomainError
from marketplace.extensions import db
from provider_onboarding.importer import fields, plans

ORUK_EXAMPLES = Path("/work/shared/data/openreferral/oruk_3.0_uk-profile/examples")
HEADER = (
    "title,description,categories,price,price_unit,delivery_mode,postcode,travel_radius_miles,"
    "venue_address,languages,worker_gender,accessibility_notes,cancellation_notice_hours,"
    "cancellation_charge_percent,external_id\n"
)
GOOD_CSV = HEADER + (
    "Home care visits,Help with washing and meals.,homecare;dementia-support,21.50,hour,"
    "at_home,ol1 1aa,10,,English;Urdu,female,Step-free,48,50,HC-1\n"
    'Chair exercise class,"Gentle exercise, seated.",social-activities,8,session,venue,OL1 1AA,,'
    '"Oldham Library, Greaves Street",,,,,,CL-2\n'
    'Grab rail,A fitted grab rail.,equipment,"£1,020.00",item,online,,,,,,,,\n'
)
BROKEN_CSV = HEADER + (
    "Bad price,Desc,homecare,12.345,hour,online,,,,,,,,,\n"  # row 2
    "Unknown category,Desc,homecare;knitting,10,hour,online,,,,,,,,,\n"  # row 3
    ",No title,homecare,10,hour,online,,,,,,,,,\n"  # row 4
    "Bad unit,Desc,homecare,10,fortnight,online,,,,,,,,,\n"  # row 5
    "Bad postcode,Desc,homecare,10,hour,at_home,NOT A POSTCODE,5,,,,,,,\n"  # row 6
    "Negative,Desc,homecare,-5,hour,online,,,,,,,,,\n"  # row 7
)


@pytest.fixture()
def taxonomy(app_ctx):
    load_taxonomy()
    db.session.commit()


@pytest.fixture()
def owner(make_user, make_provider, taxonomy):
    user = make_user(Role.PROVIDER)
    provider = make_provider(owner=user)
    return user, provider


def listings_of(provider) -> list[Listing]:
    return list(
        db.session.scalars(select(Listing).where(Listing.provider_id == provider.id).order_by("id"))
    )


def upload(client, provider_id: int, content: bytes, name: str = "listings.csv"):
    return client.post(
        f"/provider/{provider_id}/import",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def confirm(client, provider_id: int, content: bytes, fmt: str = "csv"):
    return client.post(
        f"/provider/{provider_id}/import/apply",
        data={"digest": plans.digest_of(content), "format": fmt},
    )


def test_a_good_csv_is_previewed_then_imported_as_drafts(client, owner, sign_in):
    user, provider = owner
    sign_in(user)
    content = GOOD_CSV.encode("utf-8-sig")  # a BOM, as Excel writes

    preview = upload(client, provider.id, content)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html
    assert "Home care visits" in html and "Chair exercise class" in html and "Grab rail" in html
    assert "3 to create and 0 to update" in html
    assert "Import these listings as drafts" in html
    db.session.expire_all()
    assert listings_of(provider) == []  # the dry run saved nothing

    applied = confirm(client, provider.id, content)
    assert applied.status_code == 302
    db.session.expire_all()
    home, chair, rail = listings_of(provider)
    assert all(item.status == ListingStatus.DRAFT for item in (home, chair, rail))
    assert home.price_pence == 2150 and home.price_unit == PriceUnit.HOUR
    assert [c.slug for c in home.categories] == ["homecare", "dementia-support"]
    assert home.postcode == "OL1 1AA" and home.latitude is not None
    assert home.travel_radius_miles == 10 and home.languages == ["English", "Urdu"]
    assert home.worker_gender == WorkerGender.FEMALE
    assert home.cancellation_notice_hours == 48 and home.cancellation_charge_bps == 5000
    assert home.external_id == "HC-1"
    assert chair.delivery_mode == DeliveryMode.VENUE
    assert chair.venue_address == "Oldham Library, Greaves Street" and chair.price_pence == 800
    assert rail.price_pence == 102000 and rail.external_id is None

    # The same file again updates the two rows with an external id and adds the third again.
    changed = content.replace(b"21.50", b"23.00")
    preview = upload(client, provider.id, changed)
    html = preview.get_data(as_text=True)
    assert "1 to create and 2 to update" in html
    assert f"Home care visits (listing {home.id}, draft)" in html
    assert confirm(client, provider.id, changed).status_code == 302
    db.session.expire_all()
    assert len(listings_of(provider)) == 4
    assert db.session.get(Listing, home.id).price_pence == 2300

    # The confirmation is one use: the kept file is gone.
    again = confirm(client, provider.id, changed)
    assert again.status_code == 400 and "Upload the file again" in again.get_data(as_text=True)


def test_a_broken_csv_lists_every_error_with_its_row_and_saves_nothing(client, owner, sign_in):
    user, provider = owner
    sign_in(user)
    content = BROKEN_CSV.encode()
    response = upload(client, provider.id, content)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Import these listings as drafts" not in html

    plan = plans.plan_import(provider, content, "csv")
    found = {(e.row, e.field) for e in plan.errors}
    assert found == {
        (2, "price"),
        (3, "categories"),
        (4, "title"),
        (5, "price_unit"),
        (6, "postcode"),
        (7, "price"),
    }
    for error in plan.errors:
        assert error.message in html
    assert "knitting" in next(e.message for e in plan.errors if e.field == "categories")

    # Confirming anyway (a hand-made request) imports nothing: the file was never kept.
    assert confirm(client, provider.id, content).status_code == 400
    with pytest.raises(DomainError):
        plans.apply_import(provider, plan, user)
    db.session.expire_all()
    assert listings_of(provider) == []


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"\xff\xfe t\x00i\x00", "listings.csv", "UTF-8"),
        (b"name,price\nA,1\n", "listings.csv", "missing: title"),
        (HEADER.encode(), "listings.csv", "no listings"),
        (b"", "listings.csv", "The file is empty"),
        (b"{not json", "feed.json", "not valid JSON"),
        (b'"just a string"', "feed.json", "Open Referral UK service"),
        (b"[1, 2]", "feed.json", "must be a JSON object"),
        (b"[" * 100_000, "feed.json", "not valid JSON"),
        (b"title\n", "listings.xlsx", "Upload a .csv file"),
        (b"x" * (plans.MAX_BYTES + 1), "big.csv", "smaller than 2 MB"),
    ],
)
def test_bad_files_get_a_plain_message_never_a_500(client, owner, sign_in, content, name, message):
    user, provider = owner
    sign_in(user)
    response = upload(client, provider.id, content, name)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_money_is_parsed_exactly():
    assert fields.parse_pence("1.1") == 110
    assert fields.parse_pence("£1,234.56") == 123456
    for bad in ("1.005", "-1", "NaN", "Infinity", "1e9", "100000.01", "twelve", "12,50", "0"):
        with pytest.raises(DomainError):
            fields.parse_pence(bad)


def test_a_provider_cannot_import_into_another_provider(client, owner, make_provider, sign_in):
    user, _ = owner
    other = make_provider()
    sign_in(user)
    assert client.get(f"/provider/{other.id}/import").status_code == 404
    assert upload(client, other.id, GOOD_CSV.encode()).status_code == 404
    assert confirm(client, other.id, GOOD_CSV.encode()).status_code == 404
    db.session.expire_all()
    assert listings_of(other) == []


def test_an_admin_imports_for_any_provider(client, make_user, make_provider, taxonomy, sign_in):
    provider = make_provider()
    sign_in(make_user(Role.ADMIN))
    content = GOOD_CSV.encode()
    assert upload(client, provider.id, content).status_code == 200
    assert confirm(client, provider.id, content).status_code == 302
    db.session.expire_all()
    assert len(listings_of(provider)) == 3


# Open Referral UK


def oruk_example(name: str) -> bytes:
    if not ORUK_EXAMPLES.is_dir():
        pytest.skip(f"the Open Referral UK examples are not at {ORUK_EXAMPLES}")
    return (ORUK_EXAMPLES / name).read_bytes()


def made_importable(service: dict) -> dict:
    """The example service with a real UK postcode and one of our taxonomy terms: the examples
    carry a made-up postcode ("ABC 1234") and a placeholder term ("name")."""
    service = copy.deepcopy(service)
    homecare = next(t for t in terms() if t.slug == "talking-therapies")
    service.setdefault("attributes", []).append(
        {"taxonomy_term": {"id": homecare.oruk_term_id, "name": homecare.name}}
    )
    for sal in service.get("service_at_locations", []):
        for address in sal["location"].get("addresses", []):
            address["postal_code"] = "OL1 1AA"
    return service


def test_the_oruk_example_service_as_published_is_refused_with_reasons(owner):
    _, provider = owner
    plan = plans.plan_import(provider, oruk_example("service_full.json"), "json")
    assert not plan.ok
    assert {(e.row, e.field) for e in plan.errors} == {(1, "taxonomy_terms"), (1, "postcode")}
    assert "ABC 1234" in next(e.message for e in plan.errors if e.field == "postcode")

    listing_plan = plans.plan_import(provider, oruk_example("service_list.json"), "json")
    fields = {e.field for e in listing_plan.errors}
    assert fields == {"taxonomy_terms", "cost_options", "locations"}
    assert listing_plan.rows[0].title == "Community Counselling"


def test_the_oruk_example_service_imports_with_its_week_and_price(client, owner, sign_in):
    user, provider = owner
    sign_in(user)
    service = made_importable(json.loads(oruk_example("service_full.json")))
    content = json.dumps(service).encode()

    preview = upload(client, provider.id, content, "service_full.json")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html
    assert "Community Counselling" in html and "1 to create and 0 to update" in html
    assert confirm(client, provider.id, content, "json").status_code == 302

    db.session.expire_all()
    (listing,) = listings_of(provider)
    assert listing.status == ListingStatus.DRAFT
    assert listing.external_id == service["id"]
    assert listing.price_pence == 3500 and listing.price_unit == PriceUnit.SESSION
    assert listing.delivery_mode == DeliveryMode.VENUE
    assert listing.venue_address == "1-30 Main Street, MyCity"
    assert [c.slug for c in listing.categories] == ["talking-therapies"]
    assert [(r.weekday, r.start_time.hour, r.end_time.hour) for r in listing.availability] == [
        (3, 10, 18),
        (4, 10, 18),
    ]
    assert "induction loop" in listing.accessibility_notes


def test_the_oruk_example_service_list_imports_and_updates_by_service_id(owner):
    user, provider = owner
    feed = json.loads(oruk_example("service_list.json"))
    full = made_importable(json.loads(oruk_example("service_full.json")))
    for service in feed["contents"]:
        service.update({k: full[k] for k in ("attributes", "cost_options", "service_at_locations")})
    content = json.dumps(feed).encode()

    plan = plans.plan_import(provider, content, "json")
    assert plan.ok, plan.errors
    plans.apply_import(provider, plan, user)
    db.session.commit()
    (listing,) = listings_of(provider)
    assert listing.availability == []  # the list has no schedules

    again = plans.plan_import(provider, content, "json")
    assert again.ok and again.rows[0].existing is not None and again.counts == (0, 1)


# The command line


def test_the_command_line_dry_run_changes_nothing_and_apply_creates(app, owner, tmp_path):
    _, provider = owner
    path = tmp_path / "listings.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["directory", "import-listings", str(provider.id), str(path)])
    assert dry.exit_code == 0, dry.output
    assert "Home care visits" in dry.output and "3 to create, 0 to update" in dry.output
    assert "Dry run" in dry.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Listing)) == 0

    done = runner.invoke(
        args=["directory", "import-listings", str(provider.id), str(path), "--apply"]
    )
    assert done.exit_code == 0, done.output
    assert "3 created, 0 updated" in done.output
    db.session.expire_all()
    assert len(listings_of(provider)) == 3


def test_the_command_line_lists_errors_and_saves_nothing(app, owner, tmp_path):
    _, provider = owner
    path = tmp_path / "broken.csv"
    path.write_text(BROKEN_CSV, encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["directory", "import-listings", str(provider.id), str(path), "--apply"]
    )
    assert result.exit_code != 0
    assert "Row 5, price_unit: Enter hour, session or item" in result.output
    assert "Nothing was imported" in result.output
    db.session.expire_all()
    assert listings_of(provider) == []


def test_a_postcode_the_listing_editor_accepts_is_accepted_by_import(owner):
    _, provider = owner
    content = (HEADER + "Visits,Desc,homecare,21.50,hour,at_home,OL1,10,,,,,,,\n").encode()

    plan = plans.plan_import(provider, content, "csv")

    assert plan.errors == []
    assert plan.rows[0].details.postcode == "OL1"


def test_every_problem_of_a_row_is_listed_at_once_and_its_price_still_shows(client, owner, sign_in):
    user, provider = owner
    sign_in(user)
    content = (
        HEADER
        + "Visits,Desc,homecare,£12.50,hour,at_home,NOT A POSTCODE,5,,,,,,,\n"
        + 'Calls,Desc,homecare,"12,50",hour,at_home,NOT A POSTCODE,5,,,,,,,\n'
        + "Free,Desc,homecare,0,hour,online,,,,,,,,,\n"
    ).encode()

    plan = plans.plan_import(provider, content, "csv")
    html = upload(client, provider.id, content).get_data(as_text=True)

    assert {(e.row, e.field) for e in plan.errors} == {
        (2, "postcode"),
        (3, "price"),
        (3, "postcode"),
        (4, "price"),
    }
    assert "Enter a price of at least £1.00" in html
    assert "£12.50" in html and "Not checked" not in html


def test_the_import_page_lists_the_category_short_names(client, owner, sign_in):
    user, provider = owner
    sign_in(user)

    page = client.get(f"/provider/{provider.id}/import").get_data(as_text=True)

    assert "<code>homecare</code>" in page and "<code>dementia-support</code>" in page
