"""One row per scheduled job and period: the claim that makes a job run once per period however
many workers run, and the record admins read when a job fails."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models_base import UTCDateTime, utcnow


class RunState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    RETRYING = "retrying"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {
            RunState.QUEUED: "Waiting to start",
            RunState.RUNNING: "Running",
            RunState.DONE: "Done",
            RunState.RETRYING: "Failed, will try again",
            RunState.FAILED: "Failed, gave up",
        }[self]


class JobRun(db.Model):  # type: ignore[name-defined]
    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "period", name="uq_job_runs_job_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    # The London day ("2026-12-06") or ten-minute slot ("2026-12-06T14:20") the run is for.
    period: Mapped[str] = mapped_column(String(20))
    state: Mapped[RunState] = mapped_column(
        Enum(RunState, name="job_run_state", native_enum=False, length=10),
        default=RunState.QUEUED,
    )
    tries: Mapped[int] = mapped_column(Integer, default=0)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    next_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # What the job reported ("3 request(s) expired.") or why it failed: counts and the kind of
    # error only, never a person's details.
    outcome: Mapped[str] = mapped_column(String(300), default="")
