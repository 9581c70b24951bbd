"""Credits in the database: what a run collected, refunds approved from it, withdrawn when it came back.

Rule (paygo.invoicing.credits, the pure decision; issue 11): a waiting credit is decided when
origination's notices run (`decide_credit`): refunded (`refund_payable`, then noticed like a debit),
netted, or left waiting. A refund approved but in no NACHA file yet is withdrawn when a debit of its
run comes back (`withdraw_refunds`, from reconcile): the approval is reversed, the employer told,
and the credit decided again later under `refund_payable:<inv>:<attempt>`.
Example: INV-000004 (-178.27) approved on 06-13 on INV-000003's settled 550.11; the late R01 of
INV-000003 reconciled that day withdraws it; after the re-presentment settles it is approved again
as `refund_payable:INV-000004:2`.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paygo.ach.settle import billing_fee_lookup, carrier_fee_cents
from paygo.billing.money import format_cents
from paygo.db.models import (
    AchEntry,
    Employer,
    ExceptionItem,
    Invoice,
    InvoiceStatusChange,
    LedgerTransaction,
    Notification,
    Policy,
)
from paygo.invoicing import credits
from paygo.invoicing.status import record
from paygo.ledger import posting, repo
from paygo.nacha import codes
from paygo.states import OPEN

ACTOR = "paygo.ach.schedule"


def run_money(session: Session, employer_id: int, payroll_run_id: str) -> credits.RunMoney:
    """What one run billed, collected and committed to refunds (paygo.invoicing.credits)."""
    rows = session.execute(select(Invoice.id, Invoice.total_cents, Invoice.status).where(
        Invoice.employer_id == employer_id, Invoice.payroll_run_id == payroll_run_id)).all()
    ids = [r.id for r in rows]
    collected = session.scalar(select(func.coalesce(func.sum(AchEntry.amount_cents), 0)).where(
        AchEntry.invoice_id.in_(ids), AchEntry.status == "settled",
        AchEntry.transaction_code.in_((codes.CHECKING_DEBIT, codes.SAVINGS_DEBIT)))) if ids else 0
    return credits.RunMoney(
        billed_cents=sum(r.total_cents for r in rows if r.status != "void"),
        collected_cents=int(collected),
        refunds_committed_cents=sum(-r.total_cents for r in rows
                                    if r.total_cents < 0 and r.status in ("scheduled", "in_flight", "paid", "failed")),
        positive_open=any(r.total_cents > 0 and r.status in OPEN for r in rows))


def refund_keys_posted(session: Session, number: str) -> set[str]:
    """The ledger keys of a credit's refund approvals and their reversals."""
    return set(session.scalars(select(LedgerTransaction.idempotency_key).where(
        LedgerTransaction.idempotency_key.like(f"%refund_payable:{number}%"))))


def withdraw_refunds(session: Session, returned_invoice_ids: list[int], *, on: date, by: str) -> list[str]:
    """Refunds approved (`scheduled`) but in no NACHA file yet, of the runs whose debits just came
    back: the money they relied on is gone, so the approval is reversed and the credit waits again
    (paygo.invoicing.credits decides anew once the run's debits are settled or failed)."""
    approved = session.scalars(select(Invoice).where(
        Invoice.total_cents < 0, Invoice.status == "scheduled", Invoice.payment_method == "ach_debit")
        .order_by(Invoice.id)).all()
    if not returned_invoice_ids or not approved:
        return []
    runs = set()
    for i in range(0, len(returned_invoice_ids), 5000):
        runs |= set(session.execute(select(Invoice.employer_id, Invoice.payroll_run_id)
                                    .where(Invoice.id.in_(returned_invoice_ids[i:i + 5000]))).all())
    withdrawn = []
    for credit in approved:
        if (credit.employer_id, credit.payroll_run_id) not in runs:
            continue
        active, _ = credits.refund_keys(credit.number, refund_keys_posted(session, credit.number))
        if active is not None:
            repo.reverse(session, active, on, reason="refund withdrawn: a debit of the run was returned")
        record(session, credit, "withdrawn", on=on, by=by,
               why="a debit of the payroll run was returned before the refund left: it waits again")
        _tell_withdrawn(session, credit, on)
        withdrawn.append(credit.number)
    session.flush()
    return withdrawn


def _tell_withdrawn(session: Session, credit: Invoice, on: date) -> None:
    """The employer was told the refund's date: tell them it waits (one outbox row per withdrawal)."""
    employer = session.get(Employer, credit.employer_id)
    count = session.scalar(select(func.count()).select_from(InvoiceStatusChange).where(
        InvoiceStatusChange.invoice_id == credit.id, InvoiceStatusChange.event == "withdrawn"))
    key = f"refund_withdrawn:{credit.number}:{count}"
    if session.scalar(select(Notification.id).where(Notification.idempotency_key == key)) is None:
        amount = format_cents(-credit.total_cents)
        session.add(Notification(
            idempotency_key=key, kind="refund_withdrawn", recipient=employer.email or "",
            subject=f"Refund of ${amount} for {credit.number} postponed",
            body=(f"Dear {employer.name},\n\nThe refund of ${amount} for {credit.number} announced earlier is "
                  f"postponed ({on.isoformat()}): a premium debit of the same payroll run was returned by your "
                  f"bank. We will refund the credit once that debit is collected, or deduct it from what is owed.\n")))


def decide_credit(session: Session, invoice: Invoice, employer: Employer, today: date) -> str:
    """Refund a waiting credit from settled money, net it against money never collected, or wait."""
    active, attempt = credits.refund_keys(invoice.number, refund_keys_posted(session, invoice.number))
    if active is not None:
        return credits.REFUND  # decided by an earlier run; the notice waits for valid bank details
    run = run_money(session, invoice.employer_id, invoice.payroll_run_id)
    verdict, excess = credits.decide(run, -invoice.total_cents)
    if verdict == credits.REFUND:
        policy = session.get(Policy, invoice.policy_id)
        per_policy, per_carrier = billing_fee_lookup(session)
        setting = per_policy.get(policy.id) or per_carrier.get(policy.carrier_id)
        fee_back = carrier_fee_cents(setting, -invoice.premium_cents)
        repo.post(session, posting.refund_payable(invoice.number, employer.fein, policy.carrier_id,
                                                  -invoice.total_cents, fee_back, today, attempt))
    elif verdict == credits.NET:
        record(session, invoice, "netted", on=today, by=ACTOR,
               why=f"credit of {format_cents(-invoice.total_cents)} netted: the run's debits did not collect it "
                   f"(collected {format_cents(run.collected_cents)}, billed {format_cents(run.billed_cents)})")
        if excess > 0:
            session.add(ExceptionItem(kind="refund_by_hand", subject=f"invoices:{invoice.id}", detail=(
                f"{invoice.number}: after netting, employer {employer.fein} has paid {excess} cents more than "
                f"payroll run {invoice.payroll_run_id} now bills; refund by hand")))
    return verdict
