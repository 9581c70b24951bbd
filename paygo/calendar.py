"""Federal Reserve banking days, from the `holidays` package's XFED (Federal Reserve System) calendar.

Rule (Federal Reserve holiday schedule; domain.md): ACH settles on weekdays that are not Federal
Reserve holidays. A holiday falling on Sunday closes the Monday after; a holiday falling on
Saturday leaves the Friday before open. XFED already encodes both (it moves Sunday holidays to
Monday and does not move Saturday ones), so we never keep a hand-written list.
Worked examples: Juneteenth 2022-06-19 was a Sunday -> Monday 2022-06-20 is closed;
Independence Day 2026-07-04 is a Saturday -> Friday 2026-07-03 is a banking day.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.financial_holidays("XFED", years=year).keys())


def is_banking_day(d: date) -> bool:
    """A weekday that is not a Federal Reserve holiday."""
    return d.weekday() < 5 and d not in _holidays(d.year)


def next_banking_day(d: date) -> date:
    """The first banking day strictly after `d`."""
    d += timedelta(days=1)
    while not is_banking_day(d):
        d += timedelta(days=1)
    return d


def add_banking_days(d: date, n: int) -> date:
    """Move `n` banking days forward (n >= 0) or back (n < 0) from `d`; n = 0 returns `d` itself."""
    step = timedelta(days=1 if n >= 0 else -1)
    remaining = abs(n)
    while remaining:
        d += step
        if is_banking_day(d):
            remaining -= 1
    return d


def banking_days_between(a: date, b: date) -> int:
    """Banking days in the half-open interval (a, b]: Friday -> next Monday is 1; negative when b < a."""
    if b < a:
        return -banking_days_between(b, a)
    count, d = 0, a
    while d < b:
        d += timedelta(days=1)
        count += is_banking_day(d)
    return count
