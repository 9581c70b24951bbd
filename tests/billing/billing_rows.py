"""Builders of rated payroll rows (docs/architecture.md "Typed payroll rows" + "Rated rows") for the
premium engine's tests: every column present, money in Int64 cents, dates as Date."""

from datetime import date

import polars as pl

from paygo.billing.wages import MONEY_COLUMNS

RATED_SCHEMA = {
    "row": pl.Int64, "employer_fein": pl.String, "policy_number": pl.String, "payroll_run_id": pl.String,
    "employee_id": pl.String, "state": pl.String, "class_code": pl.String, "run_type": pl.String,
    "pay_date": pl.Date, "period_start": pl.Date, "period_end": pl.Date, "is_officer": pl.Boolean,
    **{c: pl.Int64 for c in MONEY_COLUMNS}, "overtime_premium": pl.Int64,
    "net_rate": pl.String, "carrier_id": pl.String, "policy_year_start": pl.Date,
}

DEFAULT_ROW = {
    "employer_fein": "123456789", "policy_number": "P1", "payroll_run_id": "R1", "employee_id": "E1",
    "state": "TX", "class_code": "8810", "run_type": "regular",
    "pay_date": date(2025, 3, 14), "period_start": date(2025, 3, 1), "period_end": date(2025, 3, 14),
    "is_officer": False, **{c: 0 for c in MONEY_COLUMNS}, "overtime_premium": None,
    "net_rate": "1.00", "carrier_id": "C1", "policy_year_start": date(2025, 1, 1),
}


def _as_date(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


def make_row(**overrides) -> dict:
    unknown = set(overrides) - set(RATED_SCHEMA)
    assert not unknown, f"unknown columns {unknown}"
    row = {**DEFAULT_ROW, **overrides}
    for c in ("pay_date", "period_start", "period_end", "policy_year_start"):
        row[c] = _as_date(row[c])
    return row


def make_rows(*rows: dict, **overrides) -> pl.DataFrame:
    """One row per dict in `rows` (one default row when none), `overrides` applied to all; `row`
    numbers 1..n unless given."""
    specs = rows or ({},)
    built = [make_row(**{"row": i, **overrides, **spec}) for i, spec in enumerate(specs, start=1)]
    return pl.DataFrame(built, schema=RATED_SCHEMA)
