"""A form that makes something new is acted on once, however often it is sent.

A double click, a second tab or a browser sending again after a slow answer sends the same form
twice. For a form that changes a row, the row's lock and compare-and-set make the second a no-op;
a form that *makes* something (a listing, a budget, an invitation, a booking request) has no row
to compare, and two identical ones can be meant (two workers both called Sam, two requests for the
same hour). So each such form carries a key, made fresh each time its page is drawn
(`{{ form_key() }}` beside the CSRF token), and `@once_per_form` keeps (person, key) unique:

- the first request with a key claims it, in the request's own transaction, and when it answers
  with a redirect (the work was done) the claim keeps where it sent the person;
- the same key again is answered with that same redirect and a note that it was saved once, and
  nothing is done; of two sent at the same moment, PostgreSQL makes the second wait on the unique
  key until the first commits, and then it is answered as a repeat;
- an answer that is not a redirect (the form had a mistake) gives the claim up, so the person
  corrects the form and sends it again from the same page.

A form sent without a key (a page drawn before keys existed) is acted on as it always was.
Claims older than `KEPT_DAYS` are deleted by the daily sweep.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from flask import flash, make_response, redirect, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models_base import UTCDateTime, utcnow

FIELD = "form_key"
KEPT_DAYS = 7
_KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")
ALREADY_SENT = "You sent this twice. It was saved once."


class SentForm(db.Model):  # type: ignore[name-defined]
    """One form, sent by one person, acted on once."""

    __tablename__ = "sent_forms"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_sent_forms_user_id_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    endpoint: Mapped[str] = mapped_column(String(120))
    # Where the first answer sent the person (a path on this site); a repeat is sent there too.
    answer: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


def form_key() -> Markup:
    """The hidden field a once-only form carries: a new key each time the page is drawn."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        FIELD, secrets.token_urlsafe(24)
    )


def _claimed(key: str) -> SentForm | None:
    return db.session.scalar(
        select(SentForm)
        .where(SentForm.user_id == current_user.id, SentForm.key == key)
        .execution_options(populate_existing=True)
    )


def _answer_again(earlier: SentForm | None) -> Any:
    flash(ALREADY_SENT, "success")
    return redirect(earlier.answer if earlier and earlier.answer else url_for("main.dashboard"))


def once_per_form(view: Callable[..., Any]) -> Callable[..., Any]:
    """Act on each sending of the view's form once (see the module's docstring). Put it under
    the role check, so that only a signed-in person's forms are keyed. The view is marked
    `once_per_form` (seen through @wraps), which the tests look for."""

    @wraps(view)
    def run(*args: Any, **kwargs: Any) -> Any:
        key = request.form.get(FIELD, "") if request.method == "POST" else ""
        if not key or not current_user.is_authenticated:
            return view(*args, **kwargs)
        if not _KEY_SHAPE.fullmatch(key):
            return view(*args, **kwargs)  # not a key this site made: the form as it always was
        earlier = _claimed(key)
        if earlier is not None:
            return _answer_again(earlier)
        claim = SentForm(user_id=current_user.id, key=key, endpoint=request.endpoint or "")
        try:
            with db.session.begin_nested():
                db.session.add(claim)
        except IntegrityError:  # the same form, sent a moment ago, was saved while we waited
            return _answer_again(_claimed(key))
        response = make_response(view(*args, **kwargs))
        if 300 <= response.status_code < 400 and response.location:
            claim.answer = response.location[:500]
        else:
            db.session.delete(claim)  # a mistake on the form: corrected, it is sent again
        return response

    run.once_per_form = True  # type: ignore[attr-defined]
    return run


def forget_old(now: datetime | None = None) -> int:
    """Delete claims older than KEPT_DAYS (a repeat that late is a new sending); how many."""
    cutoff = (now or utcnow()) - timedelta(days=KEPT_DAYS)
    gone = db.session.execute(delete(SentForm).where(SentForm.created_at < cutoff))
    return int(getattr(gone, "rowcount", 0) or 0)
