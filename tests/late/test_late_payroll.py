"""Pins when an employer's payroll file counts as late: one pay period after the latest pay date
(or after coverage starts), plus a grace of calendar days."""

from datetime import date

import pytest

from paygo.late_payroll import EmployerCadence, late_employers, next_pay_date


@pytest.mark.parametrize(
    "previous, frequency, expected",
    [
        (date(2025, 6, 6), "weekly", date(2025, 6, 13)),  # +7 days
        (date(2025, 6, 6), "biweekly", date(2025, 6, 20)),  # +14 days
        (date(2025, 1, 31), "monthly", date(2025, 2, 28)),  # same day next month, clamped to Feb 28
        (date(2025, 12, 15), "monthly", date(2026, 1, 15)),  # across the year end
        (date(2025, 6, 1), "semimonthly", date(2025, 6, 15)),  # before the 15th -> the 15th
        (date(2025, 6, 15), "semimonthly", date(2025, 6, 30)),  # the 15th -> the month's last day
        (date(2025, 2, 28), "semimonthly", date(2025, 3, 15)),  # last day -> next month's 15th
    ],
)
def test_next_pay_date(previous, frequency, expected):
    assert next_pay_date(previous, frequency) == expected


def test_unknown_frequency_is_refused():
    with pytest.raises(ValueError, match="unknown pay frequency"):
        next_pay_date(date(2025, 1, 1), "daily")


def cadence(fein, frequency, last, start=date(2025, 1, 1)):
    return EmployerCadence(fein, f"Employer {fein}", frequency, last, start)


def test_late_after_the_grace_only():
    # biweekly, last 2025-06-06 -> expected 06-20; grace 3 -> on time through 06-23, late on 06-24
    c = [cadence("111111111", "biweekly", date(2025, 6, 6))]
    assert late_employers(c, date(2025, 6, 23)) == []
    [late] = late_employers(c, date(2025, 6, 24))
    assert (late.expected_pay_date, late.days_late) == (date(2025, 6, 20), 4)


def test_employer_without_any_run_is_expected_one_period_after_coverage_starts():
    # weekly from 2025-01-01 -> expected 2025-01-08; on 2025-02-01 that is 24 days late
    [late] = late_employers([cadence("222222222", "weekly", None)], date(2025, 2, 1))
    assert late.days_late == 24


def test_most_overdue_first():
    c = [cadence("111111111", "weekly", date(2025, 6, 1)), cadence("222222222", "weekly", date(2025, 5, 1))]
    assert [x.employer_fein for x in late_employers(c, date(2025, 7, 1))] == ["222222222", "111111111"]
