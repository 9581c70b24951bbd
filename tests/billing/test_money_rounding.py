"""Pins paygo.billing.money: dollars text to integer cents exactly, rounding half away from zero,
the scalar premium reference, and cents formatting."""

from decimal import Decimal

import pytest

from paygo.billing.money import MAX_CENTS, MoneyError, format_cents, parse_cents, premium_cents, round_half_away


@pytest.mark.parametrize("text, cents", [
    ("1234.5", 123450),            # one decimal is tens of cents
    ("1234.56", 123456),
    ("0", 0),
    ("007.01", 701),               # leading zeros are fine
    ("0.1", 10),
    ("10000000000000", MAX_CENTS),  # $10^13 = 10^15 cents, the largest accepted
])
def test_parse_cents(text, cents):
    assert parse_cents(text) == cents


@pytest.mark.parametrize("text", [".5", "5.", "+5", "-0", "1.234", "1,000", " 1", "1e3", "", "١٢", "10000000000000.01"])
def test_parse_cents_refuses(text):
    with pytest.raises(MoneyError):
        parse_cents(text)


@pytest.mark.parametrize("value, whole", [
    ("2714.8", 2715), ("2714.5", 2715), ("2714.4999", 2714), ("-0.5", -1), ("-2714.5", -2715), ("0.5", 1),
    ("99999999999999999999999.5", 100000000000000000000000),  # beyond any float, still exact
])
def test_round_half_away(value, whole):
    assert round_half_away(Decimal(value)) == whole


@pytest.mark.parametrize("cents, rate, premium", [
    (220_000, "1.234", 2715),      # 2714.8 -> 2715
    (10**12, "99.999999", 999_999_990_000),
    (-300, "0.5", -2),             # -1.5 -> -2 (away from zero, for refunds)
])
def test_premium_cents(cents, rate, premium):
    assert premium_cents(cents, Decimal(rate)) == premium


@pytest.mark.parametrize("cents, text", [(123456, "1,234.56"), (-5, "-0.05"), (0, "0.00"), (100, "1.00")])
def test_format_cents(cents, text):
    assert format_cents(cents) == text
