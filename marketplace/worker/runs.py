"""Claiming and running a job for a period, and recording how it went.

`claim` inserts the (job, period) row under a unique constraint: of several workers on several
machines that find the same job due, exactly one gets the row and runs it. A failed run is tried
again with growing waits (1, 4, 16 minutes); after its last try it stays on the admins' jobs
page as failed.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace import clock
from marketplace.extensions import db
from marketplace.transactions import unit_of_work
from marketplace.worker.jobs import JOBS
from marketplace.worker.models import JobRun, RunState
from marketplace.worker.schedule import When

log = logging.getLogger(__name__)

MAX_TRIES = 4
FIRST_WAIT = timedelta(minutes=1)
# Keep what an error says short, and never an email address (a mail server's refusal names one).
_EMAIL = re.compile(r"[^\s@<>]+@[^\s@<>]+")


class TryAgain(Exception):
    """The run failed and will be tried again after `wait`."""

    def __init__(self, wait: timedelta) -> None:
        super().__init__(f"try again in {wait}")
        self.wait = wait


def schedule() -> dict[str, When]:
    schedule: dict[str, When] = current_app.config["WORKER_SCHEDULE"]
    return schedule


def due(at: datetime | None = None) -> list[tuple[str, str]]:
    """Every (job, period) due at this moment that no worker has claimed yet."""
    london = clock.london_now() if at is None else at.astimezone(clock.LONDON)
    wanted = {
        job: period
        for job, when in schedule().items()
        if (period := when.period_due(london)) is not None
    }
    if not wanted:
        return []
    taken = set(
        db.session.execute(select(JobRun.job, JobRun.period).where(JobRun.job.in_(wanted))).tuples()
    )
    return [(job, period) for job, period in wanted.items() if (job, period) not in taken]


def claim(job: str, period: str) -> int | None:
    """Take the run of this job for this period; its id, or None when another worker has it."""
    try:
        with unit_of_work():
            run = JobRun(job=job, period=period, state=RunState.QUEUED)
            db.session.add(run)
            db.session.flush()
            return run.id
    except IntegrityError:
        return None


def claim_due(at: datetime | None = None) -> list[int]:
    """Claim every run due now; the ids this worker got (to put on the queue)."""
    return [run_id for job, period in due(at) if (run_id := claim(job, period)) is not None]


def execute(run_id: int) -> JobRun:
    """Run a claimed job. Raises TryAgain when it failed and has tries left."""
    with unit_of_work():
        run = db.session.get(JobRun, run_id)
        if run is None or run.state in (RunState.DONE, RunState.FAILED):
            return run  # type: ignore[return-value]
        run.state = RunState.RUNNING
        run.tries += 1
        run.started_at = clock.now()
        run.next_try_at = None
    try:
        outcome = JOBS[run.job].run()
    except Exception as error:  # noqa: BLE001 - any failure is recorded and retried
        db.session.rollback()
        return _failed(run_id, error)
    with unit_of_work():
        run = db.session.get(JobRun, run_id)
        assert run is not None
        run.state = RunState.DONE
        run.finished_at = clock.now()
        run.outcome = outcome[:300]
    return run


def _failed(run_id: int, error: Exception) -> JobRun:
    why = _EMAIL.sub("(an address)", f"{type(error).__name__}: {error}")[:300]
    with unit_of_work():
        run = db.session.get(JobRun, run_id)
        assert run is not None
        run.finished_at = clock.now()
        run.outcome = why
        if run.tries < MAX_TRIES:
            wait = FIRST_WAIT * 4 ** (run.tries - 1)
            run.state = RunState.RETRYING
            run.next_try_at = clock.now() + wait
        else:
            run.state = RunState.FAILED
    log.warning("job %s for %s failed (try %d): %s", run.job, run.period, run.tries, why)
    if run.state is RunState.RETRYING:
        raise TryAgain(wait)
    return run


def forget_before(days: int = 30) -> int:
    """Delete finished runs older than this many days, so the table stays small."""
    cutoff = clock.now() - timedelta(days=days)
    with unit_of_work():
        old = db.session.scalars(
            select(JobRun).where(JobRun.state == RunState.DONE, JobRun.queued_at < cutoff)
        ).all()
        for run in old:
            db.session.delete(run)
    return len(old)
