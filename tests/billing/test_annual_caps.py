"""Pins the annual per-employee caps with year to date (spec/payroll-file.md "Per-employee caps" and
"Precise readings"): Nevada $36,000 on every pay date, California $154,700 / $159,900 for officer and
listed-class rows, year to date per (policy, employee, state, policy year, cap) across runs and
files, runs in (pay_date, payroll_run_id) code-point order, classes in code-point order within a
run, figure changes mid-year, pre-2023-09-01 California rows counting without a limit; and that
the vectorised cap equals a plain-Python sequential reference on random inputs."""

from datetime import date, timedelta

import polars as pl
import pytest
from billing_rows import make_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paygo.billing.premium import price_payroll
from paygo.billing.rules import AnnualCapScope, CapFigure, StateRules
from paygo.billing.wages import PricingError, capped_wages, empty_ytd

NV = dict(state="NV", policy_year_start="2025-01-01")
CA_OFFICER = dict(state="CA", is_officer=True, class_code="8810", policy_year_start="2024-01-01")


def ytd_frame(*entries: tuple) -> pl.DataFrame:
    """(policy, employee, state, policy_year_start, cap, ytd_cents) tuples."""
    return pl.DataFrame([dict(zip(empty_ytd().columns, e)) for e in entries], schema=empty_ytd().schema)


def capped(rows: pl.DataFrame, ytd: pl.DataFrame | None = None) -> list[int]:
    return price_payroll(rows, ytd).rows["capped_cents"].to_list()


@pytest.mark.parametrize("rows, ytd, expected", [
    # NV across two runs of one file: 2,000,000 then 2,000,000 -> 2,000,000 and 3,600,000 - 2,000,000 = 1,600,000
    ([dict(payroll_run_id="R1", pay_date="2025-03-14", regular_pay=2_000_000),
      dict(payroll_run_id="R2", pay_date="2025-03-28", regular_pay=2_000_000)], None, [2_000_000, 1_600_000]),
    # NV across files: 3,500,000 already counted, a 200,000 row counts 100,000
    ([dict(regular_pay=200_000)], ("P1", "E1", "NV", date(2025, 1, 1), "NV_ANNUAL", 3_500_000), [100_000]),
    # NV year to date already full: 0
    ([dict(regular_pay=200_000)], ("P1", "E1", "NV", date(2025, 1, 1), "NV_ANNUAL", 3_600_000), [0]),
    # another policy year's, policy's or employee's year to date does not count: 200,000 in full
    ([dict(regular_pay=200_000)], ("P1", "E1", "NV", date(2024, 1, 1), "NV_ANNUAL", 3_600_000), [200_000]),
    ([dict(regular_pay=200_000)], ("P2", "E1", "NV", date(2025, 1, 1), "NV_ANNUAL", 3_600_000), [200_000]),
    ([dict(regular_pay=200_000)], ("P1", "E2", "NV", date(2025, 1, 1), "NV_ANNUAL", 3_600_000), [200_000]),
    # "R10" sorts before "R9" on one pay date: R10 (listed second) counts 3,000,000, R9 then 600,000
    ([dict(payroll_run_id="R9", regular_pay=3_000_000),
      dict(payroll_run_id="R10", regular_pay=3_000_000)], None, [600_000, 3_000_000]),
    # "Rz" (U+007A) before "Ré" (U+00E9), code points not locale: Rz counts 3,000,000, Ré 600,000
    ([dict(payroll_run_id="Ré", regular_pay=3_000_000),
      dict(payroll_run_id="Rz", regular_pay=3_000_000)], None, [600_000, 3_000_000]),
    # pay date comes before the run id: R9 (03-14) before R10 (03-28)
    ([dict(payroll_run_id="R10", pay_date="2025-03-28", regular_pay=3_000_000),
      dict(payroll_run_id="R9", pay_date="2025-03-14", regular_pay=3_000_000)], None, [600_000, 3_000_000]),
    # within a run, class "8810" sorts before "900": 8810 counts 3,000,000, 900 the other 600,000
    ([dict(class_code="900", regular_pay=3_000_000),
      dict(class_code="8810", regular_pay=3_000_000)], None, [600_000, 3_000_000]),
    # one employee's two policy years are two year to dates: 3,000,000 each
    ([dict(pay_date="2025-03-14", regular_pay=3_000_000),
      dict(payroll_run_id="R2", pay_date="2026-01-09", regular_pay=3_000_000)],
     None, [3_000_000, 3_000_000]),
    # two employees do not share: 3,000,000 each
    ([dict(employee_id="E1", regular_pay=3_000_000), dict(employee_id="E2", regular_pay=3_000_000)],
     None, [3_000_000, 3_000_000]),
])
def test_nevada_cap(rows, ytd, expected):
    frame = make_rows(*rows, state="NV").with_columns(
        pl.col("pay_date").dt.truncate("1y").alias("policy_year_start"))  # calendar policy years
    assert capped(frame, ytd_frame(ytd) if ytd else None) == expected


@pytest.mark.parametrize("rows, ytd_cents, expected", [
    # officer, 2025 (figure 15,990,000), 15,000,000 already: 2,000,000 counts 990,000
    ([dict(pay_date="2025-03-14", regular_pay=2_000_000)], 15_000_000, [990_000]),
    # listed class 8803, not an officer: same cap, 990,000
    ([dict(pay_date="2025-03-14", is_officer=False, class_code="8803", regular_pay=2_000_000)], 15_000_000,
     [990_000]),
    # unlisted class, not an officer: no cap, 2,000,000 in full
    ([dict(pay_date="2025-03-14", is_officer=False, class_code="8810", regular_pay=2_000_000)], 15_000_000,
     [2_000_000]),
    # figure change mid-year: 2024-08-30 under 15,470,000 counts 15,000,000; 2024-09-13 under 15,990,000
    # has 15,990,000 - 15,000,000 = 990,000 of room
    ([dict(payroll_run_id="R1", pay_date="2024-08-30", regular_pay=15_000_000),
      dict(payroll_run_id="R2", pay_date="2024-09-13", regular_pay=1_000_000)], 0, [15_000_000, 990_000]),
    # the raise gives room again: 16,000,000 capped to 15,470,000, then 15,990,000 - 15,470,000 = 520,000
    ([dict(payroll_run_id="R1", pay_date="2024-08-30", regular_pay=16_000_000),
      dict(payroll_run_id="R2", pay_date="2024-09-13", regular_pay=1_000_000)], 0, [15_470_000, 520_000]),
    # before 2023-09-01 no cap: 20,000,000 counts in full, and then fills 15,470,000: the next row 0
    ([dict(payroll_run_id="R1", pay_date="2023-08-25", regular_pay=20_000_000),
      dict(payroll_run_id="R2", pay_date="2023-09-08", regular_pay=1_000_000)], 0, [20_000_000, 0]),
    # before 2023-09-01, 10,000,000 counts, leaving 15,470,000 - 10,000,000 = 5,470,000
    ([dict(payroll_run_id="R1", pay_date="2023-08-25", regular_pay=10_000_000),
      dict(payroll_run_id="R2", pay_date="2023-09-08", regular_pay=10_000_000)], 0, [10_000_000, 5_470_000]),
    # an officer's unlisted and listed rows share one year to date: "8803" before "8810", 10,000,000 then 5,990,000
    ([dict(pay_date="2025-03-14", class_code="8810", regular_pay=10_000_000),
      dict(pay_date="2025-03-14", class_code="8803", regular_pay=10_000_000)], 0, [5_990_000, 10_000_000]),
])
def test_california_cap(rows, ytd_cents, expected):
    frame = make_rows(*rows, **CA_OFFICER).with_columns(
        pl.col("pay_date").dt.truncate("1y").alias("policy_year_start"))  # calendar policy years
    keys = frame.select("policy_number", "employee_id", "state", "policy_year_start").unique()
    ytd = ytd_frame(*((*k, "CA_ANNUAL", ytd_cents) for k in keys.iter_rows()))
    assert capped(frame, ytd) == expected


def test_pre_2023_09_01_california_rows_count_only_when_in_scope():
    # a non-officer unlisted row never counts; an officer row in 2023-08 counts 15,000,000 with no cap;
    # the 2023-09 officer row then has 15,470,000 - 15,000,000 = 470,000 of room
    frame = make_rows(
        dict(payroll_run_id="R1", pay_date="2023-08-25", is_officer=True, regular_pay=15_000_000),
        dict(payroll_run_id="R1", pay_date="2023-08-25", is_officer=False, employee_id="E2", regular_pay=9_000_000),
        dict(payroll_run_id="R2", pay_date="2023-09-08", is_officer=True, regular_pay=1_000_000),
        state="CA", class_code="8810", policy_year_start="2023-01-01")
    priced = price_payroll(frame)
    assert priced.rows["capped_cents"].to_list() == [15_000_000, 9_000_000, 470_000]
    assert priced.rows["cap"].to_list() == ["CA_ANNUAL", None, "CA_ANNUAL"]
    assert priced.ytd_after.rows() == [("P1", "E1", "CA", date(2023, 1, 1), "CA_ANNUAL", 15_470_000)]


def test_ytd_after_adds_this_file_and_keeps_the_rest():
    # E1 had 1,000,000 and adds 500,000 -> 1,500,000; E2 is new with 700,000; E3 (untouched) stays 42;
    # the TX row has no cap and adds nothing
    frame = make_rows(dict(employee_id="E1", regular_pay=500_000), dict(employee_id="E2", regular_pay=700_000),
                      dict(employee_id="E4", state="TX", regular_pay=900_000), **NV)
    prior = ytd_frame(("P1", "E1", "NV", date(2025, 1, 1), "NV_ANNUAL", 1_000_000),
                      ("P1", "E3", "NV", date(2025, 1, 1), "NV_ANNUAL", 42))
    ytd_after = price_payroll(frame, prior).ytd_after
    assert ytd_after.schema == empty_ytd().schema
    assert ytd_after.rows() == [("P1", "E1", "NV", date(2025, 1, 1), "NV_ANNUAL", 1_500_000),
                                ("P1", "E2", "NV", date(2025, 1, 1), "NV_ANNUAL", 700_000),
                                ("P1", "E3", "NV", date(2025, 1, 1), "NV_ANNUAL", 42)]


def test_ytd_after_feeds_the_next_file():
    # file 1 counts 3,000,000; file 2's 1,000,000 row then counts 600,000, as if both were one file
    first = price_payroll(make_rows(regular_pay=3_000_000, **NV))
    second = price_payroll(make_rows(payroll_run_id="R2", pay_date="2025-03-28", regular_pay=1_000_000, **NV),
                           first.ytd_after)
    assert second.rows["capped_cents"].to_list() == [600_000]
    assert second.ytd_after["ytd_cents"].to_list() == [3_600_000]


@pytest.mark.parametrize("ytd", [
    ytd_frame(("P1", "E1", "NV", date(2025, 1, 1), "NV_ANNUAL", -1)),
    ytd_frame(("P1", "E1", "NV", date(2025, 1, 1), "NV_ANNUAL", 1), ("P1", "E1", "NV", date(2025, 1, 1), "NV_ANNUAL", 2)),
    pl.DataFrame({"policy_number": ["P1"]}),
])
def test_bad_year_to_date_is_refused(ytd):
    with pytest.raises(PricingError):
        price_payroll(make_rows(**NV), ytd)


# ---- the vectorised cap against a sequential reference ------------------------------------------

DAY0 = date(2025, 1, 1)


def reference_caps(rows: list[dict], ytd: dict, rules: StateRules) -> list[int]:
    """Row by row, the plain reading of the spec: C = year to date, each row counts
    max(0, min(amount, limit - C)) (all of it when no limit), in (pay_date, run, class) order."""
    scope = {s.state: s for s in rules.annual_cap_scopes}
    out = [0] * len(rows)
    counted = dict(ytd)
    order = sorted(range(len(rows)), key=lambda i: (rows[i]["pay_date"], rows[i]["payroll_run_id"],
                                                   rows[i]["class_code"]))
    for i in order:
        r = rows[i]
        s = scope.get(r["state"])
        in_scope = s is not None and (s.all_rows or (s.officers and r["is_officer"]) or r["class_code"] in s.class_codes)
        if not in_scope:
            out[i] = r["regular_pay"]
            continue
        key = (r["employee_id"], r["state"], s.cap_id)
        limit = None
        for f in rules.figures_of(s.cap_id):
            if f.effective_from <= r["pay_date"]:
                limit = f.limit_cents
        c = counted.get(key, 0)
        out[i] = r["regular_pay"] if limit is None else max(0, min(r["regular_pay"], limit - c))
        counted[key] = c + out[i]
    return out


figure = st.tuples(st.integers(0, 60), st.one_of(st.none(), st.integers(0, 3_000)))
row = st.fixed_dictionaries({
    "payroll_run_id": st.sampled_from(["R1", "R2", "R9", "R10", "Ré"]),
    "employee_id": st.sampled_from(["E1", "E2"]),
    "state": st.sampled_from(["NV", "CA", "TX"]),
    "class_code": st.sampled_from(["8803", "8810", "900", "0042"]),
    "is_officer": st.booleans(),
    "regular_pay": st.integers(0, 1_500),
})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    nv_figures=st.lists(figure, max_size=3, unique_by=lambda f: f[0]),
    ca_figures=st.lists(figure, max_size=3, unique_by=lambda f: f[0]),
    rows=st.lists(row, min_size=1, max_size=25,
                  unique_by=lambda r: (r["payroll_run_id"], r["employee_id"], r["state"], r["class_code"])),
    run_days=st.fixed_dictionaries({r: st.integers(0, 60) for r in ["R1", "R2", "R9", "R10", "Ré"]}),
    ytd_values=st.fixed_dictionaries({(e, s): st.integers(0, 3_000) for e in ["E1", "E2"] for s in ["NV", "CA"]}),
)
def test_vectorised_cap_equals_sequential_reference(nv_figures, ca_figures, rows, run_days, ytd_values):
    rules = StateRules(
        all_overtime_included=(), tips_included=(), officer_weekly_limits=(),
        annual_cap_scopes=(AnnualCapScope("NV_ANNUAL", "NV", all_rows=True),
                           AnnualCapScope("CA_ANNUAL", "CA", officers=True, class_codes=frozenset({"8803", "900"}))),
        cap_figures=tuple(CapFigure("NV_ANNUAL", DAY0 + timedelta(days=d), v) for d, v in nv_figures)
        + tuple(CapFigure("CA_ANNUAL", DAY0 + timedelta(days=d), v) for d, v in ca_figures),
    )
    for r in rows:
        r["pay_date"] = DAY0 + timedelta(days=run_days[r["payroll_run_id"]])
    frame = make_rows(*rows, policy_year_start=DAY0)
    ytd = ytd_frame(*(("P1", e, s, DAY0, f"{s}_ANNUAL", v) for (e, s), v in ytd_values.items()))
    reference_ytd = {(e, s, f"{s}_ANNUAL"): v for (e, s), v in ytd_values.items()}
    out, ytd_after = capped_wages(frame, ytd, rules)
    expected = reference_caps(rows, reference_ytd, rules)
    assert out["capped_cents"].to_list() == expected
    # the year to date after = before + what counted, per (employee, state)
    for (e, s), v in ytd_values.items():
        added = sum(c for r, c in zip(rows, expected)
                    if r["employee_id"] == e and r["state"] == s and r["state"] in ("NV", "CA")
                    and (s == "NV" or r["is_officer"] or r["class_code"] in ("8803", "900")))
        got = ytd_after.filter((pl.col("employee_id") == e) & (pl.col("state") == s))["ytd_cents"].to_list()
        assert got == [v + added]
