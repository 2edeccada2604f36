"""A provider's own details: names, contacts, address and postcode, and which changes send a
verified provider back to be checked.

Services flush and never commit; the view commits once.
"""

from __future__ import annotations

from dataclasses import dataclass

from marketplace import audit
from marketplace.accounts.models import User
from marketplace.directory.models import Provider, ProviderKind, VerificationStatus
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.search.geo import Place, PostcodeError, locate, normalise
from marketplace.transactions import atomic
from provider_onboarding.verification import Decision, Move, apply_move

# What the checkers approved a provider as: changing any of these after approval sends the
# provider back to be checked (its listings leave search until it is approved again). Phone,
# email, website, trading name and address are the provider's to change at any time.
CHECKED_DETAILS = {"kind": "kind of provider", "legal_name": "legal name", "postcode": "postcode"}
FULL_POSTCODE = "Enter a full UK postcode, like OL1 1AA"


def place_of(text: str, *, full: bool) -> Place:
    """Where a typed postcode is, from the service's postcode data. With `full`, only a whole
    postcode (OL1 1AA) will do; otherwise its first part (OL1) is enough. Raises DomainError on
    the postcode field when it is malformed or is not a real place."""
    try:
        normal = normalise(text)
    except PostcodeError as error:
        raise DomainError(FULL_POSTCODE if full else error.message, field="postcode") from None
    if full and " " not in normal:
        raise DomainError(FULL_POSTCODE, field="postcode")
    try:
        return locate(normal)
    except PostcodeError as error:
        raise DomainError(error.message, field="postcode") from None


@dataclass(frozen=True)
class ProviderDetails:
    kind: ProviderKind
    legal_name: str
    trading_name: str | None
    contact_phone: str
    contact_email: str | None
    website: str | None
    address_line: str | None
    town: str | None
    postcode: str


@atomic
def update_details(provider: Provider, details: ProviderDetails, actor: User) -> list[str]:
    """Save the provider's details, with an audit row naming the fields changed. A verified
    provider that changed a checked detail (see CHECKED_DETAILS) goes back to be checked.
    Returns the checked details changed, in words, when that sent the provider back (else []).
    Raises DomainError on the postcode field when it is not a real full postcode."""
    place = place_of(details.postcode, full=True)
    new = {
        "kind": details.kind,
        "legal_name": details.legal_name.strip(),
        "trading_name": _text(details.trading_name),
        "contact_phone": details.contact_phone.strip(),
        "contact_email": _text(details.contact_email),
        "website": _text(details.website),
        "address_line": _text(details.address_line),
        "town": _text(details.town),
        "postcode": place.postcode,
    }
    changed = [name for name, value in new.items() if getattr(provider, name) != value]
    for name in changed:
        setattr(provider, name, new[name])
    provider.latitude, provider.longitude = place.point.latitude, place.point.longitude
    if changed:
        audit.record(
            "provider.details.changed", "provider", provider.id, actor_id=actor.id, fields=changed
        )
    checked = [words for name, words in CHECKED_DETAILS.items() if name in changed]
    if not checked or provider.verification_status != VerificationStatus.VERIFIED:
        db.session.flush()
        return []
    reason = "The provider changed its " + " and ".join(checked) + " after it was verified"
    apply_move(provider, Decision(Move.RECHECK, reason), actor)
    return checked


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None
