"""Claiming and running timed jobs: once per period however many workers, retried with growing
waits, failures kept for admins without a person's details."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from marketplace import clock
from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.mail import OutboundEmail, queue_email
from marketplace.transactions import unit_of_work
from marketplace.worker import jobs, runs
from marketplace.worker.models import JobRun, RunState


def test_each_due_job_is_claimed_once_for_its_period(app_ctx: Flask) -> None:
    first = runs.claim_due()
    assert first  # the sweeps at least are due at any moment
    # A second worker (or a second tick in the same minute) finds nothing left to take.
    assert runs.claim_due() == []
    claimed = (
        db.session.execute(select(JobRun.job, JobRun.period).order_by(JobRun.id)).tuples().all()
    )
    assert len(claimed) == len(set(claimed)) == len(first)
    job, period = claimed[0]
    assert runs.claim(job, period) is None


def test_daily_jobs_wait_for_their_london_time(app_ctx: Flask) -> None:
    before_dawn = clock.london_now().replace(hour=5, minute=0)
    due = dict(runs.due(before_dawn))
    assert "payments-allocate" not in due and "reports-alerts" not in due
    assert "mail-send" in due and "reports-rollup" in due
    after_seven = before_dawn.replace(hour=7, minute=5)
    due = dict(runs.due(after_seven))
    assert due["reports-alerts"] == f"{after_seven:%Y-%m-%d}"


def test_every_job_runs_and_says_what_it_did(app_ctx: Flask) -> None:
    for name in jobs.JOBS:
        run_id = runs.claim(name, "test-period")
        assert run_id is not None
        run = runs.execute(run_id)
        assert run.state is RunState.DONE, (name, run.outcome)
        assert run.tries == 1 and run.outcome
    # Running a finished run again does nothing.
    assert runs.execute(run_id).tries == 1


def test_the_mail_job_sends_what_the_outbox_holds(app_ctx: Flask) -> None:
    with unit_of_work():
        message = queue_email("someone@example.org", "Hello", "Body", template="test")
    run = runs.execute(runs.claim("mail-send", "slot") or 0)
    assert run.outcome == "Sent 1 email(s)."
    assert db.session.get(OutboundEmail, message.id).sent_at is not None


def test_a_failing_job_is_tried_again_with_growing_waits_then_shown_as_failed(
    app_ctx: Flask, make_user, sign_in, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse() -> str:
        raise ConnectionError("mail server refused jo.bloggs@example.org")

    monkeypatch.setitem(jobs.JOBS, "mail-send", jobs.Job("mail-send", "Send", "mail send", refuse))
    run_id = runs.claim("mail-send", "2026-11-23T10:00")
    assert run_id is not None
    waits = []
    for _ in range(runs.MAX_TRIES - 1):
        with pytest.raises(runs.TryAgain) as again:
            runs.execute(run_id)
        waits.append(again.value.wait)
    assert waits == [timedelta(minutes=1), timedelta(minutes=4), timedelta(minutes=16)]
    run = runs.execute(run_id)
    assert run.state is RunState.FAILED and run.tries == runs.MAX_TRIES
    assert "jo.bloggs" not in run.outcome and "ConnectionError" in run.outcome

    page = sign_in(make_user(role=Role.ADMIN)).get("/admin/jobs/").get_data(as_text=True)
    assert "1 job failed after every try" in page
    assert "Failed, gave up" in page and "ConnectionError" in page
    assert "jo.bloggs" not in page


def test_old_finished_runs_are_forgotten(app_ctx: Flask) -> None:
    run = runs.execute(runs.claim("search-drain", "old") or 0)
    assert runs.forget_before(days=30) == 0
    with clock.frozen(clock.now() + timedelta(days=31)):
        assert runs.forget_before(days=30) == 1
    assert db.session.get(JobRun, run.id) is None


def test_the_payout_run_is_claimed_once_a_week(app_ctx: Flask) -> None:
    monday = datetime(2026, 12, 7, 6, 0, tzinfo=clock.LONDON)

    def claimed_payout_runs(at: datetime) -> list[str]:
        got = set(runs.claim_due(at))
        return [
            run.period
            for run in db.session.scalars(select(JobRun).where(JobRun.job == "payments-payout-run"))
            if run.id in got
        ]

    assert claimed_payout_runs(monday) == ["2026-W50"]
    assert claimed_payout_runs(monday + timedelta(hours=1)) == []
    assert claimed_payout_runs(monday + timedelta(days=3)) == []  # later the same week
    assert claimed_payout_runs(monday + timedelta(days=7)) == ["2026-W51"]
    run_id = db.session.scalar(
        select(JobRun.id).where(JobRun.job == "payments-payout-run", JobRun.period == "2026-W51")
    )
    done = runs.execute(run_id)
    assert done.state is RunState.DONE and done.outcome.startswith("Made 0 payment run(s)")
