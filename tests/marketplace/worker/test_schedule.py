"""The schedule: London times, periods that make a job run once, settings that are checked."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from marketplace.clock import LONDON
from marketplace.config import ConfigError, load_settings
from marketplace.worker.jobs import JOBS
from marketplace.worker.schedule import DEFAULT_SCHEDULE, When, parse_when, schedule_from


def test_every_scheduled_job_exists_and_every_job_is_scheduled() -> None:
    assert set(DEFAULT_SCHEDULE) == set(JOBS)


def test_a_daily_job_is_due_from_its_time_for_the_london_day() -> None:
    at_six = When(at=time(6, 0))
    assert at_six.period_due(datetime(2027, 3, 28, 5, 59, tzinfo=LONDON)) is None
    assert at_six.period_due(datetime(2027, 3, 28, 6, 0, tzinfo=LONDON)) == "2027-03-28"
    # A worker that was down at six runs it when it comes back, for the same day.
    assert at_six.period_due(datetime(2027, 3, 28, 22, 30, tzinfo=LONDON)) == "2027-03-28"


def test_a_sweep_is_due_once_per_slot() -> None:
    every_ten = When(every_minutes=10)
    assert every_ten.period_due(datetime(2026, 12, 31, 23, 39, tzinfo=LONDON)) == (
        "2026-12-31T23:30"
    )
    assert every_ten.period_due(datetime(2026, 12, 31, 23, 40, tzinfo=LONDON)) == (
        "2026-12-31T23:40"
    )


def test_settings_move_a_job_and_refuse_nonsense(tmp_path) -> None:
    moved = schedule_from({"SCHEDULE_REPORTS_ALERTS": "07:30", "SCHEDULE_MAIL_SEND": "every 10"})
    assert moved["reports-alerts"] == When(at=time(7, 30))
    assert moved["mail-send"] == When(every_minutes=10)
    assert moved["payments-allocate"] == DEFAULT_SCHEDULE["payments-allocate"]
    with pytest.raises(ConfigError, match="SCHEDULE_PAYMENTS_ALLOCATE"):
        load_settings({"SCHEDULE_PAYMENTS_ALLOCATE": "25:00"}, instance_path=tmp_path)
    with pytest.raises(ValueError, match="every 1 to 1440"):
        parse_when("SCHEDULE_MAIL_SEND", "every 0")


def test_production_refuses_per_process_rate_limits_with_several_processes(tmp_path) -> None:
    env = {"MARKETPLACE_ENV": "production", "SERVER_NAME": "care.example.org"}
    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI must be shared"):
        load_settings({**env, "WEB_CONCURRENCY": "2"}, instance_path=tmp_path)
    shared = {**env, "WEB_CONCURRENCY": "2", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1"}
    assert load_settings(shared, instance_path=tmp_path).ratelimit_storage_uri.startswith("redis")
    assert load_settings({**env, "WEB_CONCURRENCY": "1"}, instance_path=tmp_path)


def test_a_weekly_job_is_due_once_a_week_from_its_day_and_time() -> None:
    monday_six = When(at=time(6, 0), weekday=0)
    sunday_night = datetime(2026, 12, 6, 23, 0, tzinfo=LONDON)
    monday = datetime(2026, 12, 7, 6, 0, tzinfo=LONDON)
    assert monday_six.period_due(sunday_night) == "2026-W49"  # the week that began on 30 Nov
    assert monday_six.period_due(monday - timedelta(minutes=1)) == "2026-W49"
    assert monday_six.period_due(monday) == "2026-W50"
    # A worker that was down on Monday runs it when it comes back, for the same week.
    assert monday_six.period_due(datetime(2026, 12, 10, 12, 0, tzinfo=LONDON)) == "2026-W50"
    assert monday_six.next_start(sunday_night) == monday
    assert monday_six.next_start(monday) == monday + timedelta(days=7)
    assert monday_six.words() == "every Monday at 06:00"


def test_the_payout_run_is_scheduled_weekly_and_can_be_moved() -> None:
    assert DEFAULT_SCHEDULE["payments-payout-run"] == When(at=time(6, 0), weekday=0)
    moved = schedule_from({"SCHEDULE_PAYMENTS_PAYOUT_RUN": "Thursday 07:30"})
    assert moved["payments-payout-run"] == When(at=time(7, 30), weekday=3)
    assert parse_when("X", "fri 18:00") == When(at=time(18, 0), weekday=4)
    with pytest.raises(ValueError, match="a day and time like 'monday 06:00'"):
        parse_when("SCHEDULE_PAYMENTS_PAYOUT_RUN", "someday 06:00")
