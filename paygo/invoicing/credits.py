"""Credits (downward corrections paid by ACH): refunded only from money that settled, else netted.

Rule (issue 11 "What debited means"; domain.md invariants 2 and 7): a credit lowers what the
employer owes the moment it is issued (`invoice_credited`), but money goes back only when the
run's debits have settled and the employer has then paid more than the run's latest total. So
while any positive invoice of the run is issued, scheduled or in flight, a credit waits; after
that, with `excess` = collected - refunds already committed - latest billed total:
  - excess >= the credit: refund it (`refund_payable`, then a refund notice and a credit entry);
  - otherwise the money was never collected (a debit failed): the credit is `netted`, it only
    lowered the receivable; if the employer is still owed something (0 < excess), ops are told.
Worked example: INV-000001 (414.43) in flight, corrected to 375.80 -> credit INV-000002 (-38.63)
waits. The debit settles: collected 414.43, billed 375.80, excess 38.63 -> refund 38.63. Had it
failed after three R01: collected 0, excess -375.80 -> netted; the employer owes 375.80.
"""

from __future__ import annotations

from dataclasses import dataclass

from paygo.ledger.posting import refund_payable_key

WAIT, REFUND, NET = "wait", "refund", "net"


@dataclass(frozen=True)
class RunMoney:
    """The money of one (employer, payroll run) across its invoices and adjustments."""

    billed_cents: int  # sum of the totals of the run's invoices that are not void (credits negative)
    collected_cents: int  # debits settled and not returned
    refunds_committed_cents: int  # credits already refund-payable (scheduled, in flight, paid, failed)
    positive_open: bool  # a positive invoice of the run is issued, scheduled or in flight


def decide(run: RunMoney, credit_cents: int) -> tuple[str, int]:
    """(WAIT | REFUND | NET, excess cents) for a credit of `credit_cents` (> 0) of this run."""
    if run.positive_open:
        return WAIT, 0
    excess = run.collected_cents - run.refunds_committed_cents - run.billed_cents
    if excess >= credit_cents:
        return REFUND, excess
    return NET, excess


def refund_keys(number: str, posted: set[str]) -> tuple[str | None, int]:
    """(the key of the credit's approval still in force or None, the attempt number of the next one)
    from the ledger keys already posted. Example: {refund_payable:INV-9, reverse:refund_payable:INV-9}
    -> (None, 2): the first approval was withdrawn, the next is refund_payable:INV-9:2."""
    attempt = 1
    while True:
        key = refund_payable_key(number, attempt)
        if key not in posted:
            return None, attempt
        if f"reverse:{key}" not in posted:
            return key, attempt + 1
        attempt += 1
