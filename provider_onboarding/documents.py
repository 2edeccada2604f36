"""Documents a provider uploads: type checked from the content, stored outside the web root
under a random name, shown only to the provider's own staff and the commissioners who check it.

Services flush and never commit; the view commits once. A file written for a transaction that
then fails stays on disk unreferenced; it is never served.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select

from marketplace import audit
from marketplace.accounts.models import User
from marketplace.directory.models import Provider
from marketplace.directory.services import is_provider_staff
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import db
from marketplace.transactions import atomic, locked
from provider_onboarding.models import DocumentKind, ProviderDocument
from provider_onboarding.verification import may_decide

MAX_BYTES = 10 * 1024 * 1024
# Magic bytes at the start of each allowed file, and the type we store and serve it as.
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
WRONG_TYPE = "The selected file must be a PDF, JPG or PNG"
TOO_BIG = "The selected file must be smaller than 10 MB"


@dataclass(frozen=True)
class Upload:
    filename: str
    stream: BinaryIO


def detect_type(head: bytes) -> str | None:
    """The content type the file's first bytes prove, or None when they prove none we take."""
    for magic, content_type in SIGNATURES:
        if head.startswith(magic):
            return content_type
    return None


@atomic
def store_document(
    provider: Provider, kind: DocumentKind, upload: Upload, actor: User, folder: Path
) -> ProviderDocument:
    """Check the file's content and size, write it under a random name in `folder`, and record
    it with its original name, size, type and sha256. Raises DomainError on the `file` field for
    an empty, too large or wrongly typed file."""
    data = upload.stream.read(MAX_BYTES + 1)
    if not data:
        raise DomainError("The file is empty", field="file")
    if len(data) > MAX_BYTES:
        raise DomainError(TOO_BIG, field="file")
    content_type = detect_type(data[:16])
    if content_type is None:
        raise DomainError(WRONG_TYPE, field="file")
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16)
    (folder / stored_name).write_bytes(data)
    document = ProviderDocument(
        provider_id=provider.id,
        kind=kind,
        original_name=Path(upload.filename or "document").name[:255],
        stored_name=stored_name,
        content_type=content_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=actor.id,
    )
    db.session.add(document)
    db.session.flush()
    audit.record(
        "provider.document.uploaded", "provider", provider.id, actor_id=actor.id, kind=kind.value
    )
    return document


def documents_of(provider: Provider) -> list[ProviderDocument]:
    return list(
        db.session.scalars(
            select(ProviderDocument)
            .where(ProviderDocument.provider_id == provider.id)
            .order_by(ProviderDocument.uploaded_at, ProviderDocument.id)
        )
    )


def document_for(viewer: User, document_id: int) -> ProviderDocument:
    """The document if the viewer is its provider's staff or may check its provider (admins and
    the tenant's commissioners). Raises NotFound otherwise, so others learn nothing."""
    document = db.session.get(ProviderDocument, document_id)
    if document is None:
        raise NotFound("Document not found")
    if is_provider_staff(viewer, document.provider) or may_decide(viewer, document.provider):
        return document
    raise NotFound("Document not found")


@atomic
def delete_document(provider: Provider, document_id: int, actor: User, folder: Path) -> None:
    """Remove one of the provider's documents and its file. Raises NotFound."""
    document = locked(ProviderDocument, document_id)
    if document is None or document.provider_id != provider.id:
        raise NotFound("Document not found")
    db.session.delete(document)
    audit.record(
        "provider.document.removed",
        "provider",
        provider.id,
        actor_id=actor.id,
        kind=document.kind.value,
    )
    db.session.flush()
    (folder / document.stored_name).unlink(missing_ok=True)
