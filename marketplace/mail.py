"""Email goes through an outbox table; a sender delivers it after the request commits.

With MAIL_SERVER set the sender speaks SMTP; without it (development) the message is written
to the application log so a developer can follow links such as invitations and password resets.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime
from email.message import EmailMessage

from flask import Response, current_app
from sqlalchemy import Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models_base import UTCDateTime, utcnow
from marketplace.transactions import unit_of_work

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


class OutboundEmail(db.Model):  # type: ignore[name-defined]
    __tablename__ = "outbound_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    template: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))


DEVELOPMENT_HOST = "127.0.0.1:5000"  # where `make run` serves when SERVER_NAME is unset


def link(endpoint: str, **values: object) -> str:
    """A full address for an email, built only from the settings (SERVER_NAME and
    PREFERRED_URL_SCHEME), never from the request's Host header, which a stranger chooses."""
    config = current_app.config
    adapter = current_app.url_map.bind(
        config.get("SERVER_NAME") or DEVELOPMENT_HOST,
        script_name=config.get("APPLICATION_ROOT") or "/",
        url_scheme=config.get("PREFERRED_URL_SCHEME") or "http",
    )
    return adapter.build(endpoint, values, force_external=True)


def queue_email(to_address: str, subject: str, body_text: str, *, template: str) -> OutboundEmail:
    """Add a message to the outbox; it is sent only if the surrounding transaction commits."""
    message = OutboundEmail(
        to_address=to_address, subject=subject, body_text=body_text, template=template
    )
    db.session.add(message)
    return message


def _deliver(message: OutboundEmail) -> None:
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        log.info(
            "email (not sent: MAIL_SERVER unset) template=%s subject=%s\n%s",
            message.template,
            message.subject,
            message.body_text,
        )
        return
    email = EmailMessage()
    email["From"] = config["MAIL_SENDER"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email.set_content(message.body_text)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(email)


def send_pending(limit: int = 100, only_ids: list[int] | None = None) -> int:
    """Send what the outbox holds, oldest first. Returns how many were sent; each message is
    its own unit of work (sent or not, its attempt is kept)."""
    query = select(OutboundEmail).where(
        OutboundEmail.sent_at.is_(None), OutboundEmail.attempts < MAX_ATTEMPTS
    )
    if only_ids is not None:
        query = query.where(OutboundEmail.id.in_(only_ids))
    pending = db.session.scalars(query.order_by(OutboundEmail.id).limit(limit)).all()
    sent = 0
    for message in pending:
        with unit_of_work():
            sent += _attempt(message)
    return sent


def _attempt(message: OutboundEmail) -> int:
    """Try to send one message, counting the attempt; 1 when it went, 0 when it did not."""
    message.attempts += 1
    try:
        _deliver(message)
    except (OSError, smtplib.SMTPException) as error:
        message.last_error = f"{type(error).__name__}: {error}"[:500]
        log.warning("email %s not sent (attempt %s): %s", message.id, message.attempts, error)
        return 0
    message.sent_at = utcnow()
    return 1


# Messages queued in a request are sent once the request's transaction has committed,
# so a rolled-back change never sends an email about itself.


def _pending_ids() -> list[int]:
    from flask import g, has_request_context

    if not has_request_context():
        return []
    return g.setdefault("mail_pending_ids", [])


_listening = False


def listen_for_commits() -> None:
    from flask import g, has_request_context
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    global _listening
    if _listening:
        return
    _listening = True

    @event.listens_for(Session, "after_flush")
    def _collect(session: Session, _context: object) -> None:
        ids = _pending_ids()
        ids.extend(obj.id for obj in session.new if isinstance(obj, OutboundEmail))

    @event.listens_for(Session, "after_commit")
    def _ready(session: Session) -> None:
        if has_request_context():
            g.setdefault("mail_ready_ids", []).extend(g.pop("mail_pending_ids", []))

    @event.listens_for(Session, "after_soft_rollback")
    def _forget(session: Session, _previous: object) -> None:
        if has_request_context():
            g.pop("mail_pending_ids", None)


def deliver_after_request(response: Response) -> Response:
    from flask import g

    from marketplace.worker.queue import hand_off

    ready = g.pop("mail_ready_ids", [])
    if ready and not hand_off("send_mail", ready):
        send_pending(only_ids=ready)
    return response
