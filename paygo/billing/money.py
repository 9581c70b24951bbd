"""Money is integer cents; rates are exact decimals.

The payroll file states dollars as `[0-9]+(\\.[0-9]{1,2})?` (spec/payroll-file.md). They become
integer cents by string arithmetic, never through binary floating point: "1234.5" -> 123450.
A premium is rounded once, half away from zero: $2,200.00 at 1.234 per $100 is
220000 x 1.234 / 100 = 2714.8 -> 2715 cents.
"""

import re
from decimal import ROUND_HALF_UP, Decimal, localcontext

MONEY_TEXT = re.compile(r"[0-9]+(?:\.[0-9]{1,2})?")

# The largest amount of money paygo accepts anywhere: $10,000,000,000,000.00 (10^15 cents).
# One such amount fits a signed 64-bit integer (9.2 x 10^18) with room, but only 9,223 of them
# add up without overflow, so code that sums cents in Int64 must check the total (paygo.billing.wages
# does, and polars' Int64 sum wraps silently).
MAX_CENTS = 10**15


class MoneyError(ValueError):
    """A money text that is not plain dollars with at most two decimals, or too large."""


def parse_cents(text: str) -> int:
    """Dollars text to integer cents: "1234.5" -> 123450, "0" -> 0. Raises MoneyError."""
    if not MONEY_TEXT.fullmatch(text):
        raise MoneyError(f"{text!r} is not an amount in dollars like 1234.56")
    whole, _, frac = text.partition(".")
    cents = int(whole) * 100 + int(frac.ljust(2, "0") or "0")
    if cents > MAX_CENTS:
        raise MoneyError(f"{text!r} is larger than the largest accepted amount")
    return cents


def round_half_away(value: Decimal) -> int:
    """Round an exact decimal to a whole number, half away from zero (2714.5 -> 2715, -0.5 -> -1)."""
    with localcontext() as ctx:
        ctx.prec = 60
        return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def premium_cents(auditable_cents: int, net_rate_per_100: Decimal) -> int:
    """Premium for one line: exact product, rounded once, half away from zero."""
    with localcontext() as ctx:
        ctx.prec = 60
        return round_half_away(Decimal(auditable_cents) * net_rate_per_100 / 100)


def format_cents(cents: int) -> str:
    """123456 -> "1,234.56"; -5 -> "-0.05"."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole:,}.{frac:02d}"
