"""Premium lines: one per (policy, payroll run, state, class_code), rounded once.

Source: spec/payroll-file.md "Premium"; shared/domain.md "Rounding". A line's auditable cents are
the sum of its rows' capped auditable cents (paygo.billing.wages); its premium is
auditable_cents x net_rate / 100 rounded once, half away from zero, to whole cents; a total is the
sum of rounded lines. Example: $2,200.00 at 1.234 -> 220000 x 1.234 / 100 = 2714.8 -> 2715 cents.

Exactness: the rate (at most 6 decimals) becomes an integer of micro-units (1.234 -> 1234000) and
the product is taken in Int128, so premium = (cents x micro + 50,000,000) div 100,000,000 with no
rounding before the one that counts. A line of $10,000,000,000.00 at 99.999999 is
10^12 x 99999999 = 9.9999999 x 10^19 micro-cents, beyond Int64 but far inside Int128 (1.7 x 10^38);
anything whose premium would not fit an Int64 is refused with a PricingError, never wrapped.

Per-cycle rounding drifts from the auditor's yearly figure (26 cycles of $1,234.56 at 0.37 bill
26 x 457 = 11,882 cents against 11,876 exact); the spec bills per cycle, so that drift is kept.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from paygo.billing.rules import RULES, StateRules
from paygo.billing.wages import INT64_MAX, PricingError, capped_wages

__all__ = ["PricedPayroll", "PricingError", "price_payroll", "rate_micro_units"]

RATE_TEXT = re.compile(r"[0-9]+(?:\.[0-9]{1,6})?")
MICRO = 10**6
LINE_KEYS = ("policy_number", "payroll_run_id", "state", "class_code")
ROW_COLUMNS = ("row", "policy_number", "employer_fein", "payroll_run_id", "employee_id", "state",
               "class_code", "pay_date", "policy_year_start", "auditable_cents", "capped_cents", "cap")
LINE_COLUMNS = ("policy_number", "employer_fein", "carrier_id", "payroll_run_id", "run_type", "pay_date",
                "period_start", "period_end", "state", "class_code", "auditable_cents", "net_rate",
                "premium_cents")
# Fields every row of one line must agree on (a run shares its date and period; one rate per line).
LINE_FIELDS = ("employer_fein", "carrier_id", "run_type", "pay_date", "period_start", "period_end", "net_rate")


@dataclass(frozen=True)
class PricedPayroll:
    rows: pl.DataFrame       # per input row, in input order: ROW_COLUMNS
    lines: pl.DataFrame      # LINE_COLUMNS, sorted by LINE_KEYS in code-point order
    ytd_after: pl.DataFrame  # year to date with these rows counted
    total_premium_cents: int


def rate_micro_units(text: str | None) -> int:
    """A net rate's text to millionths: "1.234" -> 1234000. Raises PricingError."""
    if not isinstance(text, str) or not RATE_TEXT.fullmatch(text):
        raise PricingError(f"net rate {text!r} is not a decimal with at most 6 places like 1.234567")
    micro = int(Decimal(text) * MICRO)
    if micro > INT64_MAX:
        raise PricingError(f"net rate {text!r} is too large to price")
    return micro


def premium_expr(cents: pl.Expr, micro: pl.Expr) -> pl.Expr:
    """cents x micro / 10^8 rounded half away from zero, in Int128 (both inputs >= 0)."""
    half, whole = 50 * MICRO, 100 * MICRO
    return (cents.cast(pl.Int128) * micro.cast(pl.Int128) + half) // whole


def price_payroll(rated_rows: pl.DataFrame, ytd: pl.DataFrame | None = None,
                  *, rules: StateRules = RULES) -> PricedPayroll:
    """Auditable wages, caps with year to date, and premium lines of rated payroll rows."""
    rows, ytd_after = capped_wages(rated_rows, ytd, rules)
    # Grouping by the fields too (not n_unique, 4x slower) leaves two lines with one key exactly
    # when the rows of a line disagree on one of them.
    lines = (
        rows.lazy().group_by(*LINE_KEYS, *LINE_FIELDS)  # lazy: only the grouped columns are read
        .agg(pl.col("capped_cents").cast(pl.Int128).sum().alias("_cents"))
        .sort(pl.struct(LINE_KEYS))  # one struct key: same code-point order, about 2x faster than 4 keys
        .collect()
    )
    split = lines.filter(pl.struct(LINE_KEYS).is_duplicated())
    if split.height:
        bad = split.row(0, named=True)
        raise PricingError(
            f"line {bad['policy_number']} {bad['payroll_run_id']} {bad['state']} {bad['class_code']}: its rows "
            f"disagree on the employer, carrier, run type, dates or net rate")
    micro = {text: rate_micro_units(text) for text in lines["net_rate"].unique().to_list()}
    lines = lines.with_columns(
        _micro=pl.col("net_rate").replace_strict(micro, return_dtype=pl.Int64)
    ).with_columns(_premium=premium_expr(pl.col("_cents"), pl.col("_micro")))
    if lines.height and max(lines["_cents"].max(), lines["_premium"].max()) > INT64_MAX:
        raise PricingError("a premium line is too large to state exactly in 64-bit cents")
    lines = lines.with_columns(auditable_cents=pl.col("_cents").cast(pl.Int64),
                               premium_cents=pl.col("_premium").cast(pl.Int64)).select(LINE_COLUMNS)
    total = int(lines["premium_cents"].cast(pl.Int128).sum()) if lines.height else 0
    return PricedPayroll(rows=rows.select(ROW_COLUMNS), lines=lines, ytd_after=ytd_after,
                         total_premium_cents=total)
