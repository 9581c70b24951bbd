"""Which carriers are paid today and how much (pure).

Rule (issue 12; Audit1 billing guide: carriers are paid from their wallet; domain.md invariant 7):
the wallet holds settled premium less fees (docs/ledger.md `carrier_wallet:<carrier>`, a
liability: what we owe the carrier is MINUS its ledger balance). A carrier is paid the balance
above its reserve, `carriers.payout_minimum_cents`, which stays in the wallet to absorb a late
clawback; nothing when the balance is at or below the reserve (a clawback after a payout can
make it negative: the next payouts recover it before paying anything), nothing without a bank
account on file (said so), nothing while its last payout came back and the account on file is
still the one it came back from, at most once per carrier per payout day, and at most the bank's
per-entry limit (the rest waits for the next payout).
Worked example: wallet -25,790 in the ledger (owed 25,790), reserve 10,000 -> pay 15,790 and keep
10,000; owed 9,000 -> nothing (at or below the reserve); owed -1,200 after a clawback -> nothing,
and the next 1,200 credited to the wallet only make it whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

PAY = "pay"
ALREADY_PAID = "already_paid"
AT_OR_BELOW_RESERVE = "at_or_below_reserve"
NO_BANK_ACCOUNT = "no_bank_account"
BANK_RETURNED = "bank_returned"


def dollars(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{frac:02d}"


@dataclass(frozen=True)
class Wallet:
    """One carrier's wallet as the decision sees it."""

    carrier_id: str
    carrier_name: str
    balance_cents: int  # owed to the carrier: minus the ledger balance, less payouts not yet confirmed
    reserve_cents: int  # payout_minimum_cents: kept in the wallet
    has_bank_account: bool
    paid_today: bool = False  # a payout of this carrier already exists for the payout date
    returned_from_account: str | None = None  # "****1234 (R03)" when the last payout came back from the account on file


@dataclass(frozen=True)
class Decision:
    carrier_id: str
    verdict: str
    amount_cents: int  # > 0 only for PAY
    reason: str


def decide_payout(wallet: Wallet, *, per_entry_limit_cents: int) -> Decision:
    """What the payout run does for one carrier, and why."""
    w = wallet
    above = w.balance_cents - w.reserve_cents
    if w.paid_today:
        return Decision(w.carrier_id, ALREADY_PAID, 0, "already paid out on this payout day")
    if above <= 0:
        why = (f"wallet {dollars(w.balance_cents)} is at or below its reserve of {dollars(w.reserve_cents)}")
        if w.balance_cents < 0:
            why += ": a clawback after a payout, recovered from the next credits before anything is paid"
        return Decision(w.carrier_id, AT_OR_BELOW_RESERVE, 0, why)
    if not w.has_bank_account:
        return Decision(w.carrier_id, NO_BANK_ACCOUNT, 0,
                        f"no bank account on file: {dollars(above)} waits in the wallet")
    if w.returned_from_account is not None:
        return Decision(w.carrier_id, BANK_RETURNED, 0,
                        f"the last payout came back from the account on file {w.returned_from_account}: "
                        f"{dollars(above)} waits for new bank details")
    amount = min(above, per_entry_limit_cents)
    why = f"wallet {dollars(w.balance_cents)} less reserve {dollars(w.reserve_cents)}"
    if amount < above:
        why += f"; capped at the per-entry limit of {dollars(per_entry_limit_cents)}, the rest waits"
    return Decision(w.carrier_id, PAY, amount, why)


def decide_payouts(wallets: Iterable[Wallet], *, per_entry_limit_cents: int) -> tuple[Decision, ...]:
    return tuple(decide_payout(w, per_entry_limit_cents=per_entry_limit_cents)
                 for w in sorted(wallets, key=lambda w: w.carrier_id))
