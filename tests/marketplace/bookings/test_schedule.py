"""Rotas in Europe/London: wall-clock shifts across clock changes, and bank holidays skipped."""

from datetime import UTC, date, datetime, time

from marketplace.bookings.schedule import Slot, is_bank_holiday, london_to_utc, one_shift, shifts

MONDAY_NINE = Slot(weekday=0, start=time(9, 0), duration_minutes=180)


def test_a_nine_oclock_shift_stays_at_nine_when_the_clocks_change():
    # British Summer Time 2026 starts on Sunday 29 March.
    made = shifts(
        [MONDAY_NINE],
        first_day=date(2026, 3, 23),
        last_day=date(2026, 4, 1),
        skip_bank_holidays=False,
    )
    assert [s.starts_at for s in made] == [
        datetime(2026, 3, 23, 9, 0, tzinfo=UTC),  # GMT
        datetime(2026, 3, 30, 8, 0, tzinfo=UTC),  # BST: 9am London is 8am UTC
    ]
    assert all(s.minutes == 180 for s in made)


def test_a_start_in_the_spring_gap_moves_later_by_the_gap():
    # 01:30 does not exist in London on 29 March 2026; it becomes 02:30 BST, which is 01:30 UTC.
    assert london_to_utc(date(2026, 3, 29), time(1, 30)) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_a_start_in_the_repeated_autumn_hour_takes_the_first_one():
    # Clocks go back at 02:00 BST on Sunday 25 October 2026: 01:30 happens twice.
    assert london_to_utc(date(2026, 10, 25), time(1, 30)) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )


def test_an_overnight_shift_on_the_autumn_night_lasts_its_real_minutes():
    shift = one_shift(date(2026, 10, 24), time(22, 0), 600)
    assert shift.minutes == 600


def test_bank_holidays_are_skipped_when_the_listing_does_not_work_them():
    # Monday 25 May 2026 is the Spring bank holiday; Monday 31 August the Summer one.
    kept = shifts(
        [MONDAY_NINE],
        first_day=date(2026, 5, 18),
        last_day=date(2026, 6, 1),
        skip_bank_holidays=True,
    )
    assert [s.starts_at.date() for s in kept] == [date(2026, 5, 18), date(2026, 6, 1)]
    worked = shifts(
        [MONDAY_NINE],
        first_day=date(2026, 5, 18),
        last_day=date(2026, 6, 1),
        skip_bank_holidays=False,
    )
    assert len(worked) == 3
    assert is_bank_holiday(date(2026, 8, 31)) and not is_bank_holiday(date(2026, 9, 1))


def test_several_shifts_a_day_come_out_in_time_order():
    slots = [Slot(2, time(17, 0), 60), Slot(2, time(8, 0), 90)]
    made = shifts(
        slots, first_day=date(2026, 11, 25), last_day=date(2026, 11, 25), skip_bank_holidays=True
    )
    assert [s.starts_at.hour for s in made] == [8, 17]
