"""JSON logs carry the request id and the route pattern, never the path or what was typed."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from marketplace.logs import JsonFormatter
from tests.conftest import make_app


@pytest.fixture()
def json_logging_undone() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("json_logging_undone")
def test_a_request_is_logged_as_json_with_its_id_and_route_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(str(tmp_path), LOG_FORMAT="json")
    assert any(isinstance(h.formatter, JsonFormatter) for h in logging.getLogger().handlers)
    with app.app_context():
        from marketplace.extensions import db

        db.create_all()
    caplog.handler.setFormatter(JsonFormatter())
    with caplog.at_level(logging.INFO, logger="marketplace.requests"):
        response = app.test_client().get(
            "/reset-password/secret-token?email=jo@example.org",
            headers={"X-Request-Id": "abc-123"},
        )
    assert response.headers["X-Request-Id"] == "abc-123"
    lines = [json.loads(caplog.handler.format(r)) for r in caplog.records if r.msg == "request"]
    assert lines and lines[-1]["request_id"] == "abc-123"
    assert lines[-1]["route"] == "/reset-password/<token>"
    assert "secret-token" not in caplog.text and "jo@example.org" not in caplog.text


def test_a_made_up_request_id_is_replaced(client) -> None:
    response = client.get("/healthz", headers={"X-Request-Id": "<script>" * 20})
    assert response.headers["X-Request-Id"] != "<script>" * 20
    assert len(response.headers["X-Request-Id"]) == 32


def test_with_no_mail_server_emails_are_written_to_the_terminal(tmp_path: Path, capsys) -> None:
    """On a laptop (`make run`, no MAIL_SERVER) an invitation's link must be somewhere a person
    can read it: each email goes to the terminal the service runs in, once however many apps
    are made."""
    mail = logging.getLogger("marketplace.mail")
    handlers, level = list(mail.handlers), mail.level
    # Apps other tests made may have added one already, writing to their own stderr.
    mail.handlers[:] = [h for h in handlers if not getattr(h, "unsent_emails", False)]
    try:
        for _ in range(2):
            app = make_app(str(tmp_path), TESTING=False, MAIL_SERVER="")
        with app.app_context():
            from marketplace.extensions import db
            from marketplace.mail import queue_email, send_pending

            db.create_all()
            queue_email("jo@example.org", "Invited", "Follow /invitations/abc", template="t")
            db.session.commit()
            assert send_pending() == 1
        shown = capsys.readouterr().err
        assert shown.count("Follow /invitations/abc") == 1
    finally:
        mail.handlers[:] = handlers
        mail.setLevel(level)
