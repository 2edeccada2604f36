"""The demo leaves first meetings (one held before the rota, one waiting for a provider to choose
a time) and the rota's sessions marked arriving and leaving, the disputed one late."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.accounts.services import set_password
from marketplace.bookings.models import Occurrence, OccurrenceState
from marketplace.demo.fictional import demo_email
from marketplace.demo.meetings import COVER_PROVIDER
from marketplace.demo.services import STORY_PROVIDER, load_demo
from marketplace.demo.story import DISPUTE_REASON
from marketplace.extensions import db
from marketplace.meetings.models import Meeting, MeetingState
from marketplace.models_base import utcnow
from tests.conftest import PASSWORD


def person(key: str) -> User:
    return db.session.scalars(select(User).where(User.email == demo_email(key))).one()


def test_the_demo_meetings_are_told_once_one_held_and_one_waiting(app_ctx, client) -> None:
    load_demo()
    db.session.commit()
    load_demo()
    db.session.commit()
    assert db.session.scalar(select(func.count(Meeting.id))) == 2
    held, waiting = db.session.scalars(select(Meeting).order_by(Meeting.id)).all()
    now = utcnow()
    assert held.state == MeetingState.AGREED and held.starts_at < now
    assert held.provider.legal_name == STORY_PROVIDER
    first_session = db.session.scalars(select(func.min(Occurrence.starts_at))).one()
    assert held.starts_at < first_session  # they met before the rota began
    assert waiting.state == MeetingState.REQUESTED and waiting.provider.legal_name == COVER_PROVIDER
    assert len(waiting.times) == 3 and all(t.starts_at > now for t in waiting.times)

    holder = person("holder")
    set_password(holder, PASSWORD)
    db.session.commit()
    client.post("/sign-in", data={"email": holder.email, "password": PASSWORD})
    page = client.get("/meetings/").get_data(as_text=True)
    assert "Waiting for the provider to choose a time" in page
    assert "Personal assistant: weekend and holiday cover" in page


def test_the_demo_rotas_sessions_are_marked_and_the_disputed_one_shows_the_late_arrival(
    app_ctx, client
) -> None:
    load_demo()
    db.session.commit()
    done = db.session.scalars(
        select(Occurrence)
        .where(Occurrence.state != OccurrenceState.SCHEDULED, Occurrence.arrived_at.is_not(None))
        .order_by(Occurrence.starts_at)
    ).all()
    assert done and all(o.starts_at < o.arrived_at < o.left_at <= o.ends_at for o in done)
    [disputed] = [o for o in done if o.state == OccurrenceState.DISPUTED]
    assert (disputed.arrived_at - disputed.starts_at).total_seconds() > 3600
    assert all(
        (o.arrived_at - o.starts_at).total_seconds() < 600 for o in done if o is not disputed
    )

    commissioner = person("commissioner.council")
    set_password(commissioner, PASSWORD)
    db.session.commit()
    client.post("/sign-in", data={"email": commissioner.email, "password": PASSWORD})
    page = client.get(f"/bookings/sessions/{disputed.id}/resolve").get_data(as_text=True)
    assert "What went wrong" in page and DISPUTE_REASON in page
    assert "by the budget holder:" in page
    assert "Worker arrived" in page and "9:02am" in page.lower()
