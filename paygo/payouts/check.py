"""The check that no wallet is paid out beyond what it received (pure rule + its query).

Rule (issue 12; design.md "money sent to the carrier equals money settled minus fees"): for every
carrier,

    paid out  <=  received,   where
    paid out  = the sum of its payouts not returned (recorded, in flight or settled), and
    received  = the sum of every movement of its wallet OTHER than payouts (`carrier_payout`) and
                their returns (`payout_returned`), posted up to the ledger cutoff of its latest
                payout: settled premium (`premium_to_carrier`) and remit receipts (`payment_applied`)
                less the carrier's fees, minus clawbacks, refunds given back (`refund_payable`) and
                fees charged to the wallet (`carrier_fee`).

Movements after the latest payout's cutoff are left out on purpose: a clawback after a payout makes
the wallet negative, and is recovered from the next payout; it does not make the past payout wrong.
And each payout on its own: amount + reserve <= the wallet balance it saw, recomputed from the ledger
(the database CHECK holds the stored figures to it; this checks them against the ledger).
Worked example: settled 25,790 to the wallet, paid 15,790 (reserve 10,000): 15,790 <= 25,790 holds;
a later clawback of 25,790 leaves the wallet at -15,790 and the check still holds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paygo.db.models import LedgerAccount, LedgerEntry, LedgerTransaction, Payout

PAYOUT_KINDS = ("carrier_payout", "payout_returned")


@dataclass(frozen=True)
class CarrierPaidOut:
    carrier_id: str
    paid_out_cents: int
    received_cents: int


@dataclass(frozen=True)
class PayoutSeen:
    carrier_id: str
    payout_date: str
    amount_cents: int
    reserve_cents: int
    stored_balance_cents: int
    ledger_balance_cents: int  # the wallet at the payout's cutoff, from the ledger


def violations(carriers: list[CarrierPaidOut], payouts: list[PayoutSeen]) -> list[str]:
    """Every broken rule, as text (pure)."""
    out = [f"{c.carrier_id}: paid out {c.paid_out_cents} cents, received {c.received_cents}"
           for c in carriers if c.paid_out_cents > c.received_cents]
    for p in payouts:
        if p.stored_balance_cents != p.ledger_balance_cents:
            out.append(f"{p.carrier_id} {p.payout_date}: recorded wallet {p.stored_balance_cents} cents, the ledger "
                       f"had {p.ledger_balance_cents}")
        if p.amount_cents + p.reserve_cents > p.ledger_balance_cents:
            out.append(f"{p.carrier_id} {p.payout_date}: paid {p.amount_cents} + reserve {p.reserve_cents} cents "
                       f"from a wallet of {p.ledger_balance_cents}")
    return out


def _wallet_sum(session: Session, carrier_id: str, through_id: int, *, movements_only: bool) -> int:
    q = (select(func.coalesce(-func.sum(LedgerEntry.amount_cents), 0))
         .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
         .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
         .where(LedgerAccount.code == f"carrier_wallet:{carrier_id}", LedgerEntry.transaction_id <= through_id))
    if movements_only:
        q = q.where(LedgerTransaction.kind.not_in(PAYOUT_KINDS))
    return int(session.scalar(q))


def paid_out_and_seen(session: Session) -> tuple[list[CarrierPaidOut], list[PayoutSeen]]:
    by_carrier: dict[str, list[Payout]] = defaultdict(list)
    for p in session.scalars(select(Payout).order_by(Payout.carrier_id, Payout.payout_date)):
        by_carrier[p.carrier_id].append(p)
    carriers, seen = [], []
    for carrier_id, payouts in sorted(by_carrier.items()):
        latest = payouts[-1]
        carriers.append(CarrierPaidOut(
            carrier_id, sum(p.amount_cents for p in payouts if p.status != "returned"),
            _wallet_sum(session, carrier_id, latest.ledger_cutoff_id, movements_only=True)))
        seen += [PayoutSeen(carrier_id, p.payout_date.isoformat(), p.amount_cents, p.reserve_cents,
                            p.wallet_balance_cents, _wallet_sum(session, carrier_id, p.ledger_cutoff_id,
                                                                movements_only=False)) for p in payouts]
    return carriers, seen


def wallets_paid_beyond_received(session: Session) -> tuple[list[str], list[CarrierPaidOut]]:
    """(violations, per-carrier figures) for the asset check."""
    carriers, seen = paid_out_and_seen(session)
    return violations(carriers, seen), carriers
