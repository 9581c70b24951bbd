"""Settlement: an ACH debit with no return two banking days after its effective date is settled.

Rule (NACHA return timeframe: most returns arrive within 2 banking days of settlement; Audit1
billing guide "Settlement — funds collected and credited to carrier wallet"; domain.md invariant 7):
only then does the money become the carrier's. Per entry, in one database transaction:
`debit_settled` (cash at bank / ACH in transit), `premium_to_carrier` (the premium less the
carrier-paid fee to the carrier's wallet, both fees to platform revenue), the entry `settled`, the
invoice `paid` (history row) and a `payment_confirmation` notification. Idempotency keys are per
entry: `debit_settled:<inv>:<n>` and `premium_to_carrier:<inv>` (presentment 1) or
`premium_to_carrier:<inv>:<n>` (a re-presentment), so a re-presentment that settles after a late
clawback credits the wallet again. The carrier fee: percentage model -> percentage_fee_cents(P,
rate) (half away from zero); the cycle-based fee F was paid by the employer on the invoice;
flat and setup fees are charged outside settlement (`carrier_fee`).
Worked example: INV-1 premium 2715 + cycle fee 150 = 2865 debited on Tue 2025-03-18, carrier
`acme` at 5%: settle(today=Thu 2025-03-20) -> cash_at_bank +2865, carrier_wallet:acme -2579
(2715 - 136), platform_fees -286 (136 + 150); settle(today=Wed 2025-03-19) settles nothing.
An entry named by a return waiting in the exception queue (its trace and amount) does not settle
until ops resolve it (issue 11 finding 12). Every date written is the business date `today`.
A refund credit (tc 22/32) settles on the same schedule with `refund_settled:<inv>:<n>` (refunds in
transit / cash at bank) and its invoice `paid`; it credits no wallet and counts in no carrier total.
Carrier payout credits settle on the same rule too (paygo.payouts.settle, `payout_settled`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone

from sqlalchemy import String, bindparam, func, select
from sqlalchemy.orm import Session

from paygo.billing.fees import percentage_fee_cents
from paygo.calendar import add_banking_days
from paygo.db.bulk import update_in
from paygo.db.models import AchEntry, AchFile, AchReturn, BillingSetting, Employer, ExceptionItem, Invoice, Policy
from paygo.invoicing.status import StatusChange, record_many
from paygo.ledger import posting
from paygo.nacha import codes
from paygo.ledger.repo import post_many
from paygo.notifications.messages import Facts, compose
from paygo.notifications.outbox import enqueue
from paygo.states import entry_transition

SETTLEMENT_BANKING_DAYS = 2
CHUNK = 5000


def premium_to_carrier_key(invoice_number: str, presentment: int) -> str:
    return f"premium_to_carrier:{invoice_number}" + ("" if presentment == 1 else f":{presentment}")


def premium_to_carrier_txn(invoice_number: str, presentment: int, carrier_id: str, premium_cents: int,
                           carrier_fee_cents: int, employer_fee_cents: int, on: date) -> posting.Transaction:
    txn = posting.premium_to_carrier(invoice_number, carrier_id, premium_cents, carrier_fee_cents,
                                     employer_fee_cents, on)
    return replace(txn, idempotency_key=premium_to_carrier_key(invoice_number, presentment))


def update_by_id(session: Session, model, rows: Sequence[dict]) -> None:
    """Core executemany UPDATE ... WHERE id = :id for rows of {"id": .., column: value, ...} (same keys)."""
    if not rows:
        return
    table = model.__table__
    columns = [k for k in rows[0] if k != "id"]
    stmt = (table.update().where(table.c.id == bindparam("_id"))
            .values({c: bindparam(f"_{c}") for c in columns}))
    session.connection().execute(stmt, [{f"_{k}": v for k, v in r.items()} for r in rows])


def billing_fee_lookup(session: Session) -> tuple[dict[int, BillingSetting], dict[str, BillingSetting]]:
    """(per-policy overrides by policy id, carrier defaults by carrier id)."""
    per_policy: dict[int, BillingSetting] = {}
    per_carrier: dict[str, BillingSetting] = {}
    for b in session.scalars(select(BillingSetting)):
        if b.policy_id is None:
            per_carrier[b.carrier_id] = b
        else:
            per_policy[b.policy_id] = b
    return per_policy, per_carrier


def carrier_fee_cents(setting: BillingSetting | None, premium_cents: int) -> int:
    """The fee taken out of this settled premium: only the percentage model takes one at settlement."""
    if setting is None or setting.fee_type != "percentage" or setting.fee_rate is None:
        return 0
    return percentage_fee_cents(premium_cents, setting.fee_rate)


@dataclass(frozen=True)
class CarrierTotal:
    carrier_id: str
    entries: int
    debited_cents: int  # what the employers' debits brought in
    premium_cents: int
    carrier_fee_cents: int
    employer_fee_cents: int

    @property
    def wallet_cents(self) -> int:
        return self.premium_cents - self.carrier_fee_cents


@dataclass(frozen=True)
class SettlementResult:
    settled: int
    total_cents: int
    by_carrier: tuple[CarrierTotal, ...]
    held: tuple[str, ...] = ()  # "<invoice> presentment <n>: why" for entries that wait for ops
    payouts: tuple = ()  # carrier payout credits settled (paygo.payouts.settle.SettledPayout)


def disputed_entries(session: Session) -> set[tuple[str, int]]:
    """(original trace, amount) of every return or NOC with an open exception: such an entry waits
    for ops instead of settling (an unmatched return may well be its return)."""
    rows = session.execute(
        select(AchReturn.original_trace, AchReturn.amount_cents)
        .join(ExceptionItem, ExceptionItem.subject == "ach_returns:" + func.cast(AchReturn.id, String))
        .where(ExceptionItem.resolved_at.is_(None), AchReturn.kind == "return")).all()
    return {(t, a) for t, a in rows}


def _due(effective: date, today: date, cache: dict[date, bool]) -> bool:
    if effective not in cache:
        cache[effective] = add_banking_days(effective, SETTLEMENT_BANKING_DAYS) <= today
    return cache[effective]


def settle(session: Session, *, today: date, changed_by: str = "paygo ach settle") -> SettlementResult:
    """Settle every in-flight entry whose return window has passed; the caller commits."""
    rows = session.execute(
        select(AchEntry.id, AchEntry.presentment, AchEntry.amount_cents, AchEntry.effective_date,
               AchEntry.account_last4, AchEntry.transaction_code, AchEntry.trace_number, Invoice.id, Invoice.number, Invoice.status, Invoice.premium_cents,
               Invoice.employer_fee_cents, Invoice.policy_id, Policy.carrier_id, Employer.name, Employer.email)
        .join(Invoice, Invoice.id == AchEntry.invoice_id)
        .join(Policy, Policy.id == Invoice.policy_id)
        .join(Employer, Employer.id == Invoice.employer_id)
        .join(AchFile, AchFile.id == AchEntry.ach_file_id)
        # only what the bank confirmed receiving: an entry of a file still waiting to be uploaded
        # is in flight for the lifecycle, but its money has not moved
        .where(AchEntry.status == "in_flight", AchEntry.effective_date <= today, AchFile.status == "confirmed")
        .order_by(AchEntry.id)
    ).all()
    cache: dict[date, bool] = {}
    disputed = disputed_entries(session)
    due, held = [], []
    for r in rows:
        if not _due(r.effective_date, today, cache):
            continue
        if (r.trace_number, r.amount_cents) in disputed:
            held.append(f"{r.number} presentment {r.presentment}: a return of trace {r.trace_number} for "
                        f"{r.amount_cents} cents waits in the exception queue")
            continue
        due.append(r)
    per_policy, per_carrier = billing_fee_lookup(session)
    txns: list[posting.Transaction] = []
    messages = []
    invoice_changes = []
    totals: dict[str, list[int]] = {}
    now = datetime.now(timezone.utc)  # audit only: the business date is `today`
    for r in due:
        (entry_id, n, amount, _eff, last4, tc, _trace, inv_id, number, inv_status, premium, emp_fee, policy_id,
         carrier, emp_name, email) = r
        if not codes.is_debit(tc):  # a refund credit (22/32): the money left our bank; nothing to a wallet
            txns.append(posting.refund_settled(number, n, amount, today))
            invoice_changes.append(StatusChange(inv_id, inv_status, "settled", f"ACH refund credit presentment {n} settled"))
            continue
        setting = per_policy.get(policy_id) or per_carrier.get(carrier)
        fee = carrier_fee_cents(setting, premium)
        txns.append(posting.debit_settled(number, n, amount, today))
        if premium > 0 or emp_fee > 0:  # a fee-only invoice (premium corrected to 0): the fee is earned too
            txns.append(premium_to_carrier_txn(number, n, carrier, premium, fee, emp_fee, today))
        invoice_changes.append(StatusChange(inv_id, inv_status, "settled", f"ACH debit presentment {n} settled"))
        messages.append(compose("payment_confirmation", Facts(emp_name, email or "", number, amount, last4, n),
                                f"payment_confirmation:{number}:{n}"))
        t = totals.setdefault(carrier, [0, 0, 0, 0, 0])
        for i, v in enumerate((1, amount, premium, fee, emp_fee)):
            t[i] += v
    if due:
        update_in(session, AchEntry.__table__, [r[0] for r in due],
                  {"status": entry_transition("in_flight", "settled"), "settled_at": now, "settled_on": today})
        post_many(session, txns)
        record_many(session, invoice_changes, on=today, by=changed_by)
        enqueue(session, messages)
        session.expire_all()  # bulk updates bypassed the identity map
    by_carrier = tuple(CarrierTotal(c, *v) for c, v in sorted(totals.items()))
    from paygo.payouts.settle import settle_payouts  # carrier payout credits: the same 2-banking-day rule

    payouts = settle_payouts(session, today=today)
    return SettlementResult(len(due), sum(c.debited_cents for c in by_carrier), by_carrier, tuple(held), payouts)
