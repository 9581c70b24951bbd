"""Pins premium lines (spec/payroll-file.md "Premium"): one line per (policy, run, state, class),
the sum of capped cents rounded ONCE half away from zero, exact at the extreme
($10,000,000,000.00 at 99.999999) or refused with a PricingError, lines sorted in code-point order,
zero lines kept, the total the sum of rounded lines, the 26-cycle drift of domain.md as a fact,
and the output frames' columns and types (docs/architecture.md "Priced output")."""

from decimal import Decimal

import polars as pl
import pytest
from billing_rows import make_row, make_rows
from hypothesis import given, settings
from hypothesis import strategies as st

from paygo.billing.money import MAX_CENTS, premium_cents
from paygo.billing.premium import (LINE_COLUMNS, ROW_COLUMNS, PricingError, premium_expr, price_payroll,
                                   rate_micro_units)


@pytest.mark.parametrize("cents, rate, expected", [
    (220_000, "1.234", 2715),          # 220000 x 1.234 / 100 = 2714.8 -> 2715 (domain.md)
    (100, "0.5", 1),                   # 0.5 -> 1 (half away from zero)
    (300, "0.5", 2),                   # 1.5 -> 2
    (99, "0.5", 0),                    # 0.495 -> 0
    (123_456, "0.37", 457),            # 456.7872 -> 457
    (0, "9.99", 0),                    # zero line, zero premium
    (50_000_000, "0.000001", 1),       # 50000000 x 0.000001 / 100 = 0.5 -> 1
    (49_999_999, "0.000001", 0),       # 0.49999999 -> 0
    (100, "007.10", 7),                # leading and trailing zeros: 7.1 -> 7
    # the extreme line: $10,000,000,000.00 at 99.999999 = 10^12 x 99.999999 / 100 = 999,999,990,000 exactly
    (10**12, "99.999999", 999_999_990_000),
    # one cent more: 999,999,990,000.99999999 -> 999,999,990,001
    (10**12 + 1, "99.999999", 999_999_990_001),
    # the largest single amount: 10^15 x 99.999999 / 100 = 999,999,990,000,000
    (MAX_CENTS, "99.999999", 999_999_990_000_000),
])
def test_line_premium(cents, rate, expected):
    lines = price_payroll(make_rows(regular_pay=cents, net_rate=rate)).lines
    assert lines.select("auditable_cents", "net_rate", "premium_cents").rows() == [(cents, rate, expected)]
    assert premium_cents(cents, Decimal(rate)) == expected  # the scalar reference agrees


def test_line_sums_rows_then_rounds_once():
    # two rows of 150 cents at 1.00: per row 1.5 -> 2 each would bill 4; the line is 300 x 1 / 100 = 3
    priced = price_payroll(make_rows(dict(employee_id="E1"), dict(employee_id="E2"), regular_pay=150))
    assert priced.lines.select("auditable_cents", "premium_cents").rows() == [(300, 3)]
    assert priced.total_premium_cents == 3


def test_lines_are_sorted_in_code_point_order_and_total_is_their_sum():
    # keys as text: "P10" < "P9", "R10" < "R9", "0042" < "8810" < "900"; premium = cents x 2 / 100
    rows = make_rows(
        dict(policy_number="P9", payroll_run_id="R9", class_code="900", regular_pay=1_001),    # 20.02 -> 20
        dict(policy_number="P9", payroll_run_id="R9", class_code="8810", regular_pay=1_025),   # 20.5 -> 21
        dict(policy_number="P9", payroll_run_id="R9", class_code="0042", regular_pay=1_075),   # 21.5 -> 22
        dict(policy_number="P9", payroll_run_id="R10", class_code="900", regular_pay=100),     # 2
        dict(policy_number="P10", payroll_run_id="R9", state="AZ", class_code="900", regular_pay=50),  # 1
        dict(policy_number="P10", payroll_run_id="R9", state="AK", class_code="900", regular_pay=0),   # 0
        # "Rz" (z = U+007A) sorts before "Ré" (é = U+00E9), both after "R9" and "R10"
        dict(policy_number="P9", payroll_run_id="Ré", class_code="900", regular_pay=200),       # 4
        dict(policy_number="P9", payroll_run_id="Rz", class_code="900", regular_pay=300),       # 6
        net_rate="2")
    priced = price_payroll(rows)
    assert priced.lines.select("policy_number", "payroll_run_id", "state", "class_code", "premium_cents").rows() == [
        ("P10", "R9", "AK", "900", 0),
        ("P10", "R9", "AZ", "900", 1),
        ("P9", "R10", "TX", "900", 2),
        ("P9", "R9", "TX", "0042", 22),
        ("P9", "R9", "TX", "8810", 21),
        ("P9", "R9", "TX", "900", 20),
        ("P9", "Rz", "TX", "900", 6),
        ("P9", "Ré", "TX", "900", 4),
    ]
    assert priced.total_premium_cents == 0 + 1 + 2 + 22 + 21 + 20 + 6 + 4  # 76


def test_zero_lines_are_kept():
    # a zero-pay row and a row capped to zero (NV year to date full) both leave a line of 0
    rows = make_rows(dict(state="TX", regular_pay=0),
                     dict(state="NV", payroll_run_id="R1", employee_id="E1", regular_pay=3_600_000),
                     dict(state="NV", payroll_run_id="R2", pay_date="2025-03-28", employee_id="E1", regular_pay=500_000))
    lines = price_payroll(rows).lines
    assert lines.select("payroll_run_id", "state", "auditable_cents", "premium_cents").rows() == [
        ("R1", "NV", 3_600_000, 36_000), ("R1", "TX", 0, 0), ("R2", "NV", 0, 0)]


def test_the_26_cycle_drift_is_billed_as_the_spec_says():
    # domain.md: 26 cycles of $1,234.56 at 0.37: each line 123456 x 0.37 / 100 = 456.7872 -> 457, so
    # 26 x 457 = 11,882 cents billed, while the year's exact premium 3209856 x 0.37 / 100 = 11876.4672
    # rounds to 11,876. Per-cycle rounding is the spec; the 6-cent drift is a known, documented fact.
    rows = make_rows(*(dict(payroll_run_id=f"R{i:02d}") for i in range(26)), regular_pay=123_456, net_rate="0.37")
    priced = price_payroll(rows)
    assert priced.lines["premium_cents"].to_list() == [457] * 26
    assert priced.total_premium_cents == 11_882
    assert premium_cents(26 * 123_456, Decimal("0.37")) == 11_876


@pytest.mark.parametrize("rate", ["1.2345678", "-1", "1e3", "", " 1.2", "1.", ".5", "1,5", None])
def test_bad_rate_text_is_refused(rate):
    with pytest.raises(PricingError, match="net rate"):
        price_payroll(make_rows(net_rate=rate))


def test_rows_of_one_line_must_agree_on_the_rate():
    rows = make_rows(dict(employee_id="E1", net_rate="1.2"), dict(employee_id="E2", net_rate="1.20"))
    with pytest.raises(PricingError, match="disagree"):
        price_payroll(rows)


def test_sums_beyond_64_bits_are_refused_not_wrapped():
    # 9,300 rows of 10^15 cents = 9.3 x 10^18 > 2^63 - 1 (9.22 x 10^18): refused, never wrapped
    rows = make_rows(*(dict(employee_id=f"E{i}") for i in range(9_300)), regular_pay=MAX_CENTS)
    with pytest.raises(PricingError, match="too large"):
        price_payroll(rows)
    # rows x the largest row exceeds 2^63 - 1 here too, but the exact sum (one such row) fits
    one_large = rows.with_columns(regular_pay=pl.when(pl.col("employee_id") == "E0").then(MAX_CENTS).otherwise(0))
    assert price_payroll(one_large).lines["auditable_cents"].to_list() == [MAX_CENTS]


def test_premium_beyond_64_bits_is_refused_not_wrapped():
    # 9,000 rows of 10^15 = 9 x 10^18 cents fits; at 200 per $100 the premium 1.8 x 10^19 does not
    rows = make_rows(*(dict(employee_id=f"E{i}") for i in range(9_000)), regular_pay=MAX_CENTS, net_rate="200")
    with pytest.raises(PricingError, match="too large"):
        price_payroll(rows)
    # and at 100 per $100 it is exact: 9 x 10^18 x 100 / 100
    ok = price_payroll(rows.with_columns(net_rate=pl.lit("100")))
    assert ok.lines.select("auditable_cents", "premium_cents").rows() == [(9 * 10**18, 9 * 10**18)]
    assert ok.total_premium_cents == 9 * 10**18


def test_output_frames_have_the_contracted_columns_in_input_order():
    rows = make_rows(dict(employee_id="E2", regular_pay=5), dict(employee_id="E1", regular_pay=7))
    priced = price_payroll(rows)
    assert tuple(priced.rows.columns) == ROW_COLUMNS
    assert priced.rows.select("row", "employee_id", "auditable_cents").rows() == [(1, "E2", 5), (2, "E1", 7)]
    assert {c: priced.rows.schema[c] for c in ("auditable_cents", "capped_cents", "cap", "pay_date")} == {
        "auditable_cents": pl.Int64, "capped_cents": pl.Int64, "cap": pl.String, "pay_date": pl.Date}
    assert tuple(priced.lines.columns) == LINE_COLUMNS
    assert priced.lines.schema["auditable_cents"] == pl.Int64 and priced.lines.schema["premium_cents"] == pl.Int64
    assert priced.lines.row(0, named=True) == {
        **{k: make_row()[k] for k in ("policy_number", "employer_fein", "carrier_id", "payroll_run_id", "run_type",
                                       "pay_date", "period_start", "period_end", "state", "class_code")},
        "auditable_cents": 12, "net_rate": "1.00", "premium_cents": 0}  # 12 x 1 / 100 = 0.12 -> 0


def test_empty_input_prices_to_nothing():
    priced = price_payroll(make_rows().clear())
    assert (priced.rows.height, priced.lines.height, priced.ytd_after.height, priced.total_premium_cents) == (0, 0, 0, 0)


rates = st.builds(lambda micro, places: f"{Decimal(micro) / 10**6:.{places}f}" if micro % 10 ** (6 - places) == 0
                  else f"{Decimal(micro) / 10**6:.6f}",
                  st.integers(0, 10**9), st.integers(0, 6))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, MAX_CENTS * 9_000), rates), min_size=1, max_size=50))
def test_vectorised_premium_equals_decimal_arithmetic(cases):
    frame = pl.DataFrame({"cents": [c for c, _ in cases], "micro": [rate_micro_units(r) for _, r in cases]},
                         schema={"cents": pl.Int64, "micro": pl.Int64})
    got = frame.select(premium_expr(pl.col("cents"), pl.col("micro"))).to_series().to_list()
    assert got == [premium_cents(c, Decimal(r)) for c, r in cases]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 10**12), min_size=1, max_size=5), rates)
def test_priced_line_equals_decimal_arithmetic(cents, rate):
    rows = make_rows(*(dict(employee_id=f"E{i}", regular_pay=c) for i, c in enumerate(cents)), net_rate=rate)
    priced = price_payroll(rows)
    assert priced.total_premium_cents == premium_cents(sum(cents), Decimal(rate))
