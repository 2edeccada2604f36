"""`/healthz`: this process lives. `/readyz`: it can serve, because the database, the search
engine and (when one is set) the queue each answer within a time limit; otherwise 503 naming
what is down. For load balancers and monitoring; neither page says anything about people."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as Timeout

from flask import Blueprint, Flask, current_app
from flask.typing import ResponseReturnValue
from sqlalchemy import text

bp = Blueprint("health", __name__)

TIME_LIMIT_SECONDS = 2.0


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return {"status": "ok"}


def _database() -> None:
    from marketplace.extensions import db

    db.session.execute(text("SELECT 1"))


def _search() -> None:
    from marketplace.search import services

    services.engine().count()


def _queue() -> None:
    from marketplace.worker.queue import queue_at

    queue_at(current_app.config["QUEUE_URL"]).huey.pending_count()


def _checks(app: Flask) -> dict[str, Callable[[], None]]:
    checks = {"database": _database, "search": _search}
    if app.config.get("QUEUE_URL"):
        checks["queue"] = _queue
    return checks


def _in_app(app: Flask, check: Callable[[], None]) -> None:
    with app.app_context():
        check()


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    checks = _checks(app)
    results: dict[str, str] = {}
    pool = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="readyz")
    futures = {name: pool.submit(_in_app, app, check) for name, check in checks.items()}
    for name, future in futures.items():
        try:
            future.result(timeout=TIME_LIMIT_SECONDS)
            results[name] = "ok"
        except Timeout:
            results[name] = f"no answer within {TIME_LIMIT_SECONDS:g} s"
        except Exception as error:  # noqa: BLE001 - the page reports what failed, by kind
            results[name] = f"down ({type(error).__name__})"
    pool.shutdown(wait=False, cancel_futures=True)
    down = [name for name, result in results.items() if result != "ok"]
    body = {"status": "down: " + ", ".join(down) if down else "ready", "checks": results}
    return body, 503 if down else 200
