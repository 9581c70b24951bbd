"""Vectorised cell parsing: payroll text to typed polars columns, never through a float.

Money is `[0-9]+(\\.[0-9]{1,2})?` (spec/payroll-file.md, "Precise readings") and becomes integer
cents by string arithmetic, agreeing with the scalar `paygo.billing.money.parse_cents`:
"1234.5" splits into "1234" and "5"; "5" is padded to "50"; 1234 x 100 + 50 = 123450 cents.
Anything that is not money, or is above `MAX_CENTS` ($10,000,000,000,000.00), parses to null.
A FEIN "12-3456789" becomes "123456789"; a date must be `YYYY-MM-DD` and a real day.
"""

import polars as pl

from paygo.billing.money import MAX_CENTS
from paygo.payroll.columns import DATE_PATTERN, FEIN_PATTERN, MONEY_PATTERN

# An amount of up to 17 digits of cents fits Int64 (< 10^17) and covers MAX_CENTS (10^15).
_MAX_DIGITS = 17


def money_text_ok(expr: pl.Expr) -> pl.Expr:
    """True where the text is plain dollars with at most two decimals (null stays null)."""
    return expr.str.contains(MONEY_PATTERN)


def cents(expr: pl.Expr) -> pl.Expr:
    """Dollars text to Int64 cents; null where the text is not money or is too large.

    The dot is dropped ("1234.5" -> "12345") and the digits scaled by the decimals written:
    none x 100, one x 10, two x 1. Only the last 18 characters are cast, so leading zeros never
    overflow; more than 17 significant digits of cents is above MAX_CENTS anyway.
    """
    length = expr.str.len_bytes()
    dot = expr.str.find(".", literal=True)
    decimals = (length - dot - 1).fill_null(0)
    digits = expr.str.replace(".", "", literal=True)
    number = digits.str.slice(-18).cast(pl.Int64, strict=False)
    scale = (decimals == 0).cast(pl.Int64) * 90 + (decimals <= 1).cast(pl.Int64) * 9 + 1  # 100, 10, 1
    cents_digits = digits.str.strip_chars_start("0").str.len_bytes() + 2 - decimals
    value = number * scale
    return pl.when(money_text_ok(expr) & (cents_digits <= _MAX_DIGITS) & (value <= MAX_CENTS)).then(value)


def money_not_too_large(expr: pl.Expr) -> pl.Expr:
    """False only for well-formed money above MAX_CENTS (malformed text is reported elsewhere)."""
    return ~money_text_ok(expr) | cents(expr).is_not_null()


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
