"""Pre-debit notice and debit date: an issued ach_debit invoice is scheduled, the employer told.

Rule (NACHA CCD practice and our bank agreement; config `pre_debit_notice_banking_days`, default 2):
the employer is told the amount, the date and the last four digits of the account before we debit;
the debit date is the first banking day (paygo.calendar) at least N banking days after the notice.
A credit (a downward correction) is first decided (paygo.invoicing.credits): refunded from settled
money (then noticed like a debit), netted against money never collected, or left waiting.
The invoice goes `issued -> scheduled` (event `noticed`) and records the debit it announced in `invoices.debit_date`,
`debit_presentment` and `debit_bank_details_version` (origination reads those columns; the history
row's reason says the same for people and is never parsed). A re-presentment the returns side put
back to `scheduled` (columns cleared) gets its own notice and a `scheduled -> scheduled` row. One
outbox row per (invoice, presentment): key `pre_debit_notice:<invoice number>:<presentment>`.
Worked example: notice on Tuesday 2026-11-24, N = 2 -> Wednesday 25th is 1, Thursday 26th is
Thanksgiving, Friday 27th is 2: debit date 2026-11-27.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paygo.billing.money import format_cents
from paygo.calendar import add_banking_days, is_banking_day, next_banking_day
from paygo.config import BankSettings
from paygo.db import locks
from paygo.db.crypto import mask
from paygo.ach.settle import billing_fee_lookup, carrier_fee_cents
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


@dataclass(frozen=True)
class ScheduledDebit:
    invoice_number: str
    presentment: int
    debit_date: date
    amount_cents: int  # signed: negative is a refund credit
    account_last4: str


def debit_date(notice_date: date, notice_banking_days: int) -> date:
    """The first banking day at least `notice_banking_days` banking days after the notice date."""
    d = add_banking_days(notice_date, notice_banking_days)
    return d if is_banking_day(d) else next_banking_day(d)


def next_presentment(session: Session, invoice_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(AchEntry).where(AchEntry.invoice_id == invoice_id))) + 1


def notice_text(invoice: Invoice, employer: Employer, when: date) -> tuple[str, str]:
    kind = "debit" if invoice.total_cents > 0 else "refund credit"
    amount = format_cents(abs(invoice.total_cents))
    subject = f"Premium {kind} of ${amount} on {when.isoformat()} for invoice {invoice.number}"
    body = (f"Dear {employer.name},\n\nWe will initiate an ACH {kind} of ${amount} for invoice {invoice.number} "
            f"with an effective date of {when.isoformat()}, to your {employer.bank_account_type} account "
            f"{mask(employer.bank_account_last4 or '')}.\n")
    return subject, body


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
    if not returned_invoice_ids or session.scalar(select(func.count()).select_from(Invoice).where(
            Invoice.total_cents < 0, Invoice.status == "scheduled")) == 0:
        return []
    runs = set()
    for i in range(0, len(returned_invoice_ids), 5000):
        runs |= set(session.execute(select(Invoice.employer_id, Invoice.payroll_run_id)
                                    .where(Invoice.id.in_(returned_invoice_ids[i:i + 5000]))).all())
    withdrawn = []
    for credit in session.scalars(select(Invoice).where(Invoice.total_cents < 0, Invoice.status == "scheduled",
                                                        Invoice.payment_method == "ach_debit").order_by(Invoice.id)):
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
            idempotency_key=key, kind="refund_withdrawn", recipient=employer.email or f"employer:{employer.fein}",
            subject=f"Refund of ${amount} for {credit.number} postponed",
            body=(f"Dear {employer.name},\n\nThe refund of ${amount} for {credit.number} announced earlier is "
                  f"postponed ({on.isoformat()}): a premium debit of the same payroll run was returned by your "
                  f"bank. We will refund the credit once that debit is collected, or deduct it from what is owed.\n")))


def _decide_credit(session: Session, invoice: Invoice, employer: Employer, today: date) -> str:
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


def notice_key(session: Session, invoice: Invoice, presentment: int) -> str:
    """`pre_debit_notice:<invoice>:<presentment>`; a refund approved again after a withdrawal is a new
    notice (`...:<presentment>:w<withdrawals>`), so the employer hears of the new date."""
    key = f"pre_debit_notice:{invoice.number}:{presentment}"
    withdrawals = session.scalar(select(func.count()).select_from(InvoiceStatusChange).where(
        InvoiceStatusChange.invoice_id == invoice.id, InvoiceStatusChange.event == "withdrawn"))
    return key if not withdrawals else f"{key}:w{withdrawals}"


def _stuck(session: Session, invoice: Invoice, why: str) -> None:
    """An invoice that waits for a debit the scheduler cannot announce goes to ops, never silently."""
    subject = f"invoices:{invoice.id}"
    if session.scalar(select(ExceptionItem.id).where(ExceptionItem.kind == "debit_not_schedulable",
                                                     ExceptionItem.subject == subject,
                                                     ExceptionItem.resolved_at.is_(None))) is None:
        session.add(ExceptionItem(kind="debit_not_schedulable", subject=subject, detail=f"{invoice.number}: {why}"))


def schedule_debits(session: Session, *, today: date, settings: BankSettings) -> list[ScheduledDebit]:
    """Notice every issued ach_debit invoice (and re-presentments lacking a notice); decide waiting
    credits first (refund, net or wait). All dated the business date `today`; caller commits."""
    when = debit_date(today, settings.pre_debit_notice_banking_days)
    locks.hold(session, locks.ORIGINATE)  # one notice per debit even with concurrent runs
    rows = session.execute(
        select(Invoice, Employer).join(Employer, Employer.id == Invoice.employer_id)
        .where(Invoice.payment_method == "ach_debit", Invoice.status.in_(("issued", "scheduled")),
               Invoice.total_cents != 0)
        .order_by(Invoice.id)
    ).all()
    done: list[ScheduledDebit] = []
    for invoice, employer in rows:
        if invoice.total_cents < 0 and invoice.status == "issued":
            if _decide_credit(session, invoice, employer, today) != credits.REFUND:
                continue
        if employer.authorization_status != "active" or employer.bank_routing is None:
            continue
        presentment = next_presentment(session, invoice.id)
        if invoice.status == "scheduled" and invoice.debit_presentment == presentment:
            continue  # already noticed for this presentment
        if presentment > 3:
            continue  # the returns side fails such an invoice; never a fourth presentment
        key = notice_key(session, invoice, presentment)
        if session.scalar(select(Notification.id).where(Notification.idempotency_key == key)) is not None:
            _stuck(session, invoice, f"the notice of presentment {presentment} was sent before, but the invoice "
                                     f"does not hold that debit: it cannot be scheduled again automatically")
            continue
        subject, body = notice_text(invoice, employer, when)
        session.add(Notification(idempotency_key=key, kind="pre_debit_notice",
                                 recipient=employer.email or f"employer:{employer.fein}", subject=subject, body=body))
        reason = (f"pre-debit notice sent {today.isoformat()}: presentment {presentment} debited on "
                  f"{when.isoformat()} from ****{employer.bank_account_last4}")
        record(session, invoice, "noticed", on=today, by=ACTOR, why=reason)
        invoice.debit_date, invoice.debit_presentment = when, presentment
        invoice.debit_bank_details_version = employer.bank_details_version
        done.append(ScheduledDebit(invoice.number, presentment, when, invoice.total_cents,
                                   employer.bank_account_last4 or ""))
    session.flush()
    return done
