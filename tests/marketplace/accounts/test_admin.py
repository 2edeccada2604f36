"""Administrators add commissioning bodies and suspend or reactivate accounts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from marketplace import audit
from marketplace.accounts.models import Role, Tenant, TenantKind
from marketplace.audit import AuditEvent
from marketplace.extensions import db
from tests.conftest import PASSWORD
from tests.frozen import NOW


def test_admin_adds_a_commissioning_body_with_its_areas(client, sign_in, make_user):
    admin = make_user(Role.ADMIN)
    sign_in(admin)
    response = client.post(
        "/admin/tenants/new",
        data={"name": "Greater Manchester ICB", "kind": "icb", "areas": ["E08000003", "E08000004"]},
    )
    assert response.status_code == 302
    tenant = db.session.scalar(select(Tenant).where(Tenant.name == "Greater Manchester ICB"))
    assert tenant.kind == TenantKind.ICB
    assert sorted(a.name for a in tenant.areas) == ["Manchester", "Oldham"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "tenant.created"))
    assert event.actor_id == admin.id and event.tenant_id == tenant.id
    assert event.detail["areas"] == ["E08000003", "E08000004"]

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Greater Manchester ICB has been added" in page and "Oldham" in page
    audit = client.get("/admin/audit").get_data(as_text=True)
    assert "tenant.created" in audit and "Greater Manchester ICB" in audit


def test_the_areas_offered_are_councils_in_england_only(client, sign_in, make_user):
    sign_in(make_user(Role.ADMIN))
    form = client.get("/admin/tenants/new").get_data(as_text=True)
    assert "Oldham" in form and "Cornwall" in form
    assert "Aberdeen City" not in form and "Cardiff" not in form and "Antrim" not in form
    assert form.count('name="areas"') == 153  # England's upper-tier councils

    response = client.post(
        "/admin/tenants/new",
        data={"name": "Aberdeen HSCP", "kind": "council", "areas": ["S12000033"]},
    )
    assert response.status_code == 400
    assert db.session.scalar(select(Tenant)) is None


def test_tenant_form_shows_what_is_missing(client, sign_in, make_user):
    sign_in(make_user(Role.ADMIN))
    response = client.post("/admin/tenants/new", data={"name": ""})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Enter the name of the council or NHS body" in html
    assert "Select what kind of body it is" in html
    assert db.session.scalar(select(Tenant)) is None


def test_admin_suspends_a_user_and_their_session_ends(client, another_client, sign_in, make_user):
    admin = make_user(Role.ADMIN)
    holder = make_user(Role.HOLDER)
    holder_browser = another_client()
    holder_browser.post("/sign-in", data={"email": holder.email, "password": PASSWORD})
    assert holder_browser.get("/account").status_code == 200

    sign_in(admin)
    response = client.post(f"/admin/users/{holder.id}/active", data={"active": "0"})
    assert response.status_code == 302
    db.session.refresh(holder)
    assert holder.active is False
    assert holder_browser.get("/account").status_code == 302
    again = holder_browser.post("/sign-in", data={"email": holder.email, "password": PASSWORD})
    assert again.status_code == 400
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.suspended"))
    assert event.subject_id == holder.id and event.actor_id == admin.id
    assert event.tenant_id == holder.tenant_id
    assert "has been suspended" in client.get("/admin/users").get_data(as_text=True)

    client.post(f"/admin/users/{holder.id}/active", data={"active": "1"})
    db.session.refresh(holder)
    assert holder.active is True
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.reactivated"))
        is not None
    )


def test_admin_cannot_suspend_themselves(client, sign_in, make_user):
    admin = make_user(Role.ADMIN)
    sign_in(admin)
    response = client.post(
        f"/admin/users/{admin.id}/active", data={"active": "0"}, follow_redirects=True
    )
    assert "You cannot suspend your own account" in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.active is True


def test_users_page_lists_people_with_suspend_buttons(client, sign_in, make_user):
    sign_in(make_user(Role.ADMIN))
    holder = make_user(Role.HOLDER, full_name="Ada Holder")
    html = client.get("/admin/users").get_data(as_text=True)
    assert "Ada Holder" in html and holder.tenant.name in html
    assert f"/admin/users/{holder.id}/active" in html
    assert 'name="active" value="0"' in html


def test_audit_log_lists_events_newest_first_by_when_they_happened(client, sign_in, make_user):
    sign_in(make_user(Role.ADMIN))
    for action, days_ago in (("first.written", 1), ("second.written", 48), ("third.written", 5)):
        event = audit.record(action, "user", None, actor_id=None)
        event.at = NOW - timedelta(days=days_ago)
    db.session.commit()
    page = client.get("/admin/audit").get_data(as_text=True)
    assert page.index("first.written") < page.index("third.written") < page.index("second.written")
