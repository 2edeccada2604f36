"""/healthz says the process lives; /readyz says whether it can serve, naming what is down."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.conftest import make_app


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_healthz_answers_while_the_process_lives(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_checks_the_database_and_the_search_engine(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "checks": {"database": "ok", "search": "ok"}}


def test_readyz_names_what_is_down(tmp_path: Path) -> None:
    port = _closed_port()
    app = make_app(
        str(tmp_path),
        OPENSEARCH_URL=f"http://127.0.0.1:{port}",
        QUEUE_URL=f"sqlite:///{tmp_path}/queue.sqlite3",
    )
    with app.app_context():
        from marketplace.extensions import db

        db.create_all()
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "down: search"
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["queue"] == "ok"
    assert response.json["checks"]["search"].startswith("down (")
