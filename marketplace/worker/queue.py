"""The task queue: Huey, with SQLite storage on one machine (`QUEUE_URL=sqlite:///…`) and Redis
when several machines serve (`QUEUE_URL=redis://…`).

Four tasks: `tick` (every minute: claim the jobs due and queue them), `run_job`, and the two
hand-offs a request makes after its commit, `send_mail` and `drain_search`. The web process only
puts tasks on the queue; `flask --app wsgi worker` takes them off and runs them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.api import TaskWrapper
from huey.exceptions import RetryTask

log = logging.getLogger(__name__)

_queues: dict[str, Queue] = {}


class Queue:
    """One Huey instance and its tasks. Tasks run inside the app the worker serves."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.huey = _huey(url)
        self.app: Flask | None = None
        self.tasks: dict[str, TaskWrapper] = {
            "run_job": self.huey.task(name="run_job")(self._run_job),
            # A message that fails stays in the outbox; the mail-send sweep tries it again.
            "send_mail": self.huey.task(name="send_mail")(self._send_mail),
            "drain_search": self.huey.task(name="drain_search")(self._drain_search),
        }
        self.tasks["tick"] = self.huey.periodic_task(crontab(), name="tick")(self._tick)

    def put(self, task: str, *args: Any) -> None:
        self.tasks[task](*args)

    def _in_app(self) -> Any:
        assert self.app is not None, "tasks run only in `flask worker`"
        return self.app.app_context()

    def _tick(self) -> None:
        from marketplace.worker import runs

        with self._in_app():
            for run_id in runs.claim_due():
                self.put("run_job", run_id)

    def _run_job(self, run_id: int) -> None:
        from marketplace.worker import runs

        with self._in_app():
            try:
                runs.execute(run_id)
            except runs.TryAgain as again:
                raise RetryTask(delay=again.wait.total_seconds()) from None

    def _send_mail(self, ids: list[int]) -> None:
        from marketplace import mail

        with self._in_app():
            mail.send_pending(only_ids=ids)

    def _drain_search(self) -> None:
        from marketplace.search import services
        from marketplace.search.interfaces import SearchUnavailable

        with self._in_app():
            try:
                services.drain_outbox(limit=services.DRAIN_BATCH)
            except SearchUnavailable as error:  # stays queued; the sweep sends it later
                log.warning("search outbox left for later: %s", error)


def _huey(url: str) -> Huey:
    parts = urlsplit(url)
    if parts.scheme == "redis":
        return RedisHuey("marketplace", url=url, utc=True)
    if parts.scheme == "sqlite":
        path = Path(parts.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey("marketplace", filename=str(path), utc=True)
    raise ValueError(f"QUEUE_URL must start sqlite:/// or redis://, got {url!r}")


def queue_at(url: str) -> Queue:
    if url not in _queues:
        _queues[url] = Queue(url)
    return _queues[url]


def hand_off(task: str, *args: Any) -> bool:
    """Put work on the queue when this app has one (QUEUE_URL); False when it does not, or the
    queue cannot be reached: the caller then does the work itself (it is saved either way: the
    outboxes keep it until it is done)."""
    url = current_app.config.get("QUEUE_URL")
    if not url:
        return False
    try:
        queue_at(url).put(task, *args)
    except Exception:  # noqa: BLE001 - the work stays in its outbox; the request must not fail
        log.exception("the queue could not take %s; doing it now", task)
        return False
    return True
