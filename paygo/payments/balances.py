"""What is still owed on each invoice, and what each credit still gives back: the one definition
payments, write-offs, re-presentment, remit bills, dunning and reports share.

Per payroll run (employer, run id): the run's credits that are neither refunded nor void (status
`issued`: waiting, or `netted`) form a pool that pays down the run's positive invoices in invoice
order, each by what neither its remit payments nor its settled debits paid (so a paid-by-debit
invoice takes nothing: a credit against it is money owed back). An owing invoice's (`issued`,
`scheduled`, `in_flight`, `failed`) position is what is left (>= 0); a credit's position is minus
what the pool could not place (<= 0: money still owed back, e.g. on a remit credit note). Closed
invoices (paid, void, netted, written off) and refunded credits are at 0. So across a run,
positions add up to billed - applied - collected, whatever order things happened in.
Example: INV-1 $414.43 failed, credit INV-2 -$38.63 netted, $100.00 of a wire applied to INV-1:
positions {INV-1: 27,580, INV-2: 0}: the employer owes $275.80.
An invoice `in_flight` still owes: the debit may come back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from paygo.db.models import AchEntry, Invoice, PaymentApplication
from paygo.nacha import codes

OWING = ("issued", "scheduled", "in_flight", "failed")
POOLED_CREDITS = ("issued", "netted")


def run_positions(rows: Iterable[tuple[int, int, str]], paid: dict[int, int]) -> dict[int, int]:
    """Pure: positions of one run's invoices from (id, total cents, status) and, by id, the cents
    paid to it by remit payments applied and debits settled."""
    rows = sorted(rows)
    pool = sum(-total for _, total, status in rows if total < 0 and status in POOLED_CREDITS)
    out = {}
    for invoice_id, total, status in rows:
        out[invoice_id] = 0
        if total > 0 and status != "void":
            gross = max(total - paid.get(invoice_id, 0), 0)
            take = min(pool, gross)
            pool -= take
            if status in OWING:
                out[invoice_id] = gross - take
    for invoice_id, total, status in reversed(rows):  # what the pool could not place stays on the newest credits
        if total < 0 and status in POOLED_CREDITS and pool > 0:
            left = min(pool, -total)
            out[invoice_id] = -left
            pool -= left
    return out


def applied_cents(session: Session, invoice_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Cents of payments applied per invoice id (only invoices with any)."""
    q = select(PaymentApplication.invoice_id, func.sum(PaymentApplication.amount_cents)).group_by(
        PaymentApplication.invoice_id)
    if invoice_ids is not None:
        q = q.where(PaymentApplication.invoice_id.in_(list(invoice_ids)))
    return {i: int(c) for i, c in session.execute(q)}


def collected_cents(session: Session, invoice_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Cents of settled debits per invoice id (a refund credit is not a debit)."""
    q = (select(AchEntry.invoice_id, func.sum(AchEntry.amount_cents))
         .where(AchEntry.status == "settled", AchEntry.transaction_code.in_((codes.CHECKING_DEBIT, codes.SAVINGS_DEBIT)))
         .group_by(AchEntry.invoice_id))
    if invoice_ids is not None:
        q = q.where(AchEntry.invoice_id.in_(list(invoice_ids)))
    return {i: int(c) for i, c in session.execute(q)}


def positions(session: Session, invoice_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Position of every invoice of the runs the given invoices belong to (all runs when None)."""
    q = select(Invoice.id, Invoice.total_cents, Invoice.status, Invoice.employer_id, Invoice.payroll_run_id)
    if invoice_ids is not None:
        ids = list(invoice_ids)
        if not ids:
            return {}
        runs = session.execute(select(Invoice.employer_id, Invoice.payroll_run_id).where(Invoice.id.in_(ids))
                               .distinct()).all()
        q = q.where(tuple_(Invoice.employer_id, Invoice.payroll_run_id).in_([tuple(r) for r in runs]))
    by_run: dict[tuple, list[tuple[int, int, str]]] = defaultdict(list)
    all_ids = []
    for invoice_id, total, status, employer_id, run_id in session.execute(q):
        by_run[(employer_id, run_id or f"invoice:{invoice_id}")].append((invoice_id, total, status))
        all_ids.append(invoice_id)
    paid = applied_cents(session, None if invoice_ids is None else all_ids)
    for invoice_id, cents in collected_cents(session, None if invoice_ids is None else all_ids).items():
        paid[invoice_id] = paid.get(invoice_id, 0) + cents
    out: dict[int, int] = {}
    for rows in by_run.values():
        out |= run_positions(rows, paid)
    return out


def open_cents(session: Session, invoice_ids: Iterable[int] | None = None) -> dict[int, int]:
    """What each owing invoice still owes, by invoice id (invoices that owe nothing are left out)."""
    wanted = None if invoice_ids is None else set(invoice_ids)
    return {i: c for i, c in positions(session, wanted).items() if c > 0 and (wanted is None or i in wanted)}
