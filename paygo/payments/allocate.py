"""How cents of a remit payment split into premium and the employer's fee, and the carrier's fee on
that premium (pure).

Rule: the payment pays premium and fee in proportion, cumulatively, so the shares of all the
payments of an invoice paid in full add up to exactly its premium P, its fee F and the carrier fee a
settled debit of it would have taken: premium share of cumulative cents c = floor(c * P / A), the
last cent-exact at c = A. The carrier's fee is likewise the fee on the cumulative premium minus the
fee already taken. Example: A = 10,150 (P 10,000 + F 150), 5%: a first payment of 5,075 is premium
5,000, fee 75, carrier fee 250; the second (5,075) the same: together P, F and 500 exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Share:
    premium_cents: int
    employer_fee_cents: int
    carrier_fee_cents: int


def premium_part(cumulative_cents: int, total_cents: int, premium_cents: int) -> int:
    """Premium in the first `cumulative_cents` of an invoice of `total_cents` (premium + fee)."""
    if cumulative_cents >= total_cents:
        return premium_cents
    return cumulative_cents * premium_cents // total_cents


def share(*, before_cents: int, amount_cents: int, total_cents: int, premium_cents: int,
          carrier_fee: Callable[[int], int]) -> Share:
    """The share of `amount_cents` paid after `before_cents` were already paid on the invoice;
    `carrier_fee(premium)` is the carrier's fee on settled premium (0 outside the percentage model)."""
    if amount_cents <= 0 or before_cents < 0 or before_cents + amount_cents > total_cents:
        raise ValueError(f"cannot pay {amount_cents} cents after {before_cents} of {total_cents}")
    p0 = premium_part(before_cents, total_cents, premium_cents)
    p1 = premium_part(before_cents + amount_cents, total_cents, premium_cents)
    return Share(p1 - p0, amount_cents - (p1 - p0), carrier_fee(p1) - carrier_fee(p0))
