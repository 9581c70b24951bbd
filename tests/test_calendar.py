"""Pins Federal Reserve banking days from holidays' XFED calendar: weekends and holidays closed, a
Sunday holiday closes the Monday, a Saturday holiday leaves the Friday open."""

from datetime import date

import pytest

from paygo.calendar import add_banking_days, banking_days_between, is_banking_day, next_banking_day


@pytest.mark.parametrize("day, open_", [
    (date(2022, 6, 20), False),  # Juneteenth 2022-06-19 was a Sunday: Monday observed, closed
    (date(2022, 6, 17), True),  # the Friday before a Sunday holiday is open
    (date(2026, 7, 3), True),  # Independence Day 2026-07-04 is a Saturday: Friday stays open
    (date(2021, 12, 24), True),  # Christmas 2021-12-25 was a Saturday: Friday 24th open
    (date(2025, 12, 25), False),  # Christmas on a Thursday
    (date(2025, 11, 11), False),  # Veterans Day: the Fed closes (many banks do not)
    (date(2025, 11, 28), True),  # Day after Thanksgiving: not a Fed holiday
    (date(2026, 7, 4), False),  # Saturday
    (date(2026, 7, 5), False),  # Sunday
])
def test_is_banking_day(day, open_):
    assert is_banking_day(day) is open_


@pytest.mark.parametrize("start, n, expected", [
    (date(2022, 6, 17), 1, date(2022, 6, 21)),  # Fri -> skip Sat, Sun, holiday Mon -> Tue
    (date(2026, 7, 2), 1, date(2026, 7, 3)),  # Thu -> Fri (Saturday holiday leaves it open)
    (date(2026, 7, 2), 2, date(2026, 7, 6)),  # -> Fri, then Mon
    (date(2025, 12, 24), 1, date(2025, 12, 26)),  # Wed -> skip Christmas Thu -> Fri
    (date(2022, 6, 21), -1, date(2022, 6, 17)),  # Tue back over the Monday holiday -> Fri
    (date(2025, 12, 24), 0, date(2025, 12, 24)),
])
def test_add_banking_days(start, n, expected):
    assert add_banking_days(start, n) == expected


def test_next_banking_day_and_between():
    assert next_banking_day(date(2022, 6, 17)) == date(2022, 6, 21)  # Fri -> Tue
    # (Fri 2022-06-17, Fri 2022-06-24]: Tue, Wed, Thu, Fri = 4 (Mon 20th closed)
    assert banking_days_between(date(2022, 6, 17), date(2022, 6, 24)) == 4
    assert banking_days_between(date(2022, 6, 24), date(2022, 6, 17)) == -4
    assert banking_days_between(date(2026, 1, 1), date(2026, 1, 1)) == 0
