"""Pure invoice rules (paygo.billing.invoice): cumulative rounding, adjustments, corrections, dates."""

from datetime import date

import pytest

from paygo.billing import invoice as inv
from paygo.billing.invoice import LineDraft, PricedLine
from paygo.billing.money import round_half_away


def test_cumulative_rounding_bills_the_annual_figure():
    # domain.md: 26 cycles of $1,234.56 at 0.37. Each cycle is 123456 x 0.37 / 100 = 456.7872 cents.
    # Per cycle: round(456.7872) = 457, 26 x 457 = 11,882. Cumulative: round(26 x 456.7872 = 11,876.4672) = 11,876.
    series = inv.cumulative_series([(123_456, "0.37")] * 26)
    assert sum(series) == 11_876
    assert 26 * round_half_away(inv.exact_premium(123_456, "0.37")) == 11_882
    # cycle 1 bills 457 (456.79), cycle 2 round(913.5744)=914-457=457, cycle 3 round(1370.3616)=1370-914=456
    assert series[:3] == [457, 457, 456]
    assert set(series) == {456, 457}


def test_adjustment_is_the_difference_per_line():
    previous = [LineDraft("premium", "", 2715, "CA", "8810", 220_000, "1.234"),
                LineDraft("premium", "", 1335, "CA", "8742", 150_000, "0.89")]
    # correction: 8810 now $2,000.00 -> 200000 x 1.234 / 100 = 2468; 8742 unchanged; new 8820 line 100
    new = [LineDraft("premium", "", 2468, "CA", "8810", 200_000, "1.234"),
           LineDraft("premium", "", 1335, "CA", "8742", 150_000, "0.89"),
           LineDraft("premium", "", 100, "CA", "8820", 10_000, "1.0")]
    diffs = inv.adjustment_drafts(previous, new)
    assert [(d.class_code, d.amount_cents) for d in diffs] == [("8810", -247), ("8820", 100)]  # 2468-2715, 100-0
    assert inv.totals(diffs) == (-147, 0, -147)  # a credit: -247 + 100


def test_totals_are_premium_plus_fee():
    lines = inv.premium_drafts([PricedLine("CA", "8810", 220_000, "1.234", 2715),
                                PricedLine("CA", "8742", 150_000, "0.89", 1335)]) + inv.fee_draft(350)
    assert [d.class_code for d in lines] == ["8742", "8810", None]  # code-point order, fee last
    assert inv.totals(lines) == (4050, 350, 4400)  # 2715 + 1335 = 4050; + 350


@pytest.mark.parametrize("method, pay, bill, due", [
    ("ach_debit", date(2025, 3, 14), date(2025, 3, 12), date(2025, 3, 14)),  # the later of pay and bill date
    ("ach_debit", date(2025, 3, 14), date(2025, 3, 17), date(2025, 3, 17)),
    ("remit", date(2025, 3, 14), date(2025, 3, 15), date(2025, 4, 30)),      # bill 2025-03-31 + 30 days
    ("remit", date(2024, 2, 10), date(2024, 2, 10), date(2024, 3, 30)),      # leap February: 02-29 + 30
    ("remit", date(2025, 3, 14), date(2025, 5, 2), date(2025, 6, 1)),        # a late file: billed 05-02 + 30
])
def test_due_dates(method, pay, bill, due):
    assert inv.due_date(method, pay, bill) == due


@pytest.mark.parametrize("company, employer, policy, method", [
    ("ach_debit", None, None, "ach_debit"),
    ("ach_debit", "remit", None, "remit"),      # employer beats company
    ("remit", "remit", "ach_debit", "ach_debit"),  # policy beats both
])
def test_payment_method_most_specific_wins(company, employer, policy, method):
    assert inv.payment_method(company, employer, policy) == method
