"""Small helpers for the accounts tests: read emailed links, make consent records."""

from __future__ import annotations

import re

from sqlalchemy import select

from marketplace.accounts.models import ConsentMethod, Representation, User
from marketplace.extensions import db
from marketplace.mail import OutboundEmail

LINK = re.compile(r"https?://\S+")


def emails_to(address: str) -> list[OutboundEmail]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboundEmail)
            .where(OutboundEmail.to_address == address)
            .order_by(OutboundEmail.id)
        )
    )


def last_link_to(address: str) -> str:
    """The path of the link in the newest email to `address` (what a person would click)."""
    message = emails_to(address)[-1]
    url = LINK.search(message.body_text)
    assert url is not None, message.body_text
    return url.group(0).removeprefix("http://localhost")


def represent(
    holder: User, representative: User, method: ConsentMethod = ConsentMethod.HOLDER_ONLINE
) -> Representation:
    representation = Representation(
        holder_id=holder.id,
        representative_id=representative.id,
        relationship_to_holder="Daughter",
        consent_method=method,
        consent_recorded_by_id=holder.id,
    )
    db.session.add(representation)
    db.session.commit()
    return representation
