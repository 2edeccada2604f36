"""Uploads: type read from the content, size capped, and only the right people see them."""

from __future__ import annotations

import gc
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Role
from marketplace.extensions import db
from provider_onboarding.models import ProviderDocument

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64  # a Windows program


def upload(client, content: bytes, name: str, kind: str = "dbs"):
    return client.post(
        "/provider/documents",
        data={"kind": kind, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


@pytest.fixture()
def owner(make_user, make_provider, sign_in):
    user = make_user(Role.PROVIDER)
    make_provider(owner=user)
    sign_in(user)
    return user


def document_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ProviderDocument))


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (PDF, "dbs.pdf", "application/pdf"),
        (PNG, "scan.png", "image/png"),
        (JPEG, "photo.jpeg", "image/jpeg"),
    ],
)
def test_pdf_png_and_jpeg_are_stored_under_a_random_name(
    app, client, owner, content, name, content_type
):
    response = upload(client, content, name)

    assert response.status_code == 302
    document = db.session.scalar(select(ProviderDocument))
    assert document.original_name == name and document.content_type == content_type
    assert document.size_bytes == len(content) and len(document.sha256) == 64
    assert document.stored_name != name and len(document.stored_name) == 32
    stored = Path(app.instance_path) / "uploads" / document.stored_name
    assert stored.read_bytes() == content
    assert "static" not in str(stored)


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (EXECUTABLE, "certificate.pdf"),  # a program renamed .pdf
        (b"just some text", "notes.pdf"),
        (b"<html><script>alert(1)</script>", "page.png"),
    ],
)
def test_a_file_whose_content_is_not_pdf_png_or_jpeg_is_refused(client, owner, content, name):
    response = upload(client, content, name)

    assert response.status_code == 400
    assert "The selected file must be a PDF, JPG or PNG" in response.get_data(as_text=True)
    assert document_count() == 0


def test_a_file_over_10_mb_is_refused_with_a_message(client, owner):
    response = upload(client, PDF + b"0" * (10 * 1024 * 1024), "big.pdf")

    assert response.status_code == 400
    assert "must be smaller than 10 MB" in response.get_data(as_text=True)
    assert document_count() == 0


# Werkzeug stops reading a body over MAX_CONTENT_LENGTH and leaves its temporary file to the
# garbage collector; collect it here so the warning belongs to this test.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_a_huge_body_gets_the_413_page_in_the_sites_look(client, owner):
    response = upload(client, PDF + b"0" * (12 * 1024 * 1024), "huge.pdf")
    gc.collect()

    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "The file is too large" in page and "govuk-template" in page
    assert document_count() == 0


def test_no_file_is_refused(client, owner):
    response = client.post("/provider/documents", data={"kind": "dbs"})
    assert response.status_code == 400
    assert "Select a file" in response.get_data(as_text=True)


def test_download_is_an_attachment_for_the_owner_and_the_tenants_commissioners_only(
    client, make_user, make_provider, make_tenant, sign_in
):
    tenant = make_tenant()
    owner = make_user(Role.PROVIDER)
    make_provider(owner=owner, tenant_id=tenant.id)
    sign_in(owner)
    upload(client, PDF, "dbs.pdf")
    document = db.session.scalar(select(ProviderDocument))
    url = f"/provider/documents/{document.id}"

    own = client.get(url)
    assert own.status_code == 200 and own.data == PDF
    assert own.headers["Content-Type"] == "application/pdf"
    assert own.headers["Content-Disposition"].startswith("attachment")
    own.close()

    for person, expected in [
        (make_user(Role.COMMISSIONER, tenant=tenant), 200),
        (make_user(Role.ADMIN), 200),
        (make_user(Role.COMMISSIONER), 404),  # another council
        (make_user(Role.PROVIDER), 404),  # another provider's account
    ]:
        client.post("/sign-out")
        sign_in(person)
        response = client.get(url)
        response.close()
        assert response.status_code == expected, person.role


def test_an_empty_file_is_refused_as_empty(client, owner):
    response = upload(client, b"", "certificate.pdf")

    assert response.status_code == 400
    assert "The file is empty" in response.get_data(as_text=True)
    assert document_count() == 0


def test_a_small_file_is_listed_as_less_than_1_kb(client, owner):
    upload(client, PDF, "certificate.pdf")

    page = client.get("/provider/documents").get_data(as_text=True)

    assert "less than 1 KB" in page and "0 KB" not in page
