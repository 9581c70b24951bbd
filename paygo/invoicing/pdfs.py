"""Invoice PDFs written from the database after the commit: PAYGO_HOME/invoices/<number>.pdf.

Rule: the PDF is a rendering of committed rows, so it is written after the transaction and
idempotently: the same rows give the same bytes (reportlab invariant mode), and a file whose
bytes already match is left alone. A void invoice is re-rendered with its VOID stamp and the
number of the invoice that replaces it. Consolidated remit bills are drawn from their stored rows
(`paygo.invoicing.remit`, REMIT-000001.pdf), so an issued bill's bytes never change. Bank accounts
appear as their last four digits only (the rows hold nothing more in clear).
Example: INV-000001 issued for 2,715 cents -> invoices/INV-000001.pdf; after a correction voids
it, the same path holds the VOID rendering and INV-000002.pdf the reissue.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from paygo import documents as d
from paygo.db import models as m
from paygo.invoicing.remit import remit_bill_document

STATUS = {"issued": "issued", "scheduled": "scheduled", "in_flight": "scheduled", "paid": "paid",
          "failed": "failed", "void": "void"}


def _write(path: Path, data: bytes) -> None:
    if path.exists() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _payment(session: Session, inv: m.Invoice, employer: m.Employer) -> d.Payment:
    if inv.payment_method == "remit":
        return d.Payment(d.PaymentMethod.REMIT)
    debit = session.scalar(select(m.AchEntry.effective_date).where(m.AchEntry.invoice_id == inv.id)
                           .order_by(m.AchEntry.presentment.desc()).limit(1))
    return d.Payment(d.PaymentMethod.ACH_DEBIT, employer.bank_account_type, employer.bank_account_last4, debit)


def invoice_document(session: Session, inv: m.Invoice) -> d.InvoiceDocument | None:
    """The document of an employer invoice or adjustment (None when there is nothing to print)."""
    employer = session.get(m.Employer, inv.employer_id)
    policy = session.get(m.Policy, inv.policy_id)
    run = session.get(m.PayrollRun, inv.payroll_run_pk)
    pfile = session.get(m.PayrollFile, run.payroll_file_id)
    company = session.get(m.PayrollCompany, employer.payroll_company_id)
    carrier = session.get(m.Carrier, policy.carrier_id)
    payment = _payment(session, inv, employer)
    status = STATUS[inv.status]
    if status == "scheduled" and payment.debit_date is None:
        status = "issued"
    replaced_by = None
    if inv.status == "void":
        replaced_by = session.scalar(select(m.Invoice.number).where(m.Invoice.reissue_of_id == inv.id))
    lines_of = lambda invoice_id, kind: session.scalars(select(m.InvoiceLine).where(  # noqa: E731
        m.InvoiceLine.invoice_id == invoice_id, m.InvoiceLine.kind == kind).order_by(m.InvoiceLine.line_no)).all()
    adjustment = None
    if inv.kind == "adjustment":
        plines = session.scalars(select(m.PremiumLine).where(m.PremiumLine.payroll_run_pk == run.id,
                                                             m.PremiumLine.policy_id == policy.id)
                                 .order_by(m.PremiumLine.state, m.PremiumLine.class_code)).all()
        lines = tuple(d.PremiumLine(p.state, p.class_code, p.auditable_cents, p.net_rate, p.premium_cents)
                      for p in plines)
        fee_lines = tuple(d.FeeLine(f.description, f.amount_cents) for f in lines_of(inv.adjusts_id, "fee"))
        if not lines:
            return None  # a run corrected to nothing for this policy: the credit is in the ledger and the list
        new_total = sum(x.premium_cents for x in lines) + sum(f.amount_cents for f in fee_lines)
        original = session.get(m.Invoice, inv.adjusts_id)
        adjustment = d.Adjustment(original.number, new_total - inv.total_cents, new_total)
    else:
        lines = tuple(d.PremiumLine(x.state, x.class_code, x.auditable_cents or 0, x.net_rate, x.amount_cents)
                      for x in lines_of(inv.id, "premium"))
        fee_lines = tuple(d.FeeLine(f.description, f.amount_cents) for f in lines_of(inv.id, "fee"))
    return d.InvoiceDocument(
        invoice_number=inv.number, kind=inv.kind, status=status, issue_date=inv.issued_at.date(),
        due_date=inv.due_date, payroll_company=company.name, total_cents=inv.total_cents, payment=payment,
        carrier_name=carrier.name, employer=d.Employer(employer.name, employer.fein), policy_number=policy.number,
        payroll_run=d.PayrollRun(run.payroll_run_id, run.run_type, run.pay_date, run.period_start, run.period_end),
        source_file=d.SourceFile(pfile.original_name, pfile.sha256), lines=lines, fee_lines=fee_lines,
        adjustment=adjustment, replaced_by=replaced_by)


def write_invoice_pdfs(session: Session, home: Path, numbers: Iterable[str] | None = None) -> list[Path]:
    """Render invoices and stored consolidated remit bills under home/invoices; same rows, same bytes.

    `numbers`: only these invoices and bills (those a batch just created or voided, the bills
    `issue_remit_bills` just issued); None renders every invoice and bill (`paygo ingest`)."""
    home = Path(home)
    paths = []
    query = select(m.Invoice).where(m.Invoice.kind.in_(("invoice", "adjustment")))
    bills = select(m.RemitBill)
    if numbers is not None:
        wanted = sorted(set(numbers))
        if not wanted:
            return []
        query = query.where(m.Invoice.number.in_(wanted))
        bills = bills.where(m.RemitBill.number.in_(wanted))
    for inv in session.scalars(query.order_by(m.Invoice.number)):
        doc = invoice_document(session, inv)
        if doc is None:
            continue
        path = home / (inv.pdf_path or f"invoices/{inv.number}.pdf")
        _write(path, d.render_invoice_pdf(doc))
        paths.append(path)
    for bill in session.scalars(bills.order_by(m.RemitBill.number)):
        path = home / (bill.pdf_path or f"invoices/{bill.number}.pdf")
        _write(path, d.render_invoice_pdf(remit_bill_document(session, bill)))
        paths.append(path)
    return paths
