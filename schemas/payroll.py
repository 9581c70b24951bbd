"""Pandera (polars backend) models of the payroll file: its text cells and its typed rows.

`PayrollCells` holds the cell rules of spec/payroll-file.md on the trimmed text, one check per
rule, so `validate(df, lazy=True)` reports every malformed cell at once: e.g. class_code `88l0`
fails `class_code_is_3_or_4_digits` at its row. `PayrollRows` is the contract of the typed rows
(docs/architecture.md) with the two row-level rules as dataframe checks: a period of
2024-01-01..2024-02-01 is 32 days counting both ends, so it fails
`period_in_order_and_at_most_31_days`. Validate eager DataFrames: a LazyFrame only gets its
schema checked. Each failure becomes a `CellFailure` (frame position, column, value, check).
"""

from dataclasses import dataclass
from functools import lru_cache
from collections.abc import Callable, Iterable
from typing import Optional

import pandera.polars as pa
from pandera.config import ValidationDepth, config_context
import polars as pl
from pandera.api.polars.types import PolarsData

from paygo.payroll import cells as parse
from paygo.payroll.columns import (
    CLASS_CODE_PATTERN,
    FEIN_PATTERN,
    MAX_TEXT_CHARS,
    MONEY_COLUMNS,
    MONOPOLISTIC_STATES,
    OFFICER_FALSE,
    OFFICER_TRUE,
    RUN_TYPES,
    SSN_PATTERN,
    USPS_STATES,
)

# The length checks of the free-text columns (MAX_TEXT_CHARS: the database columns' lengths), by
# check name -> column. A check's name states its limit, so a changed limit must rename it.
LENGTH_CHECKS: dict[str, str] = {
    "policy_number_at_most_64_chars": "policy_number",
    "payroll_run_id_at_most_128_chars": "payroll_run_id",
    "employee_id_at_most_64_chars": "employee_id",
}
assert all(name == f"{c}_at_most_{MAX_TEXT_CHARS[c]}_chars" for name, c in LENGTH_CHECKS.items())
assert sorted(LENGTH_CHECKS.values()) == sorted(MAX_TEXT_CHARS)


def _at_most(column: str) -> Callable[[pl.Expr], pl.Expr]:
    return lambda text: text.str.len_chars() <= MAX_TEXT_CHARS[column]


# check name -> the reason an error line gives
REASONS: dict[str, str] = {
    "not_nullable": "is required and is empty",
    "fein_is_9_digits": "must be an employer FEIN of 9 digits, 123456789 or 12-3456789",
    "run_type_is_known": "must be one of regular, off_cycle, correction (lowercase)",
    "is_a_date": "must be a real date written YYYY-MM-DD",
    "policy_number_at_most_64_chars": "must be at most 64 characters",
    "payroll_run_id_at_most_128_chars": "must be at most 128 characters",
    "employee_id_at_most_64_chars": "must be 1 to 64 characters",
    "employee_id_not_ssn_shaped": "looks like a social security number; the file must not carry them",
    "is_officer_is_a_flag": "must be true/false, Y/N or 1/0",
    "state_is_usps_code": "is not the upper-case USPS code of a state or DC",
    "state_not_monopolistic": "is a monopolistic state (ND, OH, WA, WY): no private carrier insures it",
    "class_code_is_3_or_4_digits": "must be a class code of 3 or 4 digits",
    "money_is_dollars": "must be dollars with at most two decimals, like 1234.56 (no sign, symbol or separator)",
    "money_not_too_large": "is larger than the largest accepted amount ($10,000,000,000,000.00)",
    "period_in_order_and_at_most_31_days": "period must start on or before its end and last at most 31 days",
    "overtime_premium_within_overtime_pay": "overtime_premium is above overtime_pay + double_time_pay",
}
# Dataframe-level checks name one column in the error report (spec, "Which column an error names").
DATAFRAME_CHECK_COLUMN: dict[str, str] = {
    "period_in_order_and_at_most_31_days": "period_end",
    "overtime_premium_within_overtime_pay": "overtime_premium",
}


def _ok(data: PolarsData, expr: pl.Expr) -> pl.LazyFrame:
    """A check result where null cells pass (emptiness is the not_nullable check's business)."""
    col = pl.col(data.key)
    return data.lazyframe.select((col.is_null() | expr).alias(data.key))


def _text(nullable: bool = False) -> object:
    return pa.Field(nullable=nullable)


def _in(values: tuple[str, ...] | list[str]) -> Callable[[pl.Expr], pl.Expr]:
    return lambda text: text.is_in(list(values))


# check name -> (columns, rule on the trimmed text of one cell, True = the cell is fine).
# The pandera checks of PayrollCells and the row prefilter `cell_rules_hold` are both built from
# this one table, so a row the prefilter passes is a row pandera passes (null cells pass every
# rule; emptiness is `not_nullable`'s business, which the prefilter mirrors for required columns).
CELL_RULES: dict[str, tuple[tuple[str, ...], Callable[[pl.Expr], pl.Expr]]] = {
    "fein_is_9_digits": (("employer_fein",), lambda text: text.str.contains(FEIN_PATTERN)),
    "run_type_is_known": (("run_type",), _in(RUN_TYPES)),
    "is_a_date": (("pay_date", "period_start", "period_end"), lambda text: parse.date(text).is_not_null()),
    **{name: ((column,), _at_most(column)) for name, column in LENGTH_CHECKS.items()},
    "employee_id_not_ssn_shaped": (("employee_id",), lambda text: ~text.str.contains(SSN_PATTERN)),
    "is_officer_is_a_flag": (("is_officer",), lambda text: text.str.to_lowercase().is_in(OFFICER_TRUE + OFFICER_FALSE)),
    "state_is_usps_code": (("state",), _in(sorted(USPS_STATES))),
    "state_not_monopolistic": (("state",), lambda text: ~text.is_in(sorted(MONOPOLISTIC_STATES))),
    "class_code_is_3_or_4_digits": (("class_code",), lambda text: text.str.contains(CLASS_CODE_PATTERN)),
    "money_is_dollars": (MONEY_COLUMNS, parse.money_text_ok),
    "money_not_too_large": (MONEY_COLUMNS, parse.money_not_too_large),
}


def _rule(data: PolarsData, check: str) -> pl.LazyFrame:
    return _ok(data, CELL_RULES[check][1](pl.col(data.key)))


class PayrollCells(pa.DataFrameModel):
    """Trimmed text cells of a payroll file; empty cells are null, absent optional columns too."""

    row: pl.Int64 = pa.Field(ge=1)
    employer_fein: str = _text()
    policy_number: str = _text()
    payroll_run_id: str = _text()
    run_type: Optional[str] = _text(True)
    pay_date: str = _text()
    period_start: str = _text()
    period_end: str = _text()
    employee_id: str = _text()
    is_officer: Optional[str] = _text(True)
    state: str = _text()
    class_code: str = _text()
    regular_pay: str = _text()
    overtime_pay: Optional[str] = _text(True)
    double_time_pay: Optional[str] = _text(True)
    overtime_premium: Optional[str] = _text(True)
    bonus_pay: Optional[str] = _text(True)
    commission_pay: Optional[str] = _text(True)
    pto_pay: Optional[str] = _text(True)
    tips: Optional[str] = _text(True)
    severance_pay: Optional[str] = _text(True)
    expense_reimbursement: Optional[str] = _text(True)
    uniform_allowance: Optional[str] = _text(True)
    other_included_pay: Optional[str] = _text(True)

    class Config:
        strict = True
        ordered = False

    # One pandera check per CELL_RULES entry; the same expressions build `cell_rules_hold`.
    @pa.check(*CELL_RULES["fein_is_9_digits"][0], name="fein_is_9_digits")
    def _fein(cls, data: PolarsData) -> pl.LazyFrame:
        return _rule(data, "fein_is_9_digits")

    @pa.check(*CELL_RULES["policy_number_at_most_64_chars"][0], name="policy_number_at_most_64_chars")
    def _policy_len(cls, data: PolarsData) -> pl.LazyFrame:
        return _rule(data, "policy_number_at_most_64_chars")

    @pa.check(*CELL_RULES["payroll_run_id_at_most_128_chars"][0], name="payroll_run_id_at_most_128_chars")
    def _run_len(cls, data: PolarsData) -> pl.LazyFrame:
        return _rule(data, "payroll_run_id_at_most_128_chars")

    @pa.check(*CELL_RULES["run_type_is_known"][0], name="run_type_is_known")
    def _run_type(cls, data: PolarsData) -> pl.LazyFrame:
        return _rule(data, "run_type_is_known")

    @pa.check(*CELL_RULES["is_a_date"][0], name="is_a_date")
    def _date(cls, data: PolarsData) -> pl.LazyFrame:
        return _rule(data, "is_a_date")

    @pa.check(*CELL_RULES["employee_id_at_most_64_chars"][0], name="employee_id_at_most_64_chars")
    def _employee_len(cls, data: PolarsData) -> pl.LazyFrame:
        return _rule(data, "employee_id_at_most_64_chars")

    @pa.check(*CELL_RULES["employee_id_not_ssn_shaped"][0], name="employee_id_not_ssn_shaped")
    def _employee_ssn(cls, data: PolarsData) -> pl.LazyFrame:
        return _rule(data, "employee_id_not_ssn_shaped")

    @pa.check(*CELL_RULES["is_officer_is_a_flag"][0], name="is_officer_is_a_flag")
    def _officer(cls, data: PolarsData) -> pl.LazyFrame:
        return _rule(data, "is_officer_is_a_flag")

    @pa.check(*CELL_RULES["state_is_usps_code"][0], name="state_is_usps_code")
    def _state(cls, data: PolarsData) -> pl.LazyFrame:
        return _rule(data, "state_is_usps_code")

    @pa.check(*CELL_RULES["state_not_monopolistic"][0], name="state_not_monopolistic")
    def _monopolistic(cls, data: PolarsData) -> pl.LazyFrame:
        return _rule(data, "state_not_monopolistic")

    @pa.check(*CELL_RULES["class_code_is_3_or_4_digits"][0], name="class_code_is_3_or_4_digits")
    def _class_code(cls, data: PolarsData) -> pl.LazyFrame:
        return _rule(data, "class_code_is_3_or_4_digits")

    @pa.check(*CELL_RULES["money_is_dollars"][0], name="money_is_dollars")
    def _money(cls, data: PolarsData) -> pl.LazyFrame:
        return _rule(data, "money_is_dollars")

    @pa.check(*CELL_RULES["money_not_too_large"][0], name="money_not_too_large")
    def _money_size(cls, data: PolarsData) -> pl.LazyFrame:
        return _rule(data, "money_not_too_large")


def _period_rule() -> pl.Expr:
    start, end = pl.col("period_start"), pl.col("period_end")
    days = (end - start).dt.total_days() + 1  # both ends count
    return ((start <= end) & (days <= 31)).fill_null(True)


def _overtime_premium_rule() -> pl.Expr:
    return (pl.col("overtime_premium") <= pl.col("overtime_pay") + pl.col("double_time_pay")).fill_null(True)


# check name -> the whole-row rule on typed rows (True = the row is fine). PayrollRows' dataframe
# checks and the row prefilter `row_rules_hold` are both built from this table.
ROW_RULES: dict[str, Callable[[], pl.Expr]] = {
    "period_in_order_and_at_most_31_days": _period_rule,
    "overtime_premium_within_overtime_pay": _overtime_premium_rule,
}


def _cents_field(nullable: bool = False) -> object:
    return pa.Field(ge=0, nullable=nullable)


class PayrollRows(pa.DataFrameModel):
    """Typed payroll rows (docs/architecture.md, "Typed payroll rows"): cents, dates, flags."""

    row: pl.Int64 = pa.Field(ge=1, unique=True)
    employer_fein: str = pa.Field(str_matches=r"^[0-9]{9}$")
    policy_number: str = pa.Field(str_length={"max_value": MAX_TEXT_CHARS["policy_number"]})
    payroll_run_id: str = pa.Field(str_length={"max_value": MAX_TEXT_CHARS["payroll_run_id"]})
    run_type: str = pa.Field(isin=list(RUN_TYPES))
    pay_date: pl.Date
    period_start: pl.Date
    period_end: pl.Date
    employee_id: str = pa.Field(str_length={"min_value": 1, "max_value": MAX_TEXT_CHARS["employee_id"]})
    is_officer: pl.Boolean
    state: str = pa.Field(isin=sorted(USPS_STATES - MONOPOLISTIC_STATES))
    class_code: str = pa.Field(str_matches=CLASS_CODE_PATTERN)
    regular_pay: pl.Int64 = _cents_field()
    overtime_pay: pl.Int64 = _cents_field()
    double_time_pay: pl.Int64 = _cents_field()
    bonus_pay: pl.Int64 = _cents_field()
    commission_pay: pl.Int64 = _cents_field()
    pto_pay: pl.Int64 = _cents_field()
    tips: pl.Int64 = _cents_field()
    severance_pay: pl.Int64 = _cents_field()
    expense_reimbursement: pl.Int64 = _cents_field()
    uniform_allowance: pl.Int64 = _cents_field()
    other_included_pay: pl.Int64 = _cents_field()
    overtime_premium: Optional[pl.Int64] = _cents_field(True)  # null: not known

    class Config:
        strict = False  # rated rows add net_rate, carrier_id, policy_year_start
        ordered = False

    # One pandera check per ROW_RULES entry; the same expressions build `row_rules_hold`.
    @pa.dataframe_check(name="period_in_order_and_at_most_31_days")
    def _period(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(ROW_RULES["period_in_order_and_at_most_31_days"]())

    @pa.dataframe_check(name="overtime_premium_within_overtime_pay")
    def _overtime_premium(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(ROW_RULES["overtime_premium_within_overtime_pay"]())


class RatedRows(PayrollRows):
    """Typed rows plus what the PolicyBook adds (docs/architecture.md, "Rated rows")."""

    net_rate: str = pa.Field(str_matches=r"^[0-9]+(\.[0-9]{1,6})?$")
    carrier_id: str
    policy_year_start: pl.Date


@dataclass(frozen=True)
class CheckReport:
    """Result of one pandera validation: `failure_cases` is pandera's frame (empty when passed)."""

    failure_cases: pl.DataFrame

    @property
    def passed(self) -> bool:
        return self.failure_cases.height == 0

    def counts(self) -> dict[str, int]:
        """Failures by "column/check", for asset-check metadata."""
        grouped = self.failure_cases.group_by("column", "check").len().sort("column", "check")
        return {f"{c}/{k}": n for c, k, n in grouped.iter_rows()}


_NO_FAILURES = pl.DataFrame(
    schema={"failure_case": pl.String, "schema_context": pl.String, "column": pl.String,
            "check": pl.String, "check_number": pl.Int32, "index": pl.Int32}
)


def _run(model: type[pa.DataFrameModel], df: pl.DataFrame) -> CheckReport:
    try:
        if df.height == 0:
            # No row, so no data check can fail: pandera checks the columns and dtypes only.
            with config_context(validation_depth=ValidationDepth.SCHEMA_ONLY):
                model.validate(df, lazy=True)
        else:
            model.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return CheckReport(exc.failure_cases)
    return CheckReport(_NO_FAILURES)


@lru_cache(maxsize=1)
def required_text_columns() -> tuple[str, ...]:
    """PayrollCells' columns that may not be empty (pandera's `not_nullable`)."""
    return tuple(name for name, column in PayrollCells.to_schema().columns.items()
                 if not column.nullable and name != "row")


def cell_rules_hold(columns: Iterable[str]) -> pl.Expr:
    """True on a row where every PayrollCells rule holds for every cell (of `columns` present).

    Built from CELL_RULES, the table the pandera checks are built from: a row where this is True
    yields no pandera failure, so pandera needs to see only the other rows.
    """
    present = set(columns)
    holds = [pl.col("row") >= 1]
    holds += [pl.col(c).is_not_null() for c in required_text_columns() if c in present]
    for targets, rule in CELL_RULES.values():
        holds += [pl.col(c).is_null() | rule(pl.col(c)) for c in targets if c in present]
    return pl.all_horizontal(holds).fill_null(False)


def validate_payroll_cells(cells: pl.DataFrame, holds: pl.Series | None = None) -> CheckReport:
    """Every malformed text cell (eager frame of PayrollCells' columns).

    One vectorised pass (`cell_rules_hold`) finds the rows that break some rule; pandera then
    validates only those rows (and always the frame's schema: columns and dtypes, on the empty
    frame when every row holds), and its failure `index` is mapped back to the position in
    `cells`. `holds`, when given, equals `cell_rules_hold` on `cells` (paygo.payroll.validate
    reads it off the typing, `cells_hold`). So the report equals pandera's report on the whole
    frame, and a passing file costs one pass instead of one pass per check; on the empty frame
    pandera checks only columns and dtypes (no data check can fail on no rows).
    """
    if holds is None:
        holds = cells.lazy().select(cell_rules_hold(cells.columns)).collect().to_series()
    return _run_on_suspects(PayrollCells, cells, holds)


def _run_on_suspects(model: type[pa.DataFrameModel], df: pl.DataFrame, holds: pl.Series) -> CheckReport:
    """pandera on the rows where `holds` is not True (and the schema always); `index` maps back to `df`."""
    if holds.all():  # the usual file: nothing to map back
        return _run(model, df.head(0))
    positions = pl.int_range(pl.len(), dtype=pl.Int32).alias("_position")
    suspect = df.with_columns(positions).filter(~holds.fill_null(False))
    report = _run(model, suspect.drop("_position"))
    if report.passed:
        return report
    back = suspect.select(pl.int_range(pl.len(), dtype=pl.Int32).alias("index"), "_position")
    cases = report.failure_cases
    remapped = cases.join(back, on="index", how="left", maintain_order="left").with_columns(
        pl.coalesce("_position", "index").alias("index")).select(cases.columns)
    return CheckReport(remapped)


def row_rules_hold() -> pl.Expr:
    """True on a typed row where every PayrollRows dataframe check (ROW_RULES) holds."""
    return pl.all_horizontal([rule() for rule in ROW_RULES.values()]).fill_null(False)


def validate_payroll_rows(rows: pl.DataFrame, cells_hold: pl.Series | None = None) -> CheckReport:
    """The typed rows' contract and the row-level rules (period, overtime premium).

    `cells_hold`, when given, is `cell_rules_hold` of the cells `rows` were typed from (same
    order). A row whose cells hold every PayrollCells rule types to a row meeting every column
    check of PayrollRows (typed_exprs turns exactly the text those rules accept into valid values;
    tests/payroll/test_fast_path.py checks it against pandera on every row), so pandera then sees
    only the rows whose cells failed or where a ROW_RULES rule fails, plus the schema, and its
    report equals the report on every row. The `row` column's uniqueness is a whole-frame check:
    it is proved here once (strictly increasing row numbers), else every row goes to pandera.
    """
    if cells_hold is None:
        return _run(PayrollRows, rows)
    increasing = rows.height < 2 or bool(rows.select((pl.col("row").diff().drop_nulls() > 0).all()).item())
    if not increasing:
        return _run(PayrollRows, rows)
    holds = rows.lazy().select(row_rules_hold()).collect().to_series() & cells_hold
    return _run_on_suspects(PayrollRows, rows, holds)
