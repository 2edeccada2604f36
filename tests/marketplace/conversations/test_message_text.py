"""Whatever a person types as a message: never a server error; when it is a message (some
text that is not only spaces, at most 2,000 characters) it is kept exactly as typed and shown
escaped, so nothing typed can become part of the page."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import select

from marketplace import clock
from marketplace.conversations import services as conversations
from marketplace.conversations.models import MAX_MESSAGE_LENGTH, Message
from marketplace.extensions import db
from tests.test_access_table import PASSWORD, World, world

__all__ = ["world"]

FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Text as a keyboard, a paste or a screen reader's dictation gives it: any character a form
# can carry except NUL (which every form drops, and PostgreSQL refuses in text).
typed = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=MAX_MESSAGE_LENGTH,
)
a_message = typed.filter(lambda text: text.strip() != "" and len(text) <= MAX_MESSAGE_LENGTH)
markup_like = st.sampled_from(
    [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "{{ 7 * 7 }} {% if %}",
        'Tom & Jerry\'s "quote"',
        "  two  spaces\r\nand a new line\n\n",
        "emoji 👍🏽 and Welsh: Ŵ ŷ, Urdu: آپ کیسے ہیں",
    ]
)


def holder_client(app: Flask, world: World) -> FlaskClient:
    client = app.test_client()
    response = client.post(
        "/sign-in", data={"email": world.users["holder"].email, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def send_and_read_back(client: FlaskClient, conversation_id: int, text: str) -> tuple[int, str]:
    # Out of the rate limit's window each time: many examples are sent by one person.
    clock.advance(conversations.RATE_WINDOW)
    answer = client.post(f"/messages/{conversation_id}", data={"body": text})
    return answer.status_code, client.get(f"/messages/{conversation_id}").get_data(as_text=True)


@FUZZ
@given(text=st.one_of(a_message, markup_like))
def test_a_message_is_kept_exactly_as_typed_and_shown_escaped(
    app: Flask, world: World, text: str
) -> None:
    conversation_id = world.more_ids["conversation_id"]
    status, page = send_and_read_back(holder_client(app, world), conversation_id, text)
    assert status == 302
    kept = db.session.scalar(
        select(Message.body)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.id.desc())
        .limit(1)
    )
    assert kept == text
    assert str(escape(text)) in page


@FUZZ
@given(
    text=st.one_of(
        st.text(max_size=MAX_MESSAGE_LENGTH + 500),
        st.text(alphabet=" \t\r\n\u00a0\u2003", max_size=50),
        st.just("x" * (MAX_MESSAGE_LENGTH + 1)),
    )
)
def test_anything_typed_is_a_message_or_a_clear_error_never_a_server_error(
    app: Flask, world: World, text: str
) -> None:
    conversation_id = world.more_ids["conversation_id"]
    before = db.session.scalar(select(Message.id).order_by(Message.id.desc()).limit(1))
    status, _ = send_and_read_back(holder_client(app, world), conversation_id, text)
    kept = text.replace("\x00", "")
    newest = db.session.scalar(select(Message.id).order_by(Message.id.desc()).limit(1))
    if kept.strip() and len(kept) <= MAX_MESSAGE_LENGTH:
        assert status == 302 and newest != before
    else:
        assert status == 400 and newest == before


def test_an_empty_or_too_long_message_is_told_plainly(app: Flask, world: World) -> None:
    client = holder_client(app, world)
    conversation_id = world.more_ids["conversation_id"]
    empty = client.post(f"/messages/{conversation_id}", data={"body": "   \n "})
    assert empty.status_code == 400 and "Enter your message" in empty.get_data(as_text=True)
    clock.advance(timedelta(seconds=1))
    long = client.post(f"/messages/{conversation_id}", data={"body": "a" * 2001})
    assert long.status_code == 400
    assert "Keep the message to 2,000 characters or fewer" in long.get_data(as_text=True)
