"""A payout credit the carrier's bank sent back: the money is in the wallet again, ops get new details.

Rule (NACHA returns of credits, tc 21/31; domain.md "match returns on the original trace plus amount
and date"): reconcile (paygo.ach.reconcile) asks here about a return that matched none of our debit
or refund entries. It matches a payout of a CONFIRMED file (only those were posted and can have
reached the bank) on the original trace, the amount and the effective date within the return
window, in the direction of a credit, not returned already; exactly one, else none (the return then
goes to the exception queue as unmatched). A match moves the payout `returned`
(paygo.states.payout_transition; `returned_on`, `return_code`), posts `payout_returned:<carrier>:
<payout date>` (Dr payouts in transit, or Dr cash at bank when it had settled / Cr carrier wallet)
and queues an exception for ops: the carrier needs new bank details (`paygo load-reference` with a
corrected carriers.csv); until then the payout run holds that carrier's payouts (paygo.payouts.decide).
Worked example: R03 for original trace 011000010000007, 247,900 cents, of granite-mutual's payout
of 2026-11-25 -> wallet owed 257,900 again, payout `returned`, exception `payout_returned`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from paygo.billing.money import format_cents
from paygo.db.models import AchFile, Payout
from paygo.ledger import posting
from paygo.nacha import codes
from paygo.states import payout_transition

DEBIT_RETURN_CODES = frozenset({codes.CHECKING_RETURN_DEBIT, codes.SAVINGS_RETURN_DEBIT, codes.GL_RETURN_DEBIT,
                                codes.LOAN_RETURN_DEBIT})


@dataclass(frozen=True)
class PayoutCandidate:
    payout_id: int
    carrier_id: str
    payout_date: date
    trace_number: str
    amount_cents: int
    effective_date: date
    status: str
    account_last4: str


def payout_candidates(session: Session, traces: list[str], since: date, until: date) -> dict[str, list[PayoutCandidate]]:
    """Payouts of confirmed files with these traces, effective within [since, until]."""
    found: dict[str, list[PayoutCandidate]] = defaultdict(list)
    wanted = sorted(set(traces))
    for i in range(0, len(wanted), 5000):
        rows = session.execute(
            select(Payout.id, Payout.carrier_id, Payout.payout_date, Payout.trace_number, Payout.amount_cents,
                   Payout.effective_date, Payout.status, Payout.account_last4)
            .join(AchFile, AchFile.id == Payout.ach_file_id)
            .where(AchFile.status == "confirmed", Payout.trace_number.in_(wanted[i:i + 5000]),
                   Payout.effective_date >= since, Payout.effective_date <= until)).all()
        for r in rows:
            found[r.trace_number].append(PayoutCandidate(*r))
    return found


def match_payout(amount_cents: int, transaction_code: int, candidates: list[PayoutCandidate]) -> PayoutCandidate | None:
    """The one payout a return of money names (pure): same amount, not the return of a debit."""
    if transaction_code in DEBIT_RETURN_CODES:
        return None
    hits = [c for c in candidates if c.amount_cents == amount_cents and c.status != "returned"]
    return hits[0] if len(hits) == 1 else None  # a payout already returned goes to ops as unmatched


def apply_payout_return(session: Session, payout: PayoutCandidate, code: str, today: date) -> posting.Transaction:
    """Mark the payout returned (once) and give back the transaction that refills the wallet (the caller posts it)."""
    from paygo.payouts.run import ledger_key

    new = payout_transition(payout.status, "returned")
    session.execute(update(Payout).where(Payout.id == payout.payout_id, Payout.status == payout.status)
                    .values(status=new, returned_on=today, return_code=code[:3]),
                    execution_options={"synchronize_session": False})
    return posting.payout_returned(ledger_key(payout.carrier_id, payout.payout_date), payout.carrier_id,
                                   payout.amount_cents, code, today, settled=payout.status == "settled")


def exception_detail(payout: PayoutCandidate, code: str) -> str:
    return (f"payout to carrier {payout.carrier_id} of {payout.payout_date.isoformat()} (${format_cents(payout.amount_cents)},"
            f" account ****{payout.account_last4}) returned {code}: the money is back in the carrier's wallet; "
            f"get new bank details for the carrier (carriers.csv, paygo load-reference) before its next payout")
