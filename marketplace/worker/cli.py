"""`flask --app wsgi worker run`: take work off the queue and run the schedule until stopped
(Ctrl-C or SIGTERM let the tasks in hand finish first). `flask --app wsgi worker schedule`
prints when each timed job runs."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from marketplace.worker.queue import queue_at

worker_cli = AppGroup("worker", help="The background worker.")


def queue_url() -> str:
    """QUEUE_URL, or a SQLite queue in the instance folder when it is not set."""
    url = current_app.config.get("QUEUE_URL")
    return url or f"sqlite:///{current_app.instance_path}/queue.sqlite3"


@worker_cli.command("run")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 16))
def run(threads: int) -> None:
    """Run the worker in this process."""
    queue = queue_at(queue_url())
    queue.app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo(f"Worker: {threads} thread(s) on {queue.url.split('://', 1)[0]} queue.")
    consumer = queue.huey.create_consumer(
        workers=threads, worker_type="thread", periodic=True, check_worker_health=True
    )
    consumer.run()


@worker_cli.command("schedule")
def show_schedule() -> None:
    """Each timed job, when it runs (London time) and the command that does the same."""
    from marketplace.worker.jobs import JOBS

    for name, when in current_app.config["WORKER_SCHEDULE"].items():
        click.echo(f"{name:24} {when.words():20} flask --app wsgi {JOBS[name].command}")
