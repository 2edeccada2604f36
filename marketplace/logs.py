"""Logs: one JSON object a line in production (or with LOG_FORMAT=json), each carrying the
request id (taken from a proxy's X-Request-Id when it is well formed, else made here, and sent
back in the response). A request is logged by its route pattern (`/bookings/<int:booking_id>`),
never its path or query string, which can hold tokens or what a person typed."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request

log = logging.getLogger("marketplace.requests")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None)))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context() and "request_id" in g:
            entry["request_id"] = g.request_id  # for anything logged while serving a request
        entry.update((key, value) for key, value in vars(record).items() if key not in _STANDARD)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def _json_wanted(app: Flask) -> bool:
    wanted = str(app.config.get("LOG_FORMAT") or "").lower()
    return wanted == "json" or (not wanted and app.config.get("ENVIRONMENT") == "production")


def _show_unsent_emails() -> None:
    """With no mail server (on a laptop, `make run`), each email is written to the terminal the
    service runs in, so invitation and password links can be followed."""
    mail = logging.getLogger("marketplace.mail")
    if not any(getattr(h, "unsent_emails", False) for h in mail.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        handler.unsent_emails = True  # type: ignore[attr-defined]
        mail.addHandler(handler)
        mail.setLevel(logging.INFO)


def init_app(app: Flask) -> None:
    root = logging.getLogger()
    if _json_wanted(app) and not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    elif not app.config.get("MAIL_SERVER") and not app.testing:
        _show_unsent_emails()

    @app.before_request
    def _start() -> None:
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.get("request_id", "")
        started = g.get("request_started")
        log.info(
            "request",
            extra={
                "request_id": g.get("request_id"),
                "method": request.method,
                "route": request.url_rule.rule if request.url_rule else "(no route)",
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            },
        )
        return response
