"""Invoices in the database: issue, void, adjust, change status; each change leaves a history row.

Rules (domain.md invariants 2, 3, 6): exactly one live invoice per (policy, payroll run) (partial
UNIQUE index); numbers come from the `invoice` counter in the caller's transaction, so a rolled
back invoice never consumed a number and a voided one keeps its number. Issuing posts the
receivable (`invoice_issued:<number>`), voiding posts its reversal. Worked example: INV-000001
for 2,715 cents issued, then voided by a correction: the history holds (None -> issued) and
(issued -> void), the ledger holds the issue and `reverse:invoice_issued:INV-000001`, and
INV-000002 reissues it with reissue_of_id pointing at INV-000001.
Functions take a Session and never commit: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paygo.billing import fees
from paygo.billing.invoice import LineDraft, totals
from paygo.db import models as m
from paygo.db.counters import invoice_number, next_value
from paygo.invoicing import status
from paygo.ledger import posting, repo as ledger


@dataclass(frozen=True)
class InvoiceParties:
    """Who an invoice concerns, for ledger postings and notifications."""

    employer_fein: str
    carrier_id: str
    policy_number: str


def billing_model(session: Session, policy: m.Policy) -> fees.BillingModel | None:
    """The policy's override, else its carrier's default (None when neither exists)."""
    rows = session.scalars(select(m.BillingSetting).where(
        m.BillingSetting.carrier_id == policy.carrier_id,
        (m.BillingSetting.policy_id == policy.id) | m.BillingSetting.policy_id.is_(None))).all()
    as_model = lambda r: fees.BillingModel(r.fee_type, r.fee_amount_cents, r.fee_rate, r.setup_fee_cents or 0)  # noqa: E731
    default = next((as_model(r) for r in rows if r.policy_id is None), None)
    override = next((as_model(r) for r in rows if r.policy_id == policy.id), None)
    return fees.effective_model(default, override)


def payment_method_of(session: Session, policy: m.Policy) -> str:
    from paygo.billing.invoice import payment_method

    employer = session.get(m.Employer, policy.employer_id)
    company = session.get(m.PayrollCompany, employer.payroll_company_id)
    return payment_method(company.payment_method, employer.payment_method, policy.payment_method)


def issue(session: Session, *, kind: str, policy: m.Policy, run: m.PayrollRun | None, drafts: list[LineDraft],
          method: str, due: date, on: date, at: datetime, by: str, why: str, parties: InvoiceParties,
          reissue_of: m.Invoice | None = None, adjusts: m.Invoice | None = None,
          premium_line_ids: dict[tuple[str, str], int] | None = None) -> m.Invoice:
    """Insert an issued invoice with its lines, its history row and its ledger posting, all dated the
    business date `on` (`at` is the audit timestamp). A credit (negative total) lowers what the
    employer owes at once (`invoice_credited`); it is refunded only from money that settled
    (paygo.invoicing.credits)."""
    premium, fee, total = totals(drafts)
    number = invoice_number(next_value(session, "invoice"))
    inv = m.Invoice(number=number, kind=kind, status="issued", policy_id=policy.id, employer_id=policy.employer_id,
                    payroll_run_id=run.payroll_run_id if run else None, payroll_run_pk=run.id if run else None,
                    premium_cents=premium, employer_fee_cents=fee, total_cents=total, payment_method=method,
                    due_date=due, issued_at=at, issue_date=on, pdf_path=f"invoices/{number}.pdf",
                    reissue_of_id=reissue_of.id if reissue_of else None, adjusts_id=adjusts.id if adjusts else None)
    session.add(inv)
    session.flush()
    ids = premium_line_ids or {}
    session.add_all(
        m.InvoiceLine(invoice_id=inv.id, line_no=i, kind=d.kind, description=d.description, state=d.state,
                      class_code=d.class_code, auditable_cents=d.auditable_cents, net_rate=d.net_rate,
                      amount_cents=d.amount_cents,
                      premium_line_id=ids.get((d.state, d.class_code)) if d.kind == "premium" else None)
        for i, d in enumerate(drafts, start=1))
    status.record_issued(session, inv, on=on, by=by, why=why, at=at)
    session.flush()
    if total > 0:
        ledger.post(session, posting.invoice_issued(number, parties.employer_fein, parties.carrier_id, premium, fee, on))
    elif total < 0:
        ledger.post(session, posting.invoice_credited(number, parties.employer_fein, parties.carrier_id, -premium,
                                                      -fee, on))
    return inv


def void(session: Session, invoice: m.Invoice, *, on: date, at: datetime, by: str, why: str) -> None:
    """Void an invoice in no NACHA file (it keeps its number) and reverse what its issue posted."""
    status.record(session, invoice, "voided", on=on, by=by, why=why, at=at)
    for key in (f"invoice_issued:{invoice.number}", f"invoice_credited:{invoice.number}"):
        if session.scalar(select(func.count()).select_from(m.LedgerTransaction)
                          .where(m.LedgerTransaction.idempotency_key == key)):
            ledger.reverse(session, key, on, reason=f"void: {why}")


def charge_setup_fee(session: Session, policy: m.Policy, model: fees.BillingModel | None, on: date) -> bool:
    """Post the policy's one-time setup fee to its carrier once (idempotency key per policy)."""
    if model is None or model.setup_fee_cents <= 0:
        return False
    key = fees.setup_fee_key(policy.number)
    if session.scalar(select(func.count()).select_from(m.LedgerTransaction).where(
            m.LedgerTransaction.idempotency_key.in_([f"carrier_fee:{k}" for k in fees.setup_fee_keys(policy.number)]))):
        return False
    ledger.post(session, posting.carrier_fee(key, policy.carrier_id, model.setup_fee_cents,
                                             f"setup fee of policy {policy.number}", on))
    return True


def live_invoice(session: Session, policy_id: int, employer_id: int, payroll_run_id: str) -> m.Invoice | None:
    return session.scalar(select(m.Invoice).where(
        m.Invoice.kind == "invoice", m.Invoice.status != "void", m.Invoice.policy_id == policy_id,
        m.Invoice.employer_id == employer_id, m.Invoice.payroll_run_id == payroll_run_id))


def billed_drafts(session: Session, invoice: m.Invoice) -> list[LineDraft]:
    """What an invoice and its adjustments bill per (state, class) so far, as premium drafts."""
    ids = [invoice.id, *session.scalars(select(m.Invoice.id).where(m.Invoice.adjusts_id == invoice.id,
                                                                   m.Invoice.status != "void"))]
    rows = session.scalars(select(m.InvoiceLine).where(m.InvoiceLine.invoice_id.in_(ids),
                                                       m.InvoiceLine.kind != "fee")).all()
    summed: dict[tuple[str, str], list] = {}
    for r in rows:
        cur = summed.setdefault((r.state, r.class_code), [0, r.net_rate])
        cur[0] += r.amount_cents
    return [LineDraft("premium", "", cents, s, c, None, rate) for (s, c), (cents, rate) in summed.items()]


def list_invoices(session: Session, status: str | None = None) -> list[dict]:
    """Invoices as plain rows (numbers, parties, amounts), in number order."""
    q = (select(m.Invoice, m.Policy.number, m.Employer.fein, m.Employer.name)
         .join(m.Employer, m.Employer.id == m.Invoice.employer_id)
         .outerjoin(m.Policy, m.Policy.id == m.Invoice.policy_id).order_by(m.Invoice.number))
    if status:
        q = q.where(m.Invoice.status == status)
    return [
        {"number": inv.number, "kind": inv.kind, "status": inv.status, "policy_number": pol, "employer_fein": fein,
         "employer_name": name, "payroll_run_id": inv.payroll_run_id, "premium_cents": inv.premium_cents,
         "employer_fee_cents": inv.employer_fee_cents, "total_cents": inv.total_cents,
         "payment_method": inv.payment_method, "due_date": inv.due_date.isoformat(),
         "issue_date": (inv.issue_date or inv.issued_at.date()).isoformat(), "issued_at": inv.issued_at.isoformat(),
         "pdf_path": inv.pdf_path}
        for inv, pol, fein, name in session.execute(q)
    ]
