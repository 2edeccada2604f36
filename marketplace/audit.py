"""The audit log: who changed roles, tenants, consent, verification or money rules, and when.

Rows are only ever added. `detail` holds ids and codes, not personal data.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models_base import UTCDateTime, utcnow

_SNAKE = re.compile(r"(?<=[a-z])(?=[A-Z])")  # PayoutRun -> Payout_Run


class AuditEvent(db.Model):  # type: ignore[name-defined]
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    action: Mapped[str] = mapped_column(String(80), index=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int | None]
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor = relationship("User", foreign_keys=[actor_id])


def record(
    action: str,
    subject_type: str,
    subject_id: int | None,
    *,
    actor_id: int | None,
    tenant_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add one audit row to the session. The caller's transaction commits it with the change."""
    event = AuditEvent(
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        actor_id=actor_id,
        tenant_id=tenant_id,
        detail=detail,
    )
    db.session.add(event)
    return event


def note(
    action: str, subject: Any, actor: Any | None, *, tenant_id: int | None = None, **detail: Any
) -> AuditEvent:
    """Record `action` on `subject` (a row: its kind and id are kept) by `actor` (a User, or None
    for the service itself). The event belongs to `tenant_id`, or else to the subject's tenant."""
    return record(
        action,
        _SNAKE.sub("_", type(subject).__name__).lower(),
        subject.id,
        actor_id=actor.id if actor is not None else None,
        tenant_id=tenant_id if tenant_id is not None else getattr(subject, "tenant_id", None),
        **detail,
    )
