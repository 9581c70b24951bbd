"""Consolidated remit bills, issued once per payroll company and month of pay dates, never edited.

Rule (issue 4; domain.md invariants 2 and 6): employers that pay by remit (their payroll company
pays on their behalf) are not debited; their payroll company gets one consolidated bill per
calendar month of the pay dates, issued once that month has ended, due 30 days after it is
issued. A bill is a row with a number from the `remit_bill` counter (REMIT-000001, never reused)
and is never changed once issued: a remit invoice that arrives for a month already billed goes on
a new supplementary bill of that month (sequence 2, 3, ...) the next time bills are issued.
Voided invoices are not billed (their reissue is), nor written-off ones (nothing is collected on them). A correction of an invoice already on a bill
never voids it (paygo.states.correction_action): its adjustment goes on the next supplementary
bill, a credit note when the premium went down, so what the company owes across its bills is the
latest total less what it paid (a bill's balance is the positions of its invoices,
paygo.payments.balances: a credit note pays down its own run's invoice on the earlier bill).
The company's unapplied payments pay a new bill as it is issued (paygo.payments.record). Worked example: Acme's remit invoices
INV-000002 (pay date 2025-03-14, 500 cents) and INV-000007 (2025-03-28, 1,200 cents):
issue_remit_bills(today=2025-03-31) issues nothing (March has not ended); today=2025-04-01 issues
REMIT-000001 for 2025-03-01..2025-03-31, 1,700 cents, due 2025-05-01; a second call issues
nothing; INV-000009 (pay date 2025-03-21) arriving on 04-03 goes on REMIT-000002, sequence 2.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paygo import documents as d
from paygo.billing.invoice import REMIT_DAYS, month_bounds
from paygo.db import models as m
from paygo.db.counters import next_value
from paygo.states import remit_bill_transition

COUNTER = "remit_bill"
BILLABLE_KINDS = ("invoice", "adjustment")


@dataclass(frozen=True)
class Unbilled:
    """A live remit invoice not yet on any bill."""

    invoice_id: int
    payroll_company_id: str
    pay_date: date
    total_cents: int


@dataclass(frozen=True)
class BillPlan:
    """One bill to issue: a company's unbilled invoices of one ended month."""

    payroll_company_id: str
    period_start: date
    period_end: date
    invoice_ids: tuple[int, ...]
    total_cents: int


def remit_bill_number(value: int) -> str:
    return f"REMIT-{value:06d}"


def remit_bill_due_date(issue_date: date) -> date:
    """30 days after the bill is issued (issue 4: "due in 30 days")."""
    return issue_date + timedelta(days=REMIT_DAYS)


def plan_remit_bills(unbilled: Iterable[Unbilled], today: date) -> list[BillPlan]:
    """Group unbilled invoices by (company, month of pay date), keeping only months that ended
    before `today`; ordered by company then month, invoice ids ascending."""
    groups: dict[tuple[str, date, date], list[Unbilled]] = {}
    for u in unbilled:
        first, last = month_bounds(u.pay_date)
        if last < today:
            groups.setdefault((u.payroll_company_id, first, last), []).append(u)
    return [BillPlan(company, first, last, tuple(sorted(u.invoice_id for u in rows)), sum(u.total_cents for u in rows))
            for (company, first, last), rows in sorted(groups.items())]


def unbilled_remit_invoices(session: Session) -> list[Unbilled]:
    q = (select(m.Invoice.id, m.Employer.payroll_company_id, m.PayrollRun.pay_date, m.Invoice.total_cents)
         .join(m.PayrollRun, m.PayrollRun.id == m.Invoice.payroll_run_pk)
         .join(m.Employer, m.Employer.id == m.Invoice.employer_id)
         .where(m.Invoice.payment_method == "remit", m.Invoice.status.not_in(("void", "written_off")),
                m.Invoice.kind.in_(BILLABLE_KINDS), m.Invoice.remit_bill_id.is_(None))
         .order_by(m.Invoice.id))
    return [Unbilled(*row) for row in session.execute(q)]


def issue_remit_bills(session: Session, *, today: date, issued_at: datetime | None = None) -> list[str]:
    """Issue every due consolidated bill in the caller's transaction; returns their numbers.

    Idempotent: invoices already on a bill are never picked again, so a second call issues
    nothing. `issued_at` defaults to midnight UTC of `today`. The caller commits, then renders
    the PDFs (`write_invoice_pdfs(session, home, numbers)`)."""
    issued_at = issued_at or datetime.combine(today, time(0), UTC)
    numbers = []
    for plan in plan_remit_bills(unbilled_remit_invoices(session), today):
        previous = session.scalar(select(func.max(m.RemitBill.sequence)).where(
            m.RemitBill.payroll_company_id == plan.payroll_company_id,
            m.RemitBill.period_start == plan.period_start))
        number = remit_bill_number(next_value(session, COUNTER))
        bill = m.RemitBill(number=number, payroll_company_id=plan.payroll_company_id,
                           period_start=plan.period_start, period_end=plan.period_end,
                           sequence=(previous or 0) + 1, issued_at=issued_at,
                           due_date=remit_bill_due_date(today), total_cents=plan.total_cents,
                           status=remit_bill_transition(None, "issued"), pdf_path=f"invoices/{number}.pdf")
        session.add(bill)
        session.flush()
        for inv in session.scalars(select(m.Invoice).where(m.Invoice.id.in_(plan.invoice_ids))):
            inv.remit_bill_id = bill.id
        session.flush()
        numbers.append(number)
    from paygo.payments.record import apply_payer_credit

    for company in sorted({b.payroll_company_id for b in session.scalars(
            select(m.RemitBill).where(m.RemitBill.number.in_(numbers)))}):
        apply_payer_credit(session, company, numbers, today)
    return numbers


def list_remit_bills(session: Session) -> list[dict]:
    """Every bill with its balance and invoices, in number order (`paygo remit-bills list`)."""
    from paygo.payments.record import bill_balance

    bills = session.scalars(select(m.RemitBill).order_by(m.RemitBill.id)).all()
    balances = {b.number: bill_balance(session, b.id) for b in bills}
    invoices: dict[int, list[str]] = {}
    for bill_id, number in session.execute(select(m.Invoice.remit_bill_id, m.Invoice.number)
                                           .where(m.Invoice.remit_bill_id.is_not(None)).order_by(m.Invoice.number)):
        invoices.setdefault(bill_id, []).append(number)
    return [{"number": b.number, "payroll_company_id": b.payroll_company_id,
             "period_start": b.period_start.isoformat(), "period_end": b.period_end.isoformat(),
             "sequence": b.sequence, "issue_date": _utc_date(b.issued_at).isoformat(),
             "due_date": b.due_date.isoformat(), "total_cents": b.total_cents, "balance_cents": balances[b.number],
             "status": b.status, "invoices": invoices.get(b.id, [])} for b in bills]


def _utc_date(moment: datetime) -> date:
    """The UTC day of a stored timestamp (PostgreSQL returns it in the session's time zone)."""
    return moment.date() if moment.tzinfo is None else moment.astimezone(UTC).date()


def remit_bill_document(session: Session, bill: m.RemitBill) -> d.InvoiceDocument:
    """The stored bill as a document: only its own rows, so its bytes never change after issue."""
    q = (select(m.Invoice, m.PayrollRun, m.Employer, m.Policy, m.Carrier)
         .join(m.PayrollRun, m.PayrollRun.id == m.Invoice.payroll_run_pk)
         .join(m.Employer, m.Employer.id == m.Invoice.employer_id)
         .join(m.Policy, m.Policy.id == m.Invoice.policy_id)
         .join(m.Carrier, m.Carrier.id == m.Policy.carrier_id)
         .where(m.Invoice.remit_bill_id == bill.id)
         .order_by(m.Invoice.number))
    items = tuple(d.RemitBillItem(inv.number, d.Employer(emp.name, emp.fein), pol.number, carrier.name,
                                  run.payroll_run_id, run.pay_date, inv.total_cents)
                  for inv, run, emp, pol, carrier in session.execute(q))
    company = session.get(m.PayrollCompany, bill.payroll_company_id)
    return d.InvoiceDocument(
        invoice_number=bill.number, kind=d.InvoiceKind.CONSOLIDATED_REMIT_BILL,
        status=d.InvoiceStatus(bill.status), issue_date=_utc_date(bill.issued_at), due_date=bill.due_date,
        payroll_company=company.name, total_cents=bill.total_cents, payment=d.Payment(d.PaymentMethod.REMIT),
        billing_period=d.Period(bill.period_start, bill.period_end), remit_items=items)
