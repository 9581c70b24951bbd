"""Pins the state rules table (paygo.billing.rules): the figures the spec names, that an inconsistent
table is refused when built, and that next year's figure is an edit to the table, not to code."""

from dataclasses import replace
from datetime import date

import pytest
import polars as pl
from billing_rows import make_rows

from paygo.billing.premium import price_payroll
from paygo.billing.rules import CA_CAPPED_CLASSES, RULES, CapFigure, OfficerWeeklyLimit, StateRule


def test_the_table_holds_the_spec_figures():
    assert {r.state for r in RULES.all_overtime_included} == {"PA", "DE", "NV"}
    assert {r.state for r in RULES.tips_included} == {"NV", "MT"}
    assert RULES.monopolistic_states == {"ND", "OH", "WA", "WY"}
    assert CA_CAPPED_CLASSES == {"8601", "8741", "8803", "8820", "8822"}
    assert [(f.effective_from, f.limit_cents) for f in RULES.figures_of("CA_ANNUAL")] == [
        (date(2023, 9, 1), 15_470_000), (date(2024, 9, 1), 15_990_000)]
    assert [f.limit_cents for f in RULES.figures_of("NV_ANNUAL")] == [3_600_000]
    assert [(w.effective_from.year, w.min_weekly_cents, w.max_weekly_cents) for w in RULES.officer_weekly_limits] == [
        (2024, 95_000, 450_000), (2025, 100_000, 460_000), (2026, 105_000, 490_000)]


@pytest.mark.parametrize("change", [
    # two overlapping periods for one state
    dict(all_overtime_included=(StateRule("PA"), StateRule("PA", date(2030, 1, 1)))),
    dict(tips_included=(StateRule("MT", date(2025, 1, 1), date(2024, 1, 1)),)),   # ends before it starts
    dict(cap_figures=(CapFigure("XX_ANNUAL", date(2025, 1, 1), 1),)),             # names no cap
    dict(cap_figures=(CapFigure("NV_ANNUAL", date(2025, 1, 1), 1), CapFigure("NV_ANNUAL", date(2025, 1, 1), 2))),
    dict(cap_figures=(CapFigure("NV_ANNUAL", date(2025, 1, 1), -1),)),            # negative limit
    dict(officer_weekly_limits=(OfficerWeeklyLimit("IN", date(2025, 1, 1), date(2026, 1, 1), 5, 4),)),  # min > max
    dict(officer_weekly_limits=(OfficerWeeklyLimit("IN", date(2025, 1, 1), date(2026, 1, 1), 1, 4),
                                OfficerWeeklyLimit("IN", date(2025, 6, 1), date(2026, 6, 1), 1, 4))),
    dict(annual_cap_scopes=RULES.annual_cap_scopes + RULES.annual_cap_scopes[:1]),   # a state in two caps
])
def test_an_inconsistent_table_is_refused(change):
    with pytest.raises(ValueError):
        replace(RULES, **change)


def test_next_years_figures_are_an_edit_to_the_table():
    # with a 2027 line, an Indiana officer paid 0 for 2 weeks counts 2 x $1,100.00 = 220000; with a $165,000
    # figure from 2027, a CA officer with 15,990,000 to date counts 16,500,000 - 15,990,000 = 510,000 more
    rules = replace(
        RULES,
        officer_weekly_limits=RULES.officer_weekly_limits
        + (OfficerWeeklyLimit("IN", date(2027, 1, 1), date(2028, 1, 1), 110_000, 510_000),),
        cap_figures=RULES.cap_figures + (CapFigure("CA_ANNUAL", date(2027, 1, 1), 16_500_000),),
    )
    rows = make_rows(dict(state="IN", is_officer=True),
                     dict(state="CA", is_officer=True, employee_id="E2", regular_pay=1_000_000),
                     pay_date="2027-01-08", period_start="2026-12-26", period_end="2027-01-08",
                     policy_year_start="2027-01-01")
    ytd = pl.DataFrame({"policy_number": ["P1"], "employee_id": ["E2"], "state": ["CA"],
                        "policy_year_start": [date(2027, 1, 1)], "cap": ["CA_ANNUAL"], "ytd_cents": [15_990_000]})
    # today: no Indiana limit in 2027 (0 stays 0) and $159,900 still in force (year to date full: 0)
    assert price_payroll(rows, ytd).rows["capped_cents"].to_list() == [0, 0]
    assert price_payroll(rows, ytd, rules=rules).rows["capped_cents"].to_list() == [220_000, 510_000]
