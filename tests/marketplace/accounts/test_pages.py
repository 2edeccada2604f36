"""Every accounts, admin, commissioning and holder page renders for the people who may see it."""

from __future__ import annotations

import pytest

from marketplace.accounts.models import Role
from tests.marketplace.accounts.helpers import represent

PUBLIC_PAGES = ["/sign-in", "/forgot-password"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_account_pages_render(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("<h1") == 1


def test_holder_sees_their_account_dashboard_and_representatives(
    client, sign_in, make_user, make_tenant
):
    tenant = make_tenant(name="Oldham Council")
    holder = make_user(Role.HOLDER, tenant=tenant, full_name="Ada Holder")
    rep = make_user(Role.REPRESENTATIVE, tenant=tenant, full_name="Bea Helper")
    representation = represent(holder, rep)
    sign_in(holder)

    account = client.get("/account").get_data(as_text=True)
    assert "Ada Holder" in account and "Oldham Council" in account
    assert "Bea Helper" in account and "Daughter" in account
    assert f"/representations/{representation.id}/revoke" in account
    assert "/account/representatives/new" in account

    dashboard = client.get("/bookings/dashboard")
    assert dashboard.status_code == 200
    html = dashboard.get_data(as_text=True)
    assert "Hello, Ada Holder" in html and "You have no bookings yet" in html
    assert "Oldham Council" in html and "Bea Helper" in html

    for path in (
        "/account/password",
        "/account/representatives/new",
        f"/representations/{representation.id}/revoke",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.get_data(as_text=True).count("<h1") == 1


def test_representative_sees_the_holders_they_act_for(client, sign_in, make_user):
    holder = make_user(Role.HOLDER, full_name="Ada Holder")
    rep = make_user(Role.REPRESENTATIVE, tenant=holder.tenant, full_name="Bea Helper")
    represent(holder, rep)
    sign_in(rep)
    assert "Ada Holder" in client.get("/bookings/dashboard").get_data(as_text=True)
    assert "Ada Holder" in client.get("/account").get_data(as_text=True)


def test_representative_without_consent_sees_an_empty_state(client, sign_in, make_user):
    rep = make_user(Role.REPRESENTATIVE)
    sign_in(rep)
    html = client.get("/bookings/dashboard").get_data(as_text=True)
    assert "You do not act for anyone at the moment" in html


def test_commissioner_pages_render(client, sign_in, make_user, make_tenant):
    tenant = make_tenant(name="Oldham Council")
    commissioner = make_user(Role.COMMISSIONER, tenant=tenant)
    holder = make_user(Role.HOLDER, tenant=tenant, full_name="Ada Holder")
    represent(holder, make_user(Role.REPRESENTATIVE, tenant=tenant, full_name="Bea Helper"))
    sign_in(commissioner)

    html = client.get("/commissioning/").get_data(as_text=True)
    assert "Oldham Council" in html and "Oldham" in html
    assert f"/commissioning/holders/{holder.id}" in html
    assert "No open invitations" in html

    html = client.get(f"/commissioning/holders/{holder.id}").get_data(as_text=True)
    assert "Ada Holder" in html and "Bea Helper" in html
    assert f"/holders/{holder.id}/representatives/new" in html
    assert client.get(f"/holders/{holder.id}/representatives/new").status_code == 200
    assert client.get("/account").status_code == 200


def test_commissioner_dashboard_paginates_holders(client, sign_in, make_user, make_tenant):
    tenant = make_tenant()
    for n in range(30):
        make_user(Role.HOLDER, tenant=tenant, full_name=f"Holder {n:02d}")
    sign_in(make_user(Role.COMMISSIONER, tenant=tenant))
    first = client.get("/commissioning/").get_data(as_text=True)
    assert "Holder 00" in first and "Holder 29" not in first
    assert "govuk-pagination" in first and "page=2" in first
    second = client.get("/commissioning/?page=2").get_data(as_text=True)
    assert "Holder 29" in second and "Holder 00" not in second


def test_admin_list_of_users_paginates(client, sign_in, make_user):
    for n in range(30):
        make_user(Role.PROVIDER, full_name=f"Person {n:02d}")
    sign_in(make_user(Role.ADMIN, full_name="Zoe Admin"))
    first = client.get("/admin/users").get_data(as_text=True)
    assert "Person 00" in first and "Person 29" not in first
    assert "govuk-pagination" in first and "/admin/users?page=2" in first
    second = client.get("/admin/users?page=2").get_data(as_text=True)
    assert "Person 29" in second and "Person 00" not in second


def test_admin_pages_render(client, sign_in, make_user, make_tenant):
    tenant = make_tenant(name="Oldham Council")
    admin = make_user(Role.ADMIN, full_name="Ann Admin")
    make_user(Role.HOLDER, tenant=tenant)
    sign_in(admin)
    for path in (
        "/admin/",
        "/admin/tenants/new",
        f"/admin/tenants/{tenant.id}",
        "/admin/users",
        "/admin/audit",
        "/account",
        "/account/password",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.get_data(as_text=True).count("<h1") == 1, path
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert "Oldham Council" in dashboard and "Add a commissioning body" in dashboard
    assert "No events yet" in client.get("/admin/audit").get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.HOLDER, Role.REPRESENTATIVE, Role.PROVIDER])
def test_people_who_are_not_staff_cannot_reach_staff_pages(client, sign_in, make_user, role):
    sign_in(make_user(role))
    for path in ("/admin/", "/admin/users", "/admin/audit", "/commissioning/"):
        assert client.get(path).status_code == 403, path


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]
