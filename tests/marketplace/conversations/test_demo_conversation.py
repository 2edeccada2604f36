"""The demo leaves a conversation on the holder's side with a reply waiting to be read."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.conversations import services as conversations
from marketplace.conversations.models import Conversation, Message, Party
from marketplace.demo.conversation import LINES
from marketplace.demo.fictional import demo_email
from marketplace.demo.services import load_demo
from marketplace.extensions import db
from marketplace.models_base import utcnow


def person(key: str) -> User:
    return db.session.scalars(select(User).where(User.email == demo_email(key))).one()


def test_the_demo_conversation_is_told_once_in_the_past_with_a_reply_unread(app_ctx) -> None:
    load_demo()
    db.session.commit()
    load_demo()
    db.session.commit()
    assert db.session.scalar(select(func.count(Conversation.id))) == 1
    messages = db.session.scalars(select(Message).order_by(Message.id)).all()
    assert [m.body for m in messages] == [text for _, _, text in LINES]
    assert all(m.sent_at < utcnow() for m in messages)
    assert [m.sent_at for m in messages] == sorted(m.sent_at for m in messages)
    assert messages[-1].party == Party.PROVIDER
    # Each person has their own reading mark: the representative read up to their own message.
    assert conversations.unread_count(person("holder")) == 2
    assert conversations.unread_count(person("representative")) == 1
    assert conversations.unread_count(person("provider")) == 0
