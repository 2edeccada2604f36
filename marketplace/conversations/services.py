"""Conversations: who may read and write them, sending, reading marks, reports and blocks.

A conversation is between a budget holder and a provider. On the holder's side the holder and
any representative whose consent stands may read and write; on the provider's side its staff.
Nobody else may know it exists (NotFound), except that once someone in it reports it, the
commissioners of the holder's council or ICB and administrators may read it, and every such
reading is in the audit log. Emails say that a message came and from whom, never what it says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import and_, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from marketplace import audit
from marketplace.accounts.access import commissions
from marketplace.accounts.models import Representation, Role, User
from marketplace.accounts.services import holders_represented_by, may_act_for
from marketplace.bookings import notifications as booking_notices
from marketplace.bookings.models import Booking, BookingState, Offer, OfferState
from marketplace.bookings.states import AlreadyMoved, MoveNotAllowed, Side, move_booking
from marketplace.conversations import blocks
from marketplace.conversations import notifications as notify
from marketplace.conversations.models import (
    MAX_MESSAGE_LENGTH,
    MAX_REASON_LENGTH,
    Conversation,
    ConversationRead,
    ConversationReport,
    Message,
    Party,
    ProviderBlock,
)
from marketplace.directory.models import Provider, ProviderMember
from marketplace.directory.services import is_provider_staff
from marketplace.errors import DomainError, NotAllowed, NotFound
from marketplace.extensions import db
from marketplace.meetings import services as meetings
from marketplace.meetings.models import Meeting
from marketplace.models_base import utcnow
from marketplace.transactions import atomic, take_turns

PAGE_SIZE = 20
RATE_LIMIT = 20  # messages one person may send …
RATE_WINDOW = timedelta(minutes=10)  # … in this long


class SendingTooFast(DomainError):
    """The person sent RATE_LIMIT messages within RATE_WINDOW."""


@dataclass(frozen=True)
class Reader:
    """How someone reads a conversation: as one of its parties, or looking into a report."""

    party: Party | None  # None: a commissioner or administrator reading a reported one

    @property
    def overseeing(self) -> bool:
        return self.party is None


# Who may see what.


def party_of(user: User, conversation: Conversation) -> Party | None:
    """The side `user` writes for in this conversation, or None when they are not in it."""
    if user.role in (Role.HOLDER, Role.REPRESENTATIVE) and may_act_for(user, conversation.holder):
        return Party.HOLDER
    if user.role == Role.PROVIDER and is_provider_staff(user, conversation.provider):
        return Party.PROVIDER
    return None


def is_reported(conversation: Conversation) -> bool:
    return bool(
        db.session.scalar(
            select(exists().where(ConversationReport.conversation_id == conversation.id))
        )
    )


def may_oversee(user: User, conversation: Conversation) -> bool:
    """Commissioners of the holder's council or ICB, and administrators, once it is reported."""
    if user.role == Role.ADMIN:
        return is_reported(conversation)
    if user.role != Role.COMMISSIONER:
        return False
    reported_here = db.session.scalar(
        select(
            exists().where(
                ConversationReport.conversation_id == conversation.id,
                ConversationReport.tenant_id == user.tenant_id,
            )
        )
    )
    return bool(reported_here) and commissions(user, conversation.holder.tenant_id)


def reader_of(user: User, conversation: Conversation) -> Reader:
    """How `user` may read the conversation. Raises NotFound for anyone else, so nobody can
    tell a conversation that is not theirs from one that does not exist."""
    party = party_of(user, conversation)
    if party is not None:
        return Reader(party)
    if may_oversee(user, conversation):
        return Reader(None)
    raise NotFound("This conversation is not one you can see")


def open_conversation(user: User, conversation: Conversation) -> Reader:
    """`user` opens the conversation to read it: a party's reading mark moves to its newest
    message; a commissioner's or administrator's reading is written in the audit log. Raises
    NotFound as reader_of does."""
    reader = reader_of(user, conversation)
    if reader.overseeing:
        audit.note(
            "conversation.read_after_report",
            conversation,
            user,
            tenant_id=conversation.holder.tenant_id,
            role=user.role.value,
        )
    else:
        mark_read(user, conversation)
    return reader


def mark_read(user: User, conversation: Conversation) -> None:
    """Everything in the conversation up to now counts as read by `user`."""
    newest = db.session.scalar(
        select(func.max(Message.id)).where(Message.conversation_id == conversation.id)
    )
    mark = db.session.scalar(
        select(ConversationRead).where(
            ConversationRead.conversation_id == conversation.id,
            ConversationRead.user_id == user.id,
        )
    )
    if mark is None:
        try:
            with db.session.begin_nested():  # two tabs opened at once: one mark is kept
                db.session.add(
                    ConversationRead(
                        conversation_id=conversation.id,
                        user_id=user.id,
                        last_read_message_id=newest or 0,
                    )
                )
        except IntegrityError:
            return
    elif (newest or 0) > mark.last_read_message_id:
        mark.last_read_message_id = newest or 0
    db.session.flush()


def _visible_to(user: User) -> ColumnElement[bool]:
    """The conversations `user` is a party to, as a condition on Conversation."""
    if user.role == Role.HOLDER:
        return Conversation.holder_id == user.id
    if user.role == Role.REPRESENTATIVE:
        return Conversation.holder_id.in_(
            select(Representation.holder_id).where(
                Representation.representative_id == user.id,
                Representation.revoked_at.is_(None),
            )
        )
    if user.role == Role.PROVIDER:
        return Conversation.provider_id.in_(
            select(ProviderMember.provider_id).where(ProviderMember.user_id == user.id)
        )
    return Conversation.id.is_(None)  # nobody else is a party to any


def _unread_messages(user: User) -> ColumnElement[bool]:
    """Messages the other side sent that `user` has not read yet, as a condition on Message."""
    read_up_to = (
        select(ConversationRead.last_read_message_id)
        .where(
            ConversationRead.conversation_id == Message.conversation_id,
            ConversationRead.user_id == user.id,
        )
        .scalar_subquery()
    )
    side = Party.HOLDER if user.role in (Role.HOLDER, Role.REPRESENTATIVE) else Party.PROVIDER
    return and_(Message.party != side, Message.id > func.coalesce(read_up_to, 0))


def unread_count(user: User) -> int:
    """How many messages from the other side `user` has not read, in all their conversations."""
    if user.role not in (Role.HOLDER, Role.REPRESENTATIVE, Role.PROVIDER):
        return 0
    return (
        db.session.scalar(
            select(func.count(Message.id))
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(_visible_to(user), _unread_messages(user))
        )
        or 0
    )


@dataclass(frozen=True)
class InboxRow:
    conversation: Conversation
    unread: int
    last: Message | None


def inbox(user: User, page: int) -> tuple[Pagination, list[InboxRow]]:
    """The conversations `user` is a party to, the newest message first, a page at a time."""
    found = db.paginate(
        select(Conversation)
        .where(_visible_to(user))
        .order_by(Conversation.last_message_at.desc(), Conversation.id.desc()),
        page=page,
        per_page=PAGE_SIZE,
        error_out=False,
    )
    ids = [c.id for c in found.items]
    unread: dict[int, int] = {
        conversation_id: count
        for conversation_id, count in db.session.execute(
            select(Message.conversation_id, func.count(Message.id))
            .where(Message.conversation_id.in_(ids), _unread_messages(user))
            .group_by(Message.conversation_id)
        )
    }
    rows = [InboxRow(c, int(unread.get(c.id, 0)), _last_message(c)) for c in found.items]
    return found, rows


def _last_message(conversation: Conversation) -> Message | None:
    return db.session.scalar(
        select(Message)
        .where(Message.conversation_id == conversation.id)
        .order_by(Message.id.desc())
        .limit(1)
    )


def messages(conversation: Conversation, page: int) -> Pagination:
    """The conversation's messages, the newest page first (each page reads oldest first once
    the template reverses it)."""
    return db.paginate(
        select(Message)
        .where(Message.conversation_id == conversation.id)
        .order_by(Message.id.desc()),
        page=page,
        per_page=PAGE_SIZE,
        error_out=False,
    )


def latest_messages(conversation: Conversation, count: int) -> list[Message]:
    """The last `count` messages, oldest first."""
    newest = db.session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation.id)
        .order_by(Message.id.desc())
        .limit(count)
    ).all()
    return list(reversed(newest))


def between(holder: User, provider: Provider) -> Conversation | None:
    return db.session.scalar(
        select(Conversation).where(
            Conversation.holder_id == holder.id, Conversation.provider_id == provider.id
        )
    )


# Writing.


def check_text(body: str) -> str:
    """The message as typed. Raises DomainError when it is empty or too long."""
    if not body.strip():
        raise DomainError("Enter your message", field="body")
    if len(body) > MAX_MESSAGE_LENGTH:
        raise DomainError(
            f"Keep your message to {MAX_MESSAGE_LENGTH:,} characters or fewer", field="body"
        )
    return body


def _check_rate(sender: User) -> None:
    """Counted in the database, so the limit holds across every web process. The sender's row
    is locked first: of two messages sent at once, the second counts the first."""
    db.session.execute(select(User.id).where(User.id == sender.id).with_for_update())
    since = utcnow() - RATE_WINDOW
    sent = db.session.scalar(
        select(func.count(Message.id)).where(
            Message.sender_id == sender.id, Message.sent_at > since
        )
    )
    if (sent or 0) >= RATE_LIMIT:
        minutes = int(RATE_WINDOW.total_seconds() // 60)
        raise SendingTooFast(
            f"You have sent {RATE_LIMIT} messages in the last {minutes} minutes. Wait a few "
            "minutes, then send your message again. Nothing you wrote has been lost: it is "
            "still in the box below.",
            field="body",
        )


@atomic
def send(
    sender: User, conversation: Conversation, body: str, booking_id: int | None = None
) -> Message:
    """Add the sender's message, exactly as typed, and tell the other side by email (without
    the text). Raises NotFound when the sender is not in the conversation, DomainError when the
    text is empty or too long or the holder has blocked the provider, and SendingTooFast when
    the sender has sent too many lately."""
    party = party_of(sender, conversation)
    if party is None:
        raise NotFound("This conversation is not one you can see")
    text = check_text(body)
    if party == Party.PROVIDER:
        blocks.refuse_if_blocked(
            conversation.holder_id, conversation.provider_id, blocks.MESSAGE_REFUSED
        )
    _check_rate(sender)
    message = Message(
        conversation_id=conversation.id,
        sender_id=sender.id,
        party=party,
        body=text,
        booking_id=_booking_of(conversation, booking_id),
    )
    db.session.add(message)
    conversation.last_message_at = message.sent_at = utcnow()
    db.session.flush()
    mark_read(sender, conversation)
    notify.new_message(message, conversation)
    return message


def _booking_of(conversation: Conversation, booking_id: int | None) -> int | None:
    """The booking a message is about, when it is one between the conversation's two sides."""
    if booking_id is None:
        return None
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        return None
    same = (booking.holder_id, booking.provider_id)
    return booking.id if same == (conversation.holder_id, conversation.provider_id) else None


@atomic
def start(
    sender: User, holder: User, provider: Provider, body: str, booking_id: int | None = None
) -> Conversation:
    """Send a first message between the holder's side and the provider, in their conversation
    (made now if they have none). A provider's staff may write first only about a booking
    between them. Raises NotAllowed when the sender may not write for either side, and what
    `send` raises."""
    on_holder_side = sender.role in (Role.HOLDER, Role.REPRESENTATIVE) and may_act_for(
        sender, holder
    )
    on_provider_side = (
        sender.role == Role.PROVIDER
        and is_provider_staff(sender, provider)
        and _have_a_booking(holder, provider)
    )
    if holder.role != Role.HOLDER or not (on_holder_side or on_provider_side):
        raise NotAllowed("You cannot start this conversation")
    if not provider.has_joined:
        raise DomainError("This provider has not joined the service yet, so cannot get messages")
    check_text(body)
    conversation = between(holder, provider) or _new_conversation(sender, holder, provider)
    send(sender, conversation, body, booking_id)
    return conversation


def _have_a_booking(holder: User, provider: Provider) -> bool:
    """Whether the holder has ever asked the provider for a booking: a provider writes first
    only to people who came to them."""
    found = db.session.scalar(
        select(exists().where(Booking.holder_id == holder.id, Booking.provider_id == provider.id))
    )
    return bool(found)


def _new_conversation(sender: User, holder: User, provider: Provider) -> Conversation:
    """Made in a savepoint: of two first messages sent at once, the second finds the first's."""
    conversation = Conversation(
        holder_id=holder.id, provider_id=provider.id, started_by_id=sender.id
    )
    try:
        with db.session.begin_nested():
            db.session.add(conversation)
    except IntegrityError:
        found = between(holder, provider)
        assert found is not None
        return found
    return conversation


# Safeguarding.


def check_reason(reason: str) -> str:
    given = reason.strip()
    if not given:
        raise DomainError("Tell us what worries you about this conversation", field="reason")
    if len(given) > MAX_REASON_LENGTH:
        raise DomainError(
            f"Keep the reason to {MAX_REASON_LENGTH:,} characters or fewer", field="reason"
        )
    return given


@atomic
def report(reporter: User, conversation: Conversation, reason: str) -> ConversationReport:
    """Someone in the conversation asks the holder's council or ICB to look at it: from now on
    its commissioners (and administrators) may read it. The commissioners are emailed that a
    report came, with no names or text. Raises NotFound for anyone not in it."""
    if party_of(reporter, conversation) is None:
        raise NotFound("This conversation is not one you can see")
    given = check_reason(reason)
    tenant_id = conversation.holder.tenant_id
    made = ConversationReport(
        conversation_id=conversation.id,
        reported_by_id=reporter.id,
        tenant_id=tenant_id,
        reason=given,
    )
    db.session.add(made)
    db.session.flush()
    audit.note("conversation.reported", conversation, reporter, tenant_id=tenant_id)
    notify.reported(made)
    return made


def reports_for(user: User, page: int) -> Pagination:
    """Reports a commissioner (their council's or ICB's) or an administrator (all) may look
    into, the newest first. Raises NotAllowed for anyone else."""
    query = select(ConversationReport).order_by(
        ConversationReport.created_at.desc(), ConversationReport.id.desc()
    )
    if user.role == Role.COMMISSIONER:
        query = query.where(ConversationReport.tenant_id == user.tenant_id)
    elif user.role != Role.ADMIN:
        raise NotAllowed("Only commissioners and administrators see reports")
    return db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)


def reports_waiting(user: User) -> int:
    """How many reports this commissioner or administrator may look into."""
    if user.role not in (Role.COMMISSIONER, Role.ADMIN):
        return 0
    query = select(func.count(ConversationReport.id))
    if user.role == Role.COMMISSIONER:
        query = query.where(ConversationReport.tenant_id == user.tenant_id)
    return db.session.scalar(query) or 0


def reports_of(conversation: Conversation) -> list[ConversationReport]:
    return list(
        db.session.scalars(
            select(ConversationReport)
            .where(ConversationReport.conversation_id == conversation.id)
            .order_by(ConversationReport.id)
        )
    )


def _holder_side(user: User, conversation: Conversation) -> None:
    party = party_of(user, conversation)
    if party is None:
        raise NotFound("This conversation is not one you can see")
    if party != Party.HOLDER:
        raise NotAllowed("Only the budget holder, or someone acting for them, can do this")


@dataclass(frozen=True)
class Withdrawn:
    """What blocking withdrew: booking requests (with any offer on them) and first meetings."""

    bookings: int
    meetings: int


@dataclass(frozen=True)
class ToWithdraw:
    """What blocking the provider would withdraw now, for the page that asks to confirm."""

    requests: list[Booking]  # waiting for the provider's answer
    offers: list[Booking]  # the provider's new price, waiting for the holder's side's answer
    meetings: list[Meeting]  # first meetings asked for, with a time suggested, or agreed

    @property
    def nothing(self) -> bool:
        return not (self.requests or self.offers or self.meetings)


def to_withdraw(conversation: Conversation) -> ToWithdraw:
    """What `block` would withdraw if the holder's side blocked the provider now."""
    waiting = _waiting_requests(conversation)
    offered = set(
        db.session.scalars(
            select(Offer.booking_id).where(
                Offer.booking_id.in_([b.id for b in waiting]), Offer.state == OfferState.OPEN
            )
        )
    )
    return ToWithdraw(
        requests=[b for b in waiting if b.id not in offered],
        offers=[b for b in waiting if b.id in offered],
        meetings=meetings.open_between(conversation.holder_id, conversation.provider_id),
    )


@atomic
def block(user: User, conversation: Conversation) -> Withdrawn | None:
    """The holder's side blocks the provider: no messages, booking requests, offers or first
    meetings between them until unblocked. The holder's requests still waiting for an answer
    (the provider's, or the holder's side's on an offer) are withdrawn, and their first
    meetings still to come cancelled, so a blocked provider takes nothing up; unblocking brings
    none of them back. What was withdrawn, or None when the provider was already blocked (a
    second click). Raises NotFound for anyone not in it and NotAllowed for the provider's side."""
    _holder_side(user, conversation)
    take_turns(conversation)  # of two clicks at once, the second sees the first's block
    if blocks.is_blocked(conversation.holder_id, conversation.provider_id):
        return None
    made = ProviderBlock(
        holder_id=conversation.holder_id,
        provider_id=conversation.provider_id,
        blocked_by_id=user.id,
    )
    db.session.add(made)
    db.session.flush()
    audit.note(
        "provider.blocked",
        made,
        user,
        tenant_id=conversation.holder.tenant_id,
        provider_id=conversation.provider_id,
    )
    return Withdrawn(
        bookings=_withdraw_waiting(user, conversation),
        meetings=meetings.withdraw_on_block(user, conversation.holder_id, conversation.provider_id),
    )


def _waiting_requests(conversation: Conversation) -> list[Booking]:
    return list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.holder_id == conversation.holder_id,
                Booking.provider_id == conversation.provider_id,
                Booking.state == BookingState.REQUESTED,
            )
            .order_by(Booking.id)
        )
    )


def _withdraw_waiting(user: User, conversation: Conversation) -> int:
    """Withdraw the holder's booking requests nobody has answered, with any offer on them (no
    money is held for a request). One the provider answered a moment before stays as answered:
    the holder can cancel it as any booking."""
    withdrawn = 0
    for booking in _waiting_requests(conversation):
        try:
            move_booking(
                booking,
                BookingState.CANCELLED_BY_HOLDER,
                side=Side.HOLDER,
                actor_id=user.id,
                reason=blocks.WITHDRAWN_ON_BLOCK,
            )
        except (AlreadyMoved, MoveNotAllowed):
            continue
        _withdraw_offers(booking)
        booking_notices.cancelled(booking, by_provider=False)
        withdrawn += 1
    return withdrawn


def _withdraw_offers(booking: Booking) -> None:
    for offer in booking.offers:
        if offer.state == OfferState.OPEN:
            offer.state = OfferState.WITHDRAWN


@atomic
def unblock(user: User, conversation: Conversation) -> bool:
    """The holder's side lifts its block. True when it was lifted now, False when there was
    none. Raises as `block` does."""
    _holder_side(user, conversation)
    take_turns(conversation)
    found = db.session.scalar(
        select(ProviderBlock).where(
            ProviderBlock.holder_id == conversation.holder_id,
            ProviderBlock.provider_id == conversation.provider_id,
        )
    )
    if found is None:
        return False
    audit.note(
        "provider.unblocked",
        found,
        user,
        tenant_id=conversation.holder.tenant_id,
        provider_id=conversation.provider_id,
    )
    db.session.delete(found)
    db.session.flush()
    return True


def is_blocked(conversation: Conversation) -> bool:
    return blocks.is_blocked(conversation.holder_id, conversation.provider_id)


def holders_blocking(user: User, provider: Provider) -> list[User]:
    """Of the holders `user` acts for (themselves, or those whose consent stands), those who
    have blocked the provider."""
    holders = [user] if user.role == Role.HOLDER else holders_represented_by(user)
    return [h for h in holders if blocks.is_blocked(h.id, provider.id)]


__all__ = [
    "InboxRow",
    "Reader",
    "SendingTooFast",
    "ToWithdraw",
    "Withdrawn",
    "between",
    "block",
    "holders_blocking",
    "inbox",
    "is_blocked",
    "latest_messages",
    "messages",
    "open_conversation",
    "party_of",
    "reader_of",
    "report",
    "reports_for",
    "reports_of",
    "reports_waiting",
    "send",
    "start",
    "to_withdraw",
    "unblock",
    "unread_count",
]
