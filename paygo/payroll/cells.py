"""Vectorised cell parsing: payroll text to typed polars columns, never through a float.

Money is `[0-9]+(\\.[0-9]{1,2})?` (spec/payroll-file.md, "Precise readings") and becomes integer
cents through polars' exact decimal type, agreeing with the scalar `paygo.billing.money.parse_cents`:
"1234.5" parses to the decimal 1234.50, whose exact value in hundredths is 123450 cents.
Anything that is not money, or is above `MAX_CENTS` ($10,000,000,000,000.00), parses to null.
A FEIN "12-3456789" becomes "123456789"; a date must be `YYYY-MM-DD` and a real day.
"""

import polars as pl

from paygo.billing.money import MAX_CENTS
from paygo.payroll.columns import DATE_PATTERN, FEIN_PATTERN, MONEY_PATTERN


def money_text_ok(expr: pl.Expr) -> pl.Expr:
    """True where the text is plain dollars with at most two decimals (null stays null)."""
    return expr.str.contains(MONEY_PATTERN)


def cents(expr: pl.Expr) -> pl.Expr:
    """Dollars text to Int64 cents; null where the text is not money or is too large.

    Text that passes MONEY_PATTERN has at most two decimals, so polars' exact decimal parse at
    scale 2 loses nothing, and the decimal's physical value (an Int128 of hundredths) is the
    cents: "1234.5" -> 1234.50 -> 123450. More than 38 digits parses to null; above MAX_CENTS is
    null. No binary floating point anywhere, and no multiplication that could overflow.
    """
    hundredths = _hundredths(expr)
    return (pl.when(money_text_ok(expr) & (hundredths <= MAX_CENTS))
            .then(hundredths.cast(pl.Int64)).otherwise(pl.lit(None, pl.Int64)))


def _hundredths(expr: pl.Expr) -> pl.Expr:
    """The text's exact decimal at scale 2 as an Int128 count of hundredths (null if unparsable)."""
    return expr.str.to_decimal(scale=2).to_physical()


def money_not_too_large(expr: pl.Expr) -> pl.Expr:
    """False only for well-formed money above MAX_CENTS (malformed text is reported elsewhere).

    Well-formed money parses exactly at scale 2, or to null past 38 digits (too large as well).
    """
    within = (_hundredths(expr) <= MAX_CENTS).fill_null(False)
    return ~money_text_ok(expr) | within


def date(expr: pl.Expr) -> pl.Expr:
    """`YYYY-MM-DD` text of a real calendar day to Date; null otherwise."""
    return (
        pl.when(expr.str.contains(DATE_PATTERN))
        .then(expr.str.to_date("%Y-%m-%d", strict=False))
        .otherwise(pl.lit(None, pl.Date))
    )


def fein(expr: pl.Expr) -> pl.Expr:
    """`123456789` or `12-3456789` to the 9 digits; null when malformed."""
    return (
        pl.when(expr.str.contains(FEIN_PATTERN))
        .then(pl.when(expr.str.len_bytes() == 10).then(expr.str.slice(0, 2) + expr.str.slice(3)).otherwise(expr))
        .otherwise(pl.lit(None, pl.String))
    )
