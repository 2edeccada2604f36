"""The forms of conversations: a message, the first message, a report, a block."""

from __future__ import annotations

from wtforms import HiddenField, StringField

from marketplace.conversations.models import MAX_MESSAGE_LENGTH, MAX_REASON_LENGTH
from marketplace.forms import BaseForm, radio_field, submit_button, words_field


def _message_field() -> StringField:
    return words_field(
        "Your message",
        "message",
        MAX_MESSAGE_LENGTH,
        required="Enter your message",
        description=f"Up to {MAX_MESSAGE_LENGTH:,} characters. Do not share bank details.",
    )


class MessageForm(BaseForm):
    body = _message_field()
    # The booking the message is written from, when it is (the booking page links with it).
    about = HiddenField()
    submit = submit_button("Send message")

    def booking_id(self) -> int | None:
        text = (self.about.data or "").strip()
        return int(text[:9]) if text.isascii() and text.isdigit() else None


class FirstMessageForm(MessageForm):
    """The first message; a representative acting for several people says for whom."""

    holder = radio_field("Who is this about?", "Choose who you are asking for")


class ReportForm(BaseForm):
    reason = words_field(
        "What worries you about this conversation?",
        "reason",
        MAX_REASON_LENGTH,
        required="Tell us what worries you about this conversation",
    )
    submit = submit_button("Report this conversation")


class ConfirmForm(BaseForm):
    submit = submit_button("Continue")
