"""Pre-debit notice and debit date: an issued ach_debit invoice is scheduled, the employer told.

Rule (NACHA CCD practice and our bank agreement; config `pre_debit_notice_banking_days`, default 2):
the employer is told the amount, the date and the last four digits of the account before we debit;
the debit date is the first banking day (paygo.calendar) at least N banking days after the notice.
A credit (a downward correction) is first decided (paygo.ach.refunds): refunded from settled
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
from paygo.ach import refunds
from paygo.db.models import AchEntry, Employer, ExceptionItem, Invoice, InvoiceStatusChange, Notification
from paygo.invoicing import credits
from paygo.invoicing.status import record

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
            if refunds.decide_credit(session, invoice, employer, today) != credits.REFUND:
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
                                 recipient=employer.email or "", subject=subject, body=body))
        reason = (f"pre-debit notice sent {today.isoformat()}: presentment {presentment} debited on "
                  f"{when.isoformat()} from ****{employer.bank_account_last4}")
        record(session, invoice, "noticed", on=today, by=ACTOR, why=reason)
        invoice.debit_date, invoice.debit_presentment = when, presentment
        invoice.debit_bank_details_version = employer.bank_details_version
        done.append(ScheduledDebit(invoice.number, presentment, when, invoice.total_cents,
                                   employer.bank_account_last4 or ""))
    session.flush()
    return done
