"""schemas.payroll: pandera models report every failure with its check name and position.

Pins that PayrollCells collects all malformed cells lazily (failure_cases with index) and that
PayrollRows' dataframe checks catch a 32-day period and an overtime premium above overtime pay.
"""

from datetime import date

import polars as pl

from schemas.payroll import PayrollRows, validate_payroll_cells, validate_payroll_rows
from paygo.payroll.columns import ALL_COLUMNS, ZERO_DEFAULT_MONEY


def cells_frame(**overrides: list) -> pl.DataFrame:
    base = {c: [None, None] for c in ALL_COLUMNS}
    base.update(employer_fein=["123456789", "12-3456789"], policy_number=["P", "P"], payroll_run_id=["R", "R"],
                pay_date=["2024-01-05", "2024-01-05"], period_start=["2024-01-01"] * 2, period_end=["2024-01-05"] * 2,
                employee_id=["E1", "E2"], state=["CA", "CA"], class_code=["8810", "8810"], regular_pay=["1", "2"])
    base.update(overrides)
    return pl.DataFrame({"row": [1, 2], **base}, schema={"row": pl.Int64, **{c: pl.String for c in ALL_COLUMNS}})


def test_cells_pass():
    assert validate_payroll_cells(cells_frame()).passed


def test_cells_collect_every_failure_lazily():
    report = validate_payroll_cells(cells_frame(state=["ND", "Ca"], bonus_pay=["1.234", None]))
    got = sorted(report.failure_cases.select("column", "check", "index").iter_rows())
    assert got == [("bonus_pay", "money_is_dollars", 0), ("state", "state_is_usps_code", 1),
                   ("state", "state_not_monopolistic", 0)]
    assert report.counts() == {"bonus_pay/money_is_dollars": 1, "state/state_is_usps_code": 1,
                               "state/state_not_monopolistic": 1}


def rows_frame(**overrides) -> pl.DataFrame:
    row = dict(row=1, employer_fein="123456789", policy_number="P", payroll_run_id="R", run_type="regular",
               pay_date=date(2024, 2, 1), period_start=date(2024, 1, 1), period_end=date(2024, 1, 31),
               employee_id="E", is_officer=False, state="CA", class_code="8810",
               **{c: 0 for c in ZERO_DEFAULT_MONEY}, overtime_premium=None)
    row.update(overrides)
    return pl.DataFrame([row], schema_overrides={"overtime_premium": pl.Int64})


def test_rows_pass_at_31_days():
    # 2024-01-01..2024-01-31 is 30 + 1 = 31 days: allowed
    assert validate_payroll_rows(rows_frame()).passed


def test_rows_dataframe_checks():
    # 2024-01-01..2024-02-01 is 31 + 1 = 32 days; premium 301 > 300 + 0
    report = validate_payroll_rows(rows_frame(period_end=date(2024, 2, 1), overtime_pay=300, overtime_premium=301))
    assert sorted(report.failure_cases["check"].to_list()) == [
        "overtime_premium_within_overtime_pay", "period_in_order_and_at_most_31_days"]
    assert issubclass(PayrollRows, object)


def test_rows_that_all_hold_still_have_their_schema_checked():
    # every row holds, so pandera sees an empty frame and checks only columns and dtypes there
    good = cells_frame()
    holds = pl.Series([True, True])
    assert validate_payroll_cells(good, holds=holds).passed
    report = validate_payroll_cells(good.with_columns(pl.col("state").cast(pl.Categorical)), holds=holds)
    assert report.failure_cases.select("column", "check").rows() == [("state", "dtype('String')")]
    missing = validate_payroll_cells(good.drop("class_code"), holds=holds)
    assert missing.failure_cases.select("failure_case", "check").rows() == [("class_code", "column_in_dataframe")]
    typed = rows_frame()
    wrong = validate_payroll_rows(typed.with_columns(pl.col("pay_date").cast(pl.String)), cells_hold=pl.Series([True]))
    assert ("pay_date", "dtype('Date')") in wrong.failure_cases.select("column", "check").rows()
