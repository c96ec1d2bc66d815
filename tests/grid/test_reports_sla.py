"""Working-day SLA arithmetic on real 2026 dates from chinese-calendar's data.

2026: National Day holiday 10-01..10-07; make-up working days Sunday 09-20 and Saturday 10-10;
the Mid-autumn holiday 09-25..09-27.
"""

from datetime import timedelta
from types import SimpleNamespace

from server.grid import report_sla
from server.grid.report_sla import DAY, add_working, is_working_day, working_seconds
from tests.grid.reports_helpers import shanghai


def test_the_library_knows_the_2026_national_day_and_its_make_up_days():
    assert not any(is_working_day(shanghai(2026, 10, d).date()) for d in range(1, 8))
    assert is_working_day(shanghai(2026, 10, 10).date())  # a Saturday, worked
    assert is_working_day(shanghai(2026, 9, 20).date())  # a Sunday, worked
    assert not is_working_day(shanghai(2026, 10, 11).date())  # an ordinary Sunday


def test_resolve_within_three_days_skips_national_day_and_counts_the_make_up_saturday():
    posted = shanghai(2026, 9, 30, 10, 0)
    # 09-30 (14 h left), 10-08, 10-09, then the make-up Saturday 10-10 until 10:00.
    assert add_working(posted, 3 * DAY) == shanghai(2026, 10, 10, 10, 0)
    assert add_working(posted, 1 * DAY) == shanghai(2026, 10, 8, 10, 0)


def test_friday_before_the_make_up_saturday_and_the_sunday_after():
    friday = shanghai(2026, 10, 9, 9, 0)
    assert add_working(friday, DAY) == shanghai(2026, 10, 10, 9, 0)
    assert add_working(friday, 2 * DAY) == shanghai(2026, 10, 12, 9, 0)


def test_a_report_posted_during_the_holiday_starts_counting_on_the_first_working_day():
    assert add_working(shanghai(2026, 10, 3, 12, 0), DAY) == shanghai(2026, 10, 9, 0, 0)


def test_working_seconds_leave_out_holidays():
    start, end = shanghai(2026, 9, 30, 12, 0), shanghai(2026, 10, 8, 12, 0)
    assert working_seconds(start, end) == DAY
    assert working_seconds(end, start) == 0


def test_a_year_the_library_does_not_know_counts_monday_to_friday():
    friday = shanghai(2027, 1, 8, 15, 0)
    assert add_working(friday, DAY) == shanghai(2027, 1, 11, 15, 0)


def test_a_pause_extends_the_due_time_by_the_working_time_it_lasted():
    report = SimpleNamespace(
        resolve_within=3, **report_sla.started(shanghai(2026, 10, 12, 10), 1, 3)
    )
    assert report.resolve_due_at == shanghai(2026, 10, 15, 10)
    paused = report_sla.stopped(report, shanghai(2026, 10, 13, 10), paused=True)
    assert paused == {"clock_consumed": DAY, "clock_running_since": None, "resolve_due_at": None}
    report.__dict__.update(paused)
    # Three working days later (Wed, Thu, Fri) the clock continues with two days left.
    resumed = report_sla.resumed(report, shanghai(2026, 10, 16, 10))
    assert resumed["resolve_due_at"] == shanghai(2026, 10, 20, 10)


def test_a_clock_paused_after_its_due_time_stays_overdue():
    start = shanghai(2026, 10, 12, 10)
    report = SimpleNamespace(resolve_within=1, status="accepted", **report_sla.started(start, 1, 1))
    late = start + timedelta(days=2)
    paused = report_sla.stopped(report, late, paused=True)
    assert paused["resolve_due_at"] == shanghai(2026, 10, 13, 10)
    report.__dict__.update(paused, status="waiting")
    assert report_sla.is_overdue(report, late)
    assert report_sla.resumed(report, late)["resolve_due_at"] == shanghai(2026, 10, 13, 10)


def test_a_resolved_report_keeps_the_due_time_it_was_closed_against():
    start = shanghai(2026, 10, 12, 10)
    report = SimpleNamespace(resolve_within=3, **report_sla.started(start, 1, 3))
    closed = report_sla.stopped(report, shanghai(2026, 10, 13, 10), paused=False)
    assert closed["resolve_due_at"] == shanghai(2026, 10, 15, 10)
    assert closed["clock_consumed"] == DAY and closed["clock_running_since"] is None
