"""Late payroll: an employer whose next payroll file is overdue, by its pay frequency.

A missing payroll file is the most common PAYGO failure: premium that is never reported is never
billed, and the carrier finds out at the year-end audit. Each employer has a pay frequency; the
next pay date is expected one period after the latest regular run's pay date (weekly 7 days,
biweekly 14, semimonthly: the 15th and the last day of the month alternate, monthly: the same day
next month, clamped to the month's end). A file is late when that date plus a grace of
`grace_days` calendar days has passed. An employer with no run yet is expected one period after
its earliest policy's effective date.

Worked example: biweekly, latest pay date 2025-06-06 -> expected 2025-06-20; with 3 grace days
the employer is late from 2025-06-24 on (2025-06-23 is still on time).
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class EmployerCadence:
    employer_fein: str
    name: str
    pay_frequency: str  # weekly | biweekly | semimonthly | monthly
    last_pay_date: date | None  # latest pay date of any run received
    coverage_start: date  # earliest policy effective date


@dataclass(frozen=True)
class LatePayroll:
    employer_fein: str
    name: str
    expected_pay_date: date
    days_late: int


def _add_month(day: date) -> date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_pay_date(previous: date, pay_frequency: str) -> date:
    """The pay date expected after `previous` for this frequency."""
    if pay_frequency == "weekly":
        return previous + timedelta(days=7)
    if pay_frequency == "biweekly":
        return previous + timedelta(days=14)
    if pay_frequency == "monthly":
        return _add_month(previous)
    if pay_frequency == "semimonthly":
        last = calendar.monthrange(previous.year, previous.month)[1]
        if previous.day < 15:
            return previous.replace(day=15)
        if previous.day < last:
            return previous.replace(day=last)
        following = previous + timedelta(days=1)
        return following.replace(day=15)
    raise ValueError(f"unknown pay frequency {pay_frequency!r}")


def late_employers(cadences: list[EmployerCadence], today: date, grace_days: int = 3) -> list[LatePayroll]:
    """Employers whose expected payroll file has not arrived `grace_days` after its pay date."""
    late = []
    for c in cadences:
        expected = next_pay_date(c.last_pay_date or c.coverage_start, c.pay_frequency)
        overdue = (today - expected).days - grace_days
        if overdue > 0:
            late.append(LatePayroll(c.employer_fein, c.name, expected, (today - expected).days))
    return sorted(late, key=lambda x: (-x.days_late, x.employer_fein))


def load_cadences(session) -> list[EmployerCadence]:
    """Every employer's pay frequency, latest pay date received and coverage start, from the database."""
    from sqlalchemy import func, select

    from paygo.db import models as m

    last_pay = (
        select(m.PayrollRun.employer_id, func.max(m.PayrollRun.pay_date).label("last_pay"))
        .group_by(m.PayrollRun.employer_id)
        .subquery()
    )
    start = (
        select(m.Policy.employer_id, func.min(m.Policy.effective_date).label("start"))
        .group_by(m.Policy.employer_id)
        .subquery()
    )
    q = (
        select(m.Employer.fein, m.Employer.name, m.Employer.pay_frequency, last_pay.c.last_pay, start.c.start)
        .outerjoin(last_pay, last_pay.c.employer_id == m.Employer.id)
        .join(start, start.c.employer_id == m.Employer.id)
        .order_by(m.Employer.fein)
    )
    return [EmployerCadence(fein, name, freq, last, begin) for fein, name, freq, last, begin in session.execute(q)]
