"""Pins how documents write money, FEINs and dates: "$1,234.56", negatives "-$12.34", CSV
dollars without separators, FEIN 12-3456789, dates "Mar 4, 2025"; floats are refused."""

from __future__ import annotations

from datetime import date

import pytest

from paygo.documents.layout import date_text, dollars, fein_text, period_text, plain_dollars


@pytest.mark.parametrize(
    "cents, shown, csv",
    [
        (123_456, "$1,234.56", "1234.56"),  # 1234 dollars 56 cents
        (-1_234, "-$12.34", "-12.34"),  # sign before the dollar sign
        (0, "$0.00", "0.00"),
        (5, "$0.05", "0.05"),  # 5 cents
        (-5, "-$0.05", "-0.05"),
        (100_000_000_00, "$100,000,000.00", "100000000.00"),  # 10^10 cents = 100 million dollars
    ],
)
def test_money_text(cents: int, shown: str, csv: str) -> None:
    assert dollars(cents) == shown
    assert plain_dollars(cents) == csv


@pytest.mark.parametrize("value", [12.34, True, "1234"])
def test_money_must_be_integer_cents(value: object) -> None:
    with pytest.raises(TypeError):
        dollars(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("fein, shown", [("123456789", "12-3456789"), ("000000001", "00-0000001")])
def test_fein_text(fein: str, shown: str) -> None:
    assert fein_text(fein) == shown


@pytest.mark.parametrize("fein", ["12-3456789", "12345678", "1234567890", "12345678a"])
def test_fein_must_be_nine_digits(fein: str) -> None:
    with pytest.raises(ValueError):
        fein_text(fein)


def test_dates() -> None:
    assert date_text(date(2025, 3, 4)) == "Mar 4, 2025"
    assert period_text(date(2025, 3, 1), date(2025, 3, 14)) == "Mar 1, 2025 to Mar 14, 2025"
