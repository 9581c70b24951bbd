"""Billing models: what the platform charges for a policy (Audit1 billing guide, seeds/004).

Rule: each carrier has a default billing configuration; a policy may override it, and the most
specific one wins. Models:
- cycle_based: a fixed fee per payroll cycle, paid by the EMPLOYER as a fee line on its invoice;
- flat: a fixed monthly fee paid by the CARRIER (charged by statements, once per month);
- percentage: a share of collected premium paid by the CARRIER when the premium settles
  ("0.05 = 5%"), rounded once, half away from zero, to whole cents;
- plus an optional one-time setup fee per new policy, paid by the carrier when the policy's
  first invoice is issued.
Worked example: settled premium 2,715 cents at 0.05 -> 135.75 -> 136 cents to the platform;
a cycle-based model of $3.50 adds a 350-cent fee line to every employer invoice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

FEE_TYPES = ("cycle_based", "flat", "percentage")
RATE_TEXT = re.compile(r"[0-9]+(?:\.[0-9]+)?")


class BillingModelError(ValueError):
    """A billing configuration that cannot be applied."""


@dataclass(frozen=True)
class BillingModel:
    fee_type: str  # cycle_based | flat | percentage
    fee_amount_cents: int | None = None  # cycle_based, flat
    fee_rate: str | None = None  # percentage: decimal text, 0.05 = 5%
    setup_fee_cents: int = 0

    def __post_init__(self) -> None:
        if self.fee_type not in FEE_TYPES:
            raise BillingModelError(f"unknown fee type {self.fee_type!r}")
        if self.fee_type == "percentage":
            if self.fee_rate is None or not RATE_TEXT.fullmatch(self.fee_rate):
                raise BillingModelError("a percentage model needs a decimal fee rate like 0.05")
        elif type(self.fee_amount_cents) is not int or self.fee_amount_cents < 0:
            raise BillingModelError(f"a {self.fee_type} model needs a fee amount in non-negative cents")
        if type(self.setup_fee_cents) is not int or self.setup_fee_cents < 0:
            raise BillingModelError("the setup fee must be non-negative cents")


def effective_model(carrier_default: BillingModel | None, policy_override: BillingModel | None) -> BillingModel | None:
    """The policy's override when there is one, else the carrier's default (None: no fees)."""
    return policy_override if policy_override is not None else carrier_default


def cycle_fee_cents(model: BillingModel | None) -> int:
    """The employer-paid fee line of one payroll cycle's invoice (0 unless cycle_based)."""
    if model is None or model.fee_type != "cycle_based":
        return 0
    return int(model.fee_amount_cents or 0)


def flat_fee_cents(model: BillingModel | None, month: date, *, active_from: date, active_until: date) -> int:
    """The carrier's flat fee for the calendar month containing `month` (0 unless flat).

    Charged in full for every month that overlaps [active_from, active_until) (the policy or the
    carrier's contract); never pro-rated.
    """
    if model is None or model.fee_type != "flat":
        return 0
    first = month.replace(day=1)
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    overlaps = active_from < following and first < active_until
    return int(model.fee_amount_cents or 0) if overlaps else 0


def percentage_fee_cents(settled_premium_cents: int, rate_text: str) -> int:
    """Share of settled premium, exact product rounded once, half away from zero: (2715, "0.05") -> 136."""
    if not isinstance(rate_text, str) or not RATE_TEXT.fullmatch(rate_text.strip()):
        raise BillingModelError(f"fee rate {rate_text!r} is not a decimal like 0.05")
    if type(settled_premium_cents) is not int:
        raise BillingModelError("settled premium must be integer cents")
    exact = Decimal(settled_premium_cents) * Decimal(rate_text.strip())
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))  # HALF_UP on Decimal = away from zero


def carrier_settlement_fee_cents(model: BillingModel | None, settled_premium_cents: int) -> int:
    """The carrier-paid fee taken at settlement: the percentage model's share, else 0."""
    if model is None or model.fee_type != "percentage":
        return 0
    return percentage_fee_cents(settled_premium_cents, model.fee_rate or "0")


SETUP_FEE_PREFIXES = ("setup", "setup_fee")  # `setup_fee` in databases written before issue 11


def setup_fee_key(policy_number: str) -> str:
    """Ledger idempotency key (under `carrier_fee:`) of a policy's one-time setup fee: `setup:<policy>`.
    The carrier statement recognises it with `setup_fee_policy`, so the two never disagree."""
    return f"setup:{policy_number}"


def setup_fee_keys(policy_number: str) -> tuple[str, ...]:
    """Every key a policy's setup fee may have been posted under (today's and the legacy one)."""
    return tuple(f"{prefix}:{policy_number}" for prefix in SETUP_FEE_PREFIXES)


def setup_fee_policy(carrier_fee_key: str) -> str | None:
    """The policy number of a `carrier_fee:` transaction key that is a setup fee, else None."""
    parts = carrier_fee_key.split(":")
    if len(parts) >= 3 and parts[0] == "carrier_fee" and parts[1] in SETUP_FEE_PREFIXES:
        return parts[2]
    return None
