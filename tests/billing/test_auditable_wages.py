"""Pins the per-row auditable wages of spec/payroll-file.md ("Auditable wages, per row, in cents"):
which pay counts, the overtime premium part (given, or 1/3 and 1/2 toward zero), the states that
count all overtime (PA DE NV) or tips (NV MT), and the Indiana executive-officer weekly limits.
`auditable_cents` is Rule 2 before any limit; `capped_cents` is after limits and caps."""

import polars as pl
import pytest
from billing_rows import make_rows

from paygo.billing.premium import PricingError, price_payroll
from paygo.billing.wages import weeks_covered


def priced_row(**fields) -> dict:
    return price_payroll(make_rows(**fields)).rows.row(0, named=True)


@pytest.mark.parametrize("fields, expected", [
    # 1000.00 + 200.00 + 300.00 + 400.00 + 50.00 = 195000; severance, expenses, uniform, tips out
    (dict(regular_pay=100000, bonus_pay=20000, commission_pay=30000, pto_pay=40000, other_included_pay=5000,
          severance_pay=900000, expense_reimbursement=7000, uniform_allowance=3000, tips=11000), 195000),
    # overtime 100.01, premium unknown: 10001 - floor(10001 / 3) = 10001 - 3333 = 6668 (odd cent stays)
    (dict(overtime_pay=10001), 6668),
    # overtime 100.02: 10002 - 3334 = 6668
    (dict(overtime_pay=10002), 6668),
    # double time 100.01: 10001 - floor(10001 / 2) = 10001 - 5000 = 5001
    (dict(double_time_pay=10001), 5001),
    # both: 15000 - 5000 + 20001 - 10000 = 20001
    (dict(overtime_pay=15000, double_time_pay=20001), 20001),
    # premium part given as 20.00: 10000 - 2000 = 8000 (the 1/3 rule is not used)
    (dict(overtime_pay=10000, overtime_premium=2000), 8000),
    # premium part given as 0: all overtime counts, 10000 + 5000 = 15000
    (dict(overtime_pay=10000, double_time_pay=5000, overtime_premium=0), 15000),
    # premium part equal to all overtime: 10000 - 10000 = 0
    (dict(overtime_pay=10000, overtime_premium=10000), 0),
    # PA, DE, NV count all overtime, given premium or not: 10001 + 10001 = 20002
    (dict(state="PA", overtime_pay=10001, double_time_pay=10001), 20002),
    (dict(state="DE", overtime_pay=10001, double_time_pay=10001), 20002),
    (dict(state="NV", overtime_pay=10001, double_time_pay=10001), 20002),
    (dict(state="PA", overtime_pay=10000, overtime_premium=2000), 10000),
    # NV and MT count tips: 50000 + 12345 = 62345; CA does not: 50000
    (dict(state="NV", regular_pay=50000, tips=12345), 62345),
    (dict(state="MT", regular_pay=50000, tips=12345), 62345),
    (dict(state="CA", regular_pay=50000, tips=12345), 50000),
    # MT still excludes 1/3 of overtime: 30000 - 10000 = 20000
    (dict(state="MT", overtime_pay=30000), 20000),
])
def test_auditable_cents_per_row(fields, expected):
    row = priced_row(**fields)
    assert row["auditable_cents"] == expected
    assert row["capped_cents"] == expected  # far below any limit or cap
    assert row["cap"] == ("NV_ANNUAL" if fields.get("state") == "NV" else None)


@pytest.mark.parametrize("start, end, weeks", [
    # days counted at both ends, a part week is a full week
    ("2025-03-01", "2025-03-01", 1),  # 1 day
    ("2025-03-01", "2025-03-07", 1),  # 7 days
    ("2025-03-01", "2025-03-08", 2),  # 8 days
    ("2025-03-01", "2025-03-14", 2),  # 14 days
    ("2025-03-01", "2025-03-15", 3),  # 15 days
    ("2025-03-01", "2025-03-31", 5),  # 31 days: ceil(31 / 7) = 5
])
def test_weeks_covered(start, end, weeks):
    frame = make_rows(period_start=start, period_end=end)
    assert frame.select(weeks_covered()).item() == weeks


@pytest.mark.parametrize("fields, auditable, capped", [
    # 2025, 14 days = 2 weeks: max 2 x 4,600.00 = 920000
    (dict(pay_date="2025-03-14", regular_pay=2_000_000), 2_000_000, 920_000),
    # 2025, 10 days = 2 weeks (part week is a full week): also 920000
    (dict(pay_date="2025-03-14", period_start="2025-03-05", regular_pay=2_000_000), 2_000_000, 920_000),
    # 2025, 7 days = 1 week: 460000
    (dict(pay_date="2025-03-14", period_start="2025-03-08", regular_pay=2_000_000), 2_000_000, 460_000),
    # 2025, between min 200000 and max 920000: unchanged
    (dict(pay_date="2025-03-14", regular_pay=500_000), 500_000, 500_000),
    # 2025 zero pay raised to the minimum: 2 x 1,000.00 = 200000
    (dict(pay_date="2025-03-14"), 0, 200_000),
    # 2024 (pay date decides, 2 weeks): min 2 x 950.00 = 190000, max 2 x 4,500.00 = 900000
    (dict(pay_date="2024-12-31", period_start="2024-12-18", period_end="2024-12-31"), 0, 190_000),
    (dict(pay_date="2024-12-31", period_start="2024-12-18", period_end="2024-12-31", regular_pay=10**6),
     10**6, 900_000),
    # 2026: max 2 x 4,900.00 = 980000, min 2 x 1,050.00 = 210000
    (dict(pay_date="2026-01-02", regular_pay=10**6), 10**6, 980_000),
    (dict(pay_date="2026-01-02", regular_pay=100), 100, 210_000),
    # 2027 and 2023: no limit either way
    (dict(pay_date="2027-01-08", regular_pay=10**7), 10**7, 10**7),
    (dict(pay_date="2027-01-08"), 0, 0),
    (dict(pay_date="2023-12-29", regular_pay=10**7), 10**7, 10**7),
])
def test_indiana_officer_weekly_limits(fields, auditable, capped):
    base = dict(state="IN", is_officer=True, period_start="2025-03-01", period_end="2025-03-14")
    row = priced_row(**{**base, **fields})
    assert (row["auditable_cents"], row["capped_cents"], row["cap"]) == (auditable, capped, None)


@pytest.mark.parametrize("fields", [
    dict(state="IN", is_officer=False, regular_pay=10**7),  # not an officer
    dict(state="IL", is_officer=True, regular_pay=10**7),   # an officer elsewhere
])
def test_officer_limits_only_for_indiana_officers(fields):
    row = priced_row(pay_date="2025-03-14", **fields)
    assert row["capped_cents"] == 10**7


@pytest.mark.parametrize("fields, reason", [
    (dict(regular_pay=-1), "regular_pay"),
    (dict(tips=None), "tips"),
    (dict(bonus_pay=10**15 + 1), "bonus_pay"),
    (dict(overtime_pay=100, double_time_pay=100, overtime_premium=201), "overtime_premium"),
])
def test_amounts_that_cannot_be_priced_are_refused(fields, reason):
    with pytest.raises(PricingError, match=reason):
        price_payroll(make_rows(**fields))


def test_largest_amounts_in_every_column_stay_exact():
    # 7 included columns of 10^15 cents each, premium part 10^15 // 3 + 10^15 // 2
    # = 333333333333333 + 500000000000000: 7 x 10^15 - 833333333333333 = 6166666666666667
    rows = make_rows(**{c: 10**15 for c in ("regular_pay", "overtime_pay", "double_time_pay", "bonus_pay",
                                             "commission_pay", "pto_pay", "other_included_pay")})
    assert price_payroll(rows).rows["auditable_cents"].to_list() == [6_166_666_666_666_667]
    assert price_payroll(rows).rows.schema["auditable_cents"] == pl.Int64
