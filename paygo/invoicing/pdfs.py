"""Invoice PDFs written from the database after the commit: PAYGO_HOME/invoices/<number>.pdf.

Rule: the PDF is a rendering of committed rows, so it is written after the transaction and
idempotently: the same rows give the same bytes (reportlab invariant mode), and a file whose
bytes already match is left alone. A void invoice is re-rendered with its VOID stamp and the
number of the invoice that replaces it. Consolidated remit bills are drawn from their stored rows
(`paygo.invoicing.remit`, REMIT-000001.pdf), so an issued bill's bytes never change. Bank accounts
appear as their last four digits only (the rows hold nothing more in clear).
Example: INV-000001 issued for 2,715 cents -> invoices/INV-000001.pdf; after a correction voids
it, the same path holds the VOID rendering and INV-000002.pdf the reissue.

The files are derived from the database and re-created from it: a process killed after its commit
and before its PDFs (whose re-run finds the payroll file already ingested) leaves invoices without
a file, and `repair_missing_pdfs`, which every `paygo ingest` and the Dagster invoice assets run,
writes them (and re-renders the invoice a missing reissue voided, whose VOID rendering the same
crash may have missed); `missing_pdfs` is what the asset check "every issued invoice has its PDF"
reports. Example: INV-000003 committed, the process killed, invoices/INV-000003.pdf absent ->
repair_missing_pdfs(session, home) == ["INV-000003"], and the file reads back with its number.
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
from paygo.pause import pause_point

STATUS = {"issued": "issued", "scheduled": "scheduled", "in_flight": "scheduled", "paid": "paid",
          "failed": "failed", "void": "void", "netted": "netted"}


def _write(path: Path, data: bytes) -> bool:
    """Write `data` at `path` (temp file + rename); False when the file already holds it."""
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


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
        invoice_number=inv.number, kind=inv.kind, status=status, issue_date=inv.issue_date or inv.issued_at.date(),
        due_date=inv.due_date, payroll_company=company.name, total_cents=inv.total_cents, payment=payment,
        carrier_name=carrier.name, employer=d.Employer(employer.name, employer.fein), policy_number=policy.number,
        payroll_run=d.PayrollRun(run.payroll_run_id, run.run_type, run.pay_date, run.period_start, run.period_end),
        source_file=d.SourceFile(pfile.original_name, pfile.sha256, pfile.mapping_profile, pfile.roster_versions), lines=lines, fee_lines=fee_lines,
        adjustment=adjustment, replaced_by=replaced_by)


def write_invoice_pdfs(session: Session, home: Path, numbers: Iterable[str] | None = None) -> list[Path]:
    """Render invoices and stored consolidated remit bills under home/invoices; same rows, same bytes.

    `numbers`: only these invoices and bills (those a batch just created or voided, the bills
    `issue_remit_bills` just issued); None renders every invoice and bill."""
    pause_point("before_invoice_pdfs")  # tests: a kill after the commit, before any PDF
    return [path for _, path, _ in _render(session, Path(home), numbers)]


PDF_KINDS = ("invoice", "adjustment")  # the invoices that have a document (every status, void included)
CHUNK = 500  # numbers per IN (...) query: SQLite and PostgreSQL cap the parameters of one statement


def _render(session: Session, home: Path, numbers: Iterable[str] | None) -> list[tuple[str, Path, bool]]:
    """(number, path, written) of each document rendered, in number order (invoices, then bills);
    written is False when the file already held the bytes."""
    if numbers is None:
        chunks = [None]
    else:
        wanted = sorted(set(numbers))
        chunks = [wanted[i:i + CHUNK] for i in range(0, len(wanted), CHUNK)]
    invoices, bills = [], []
    for chunk in chunks:
        query = select(m.Invoice).where(m.Invoice.kind.in_(PDF_KINDS))
        bill_query = select(m.RemitBill)
        if chunk is not None:
            query = query.where(m.Invoice.number.in_(chunk))
            bill_query = bill_query.where(m.RemitBill.number.in_(chunk))
        for inv in session.scalars(query.order_by(m.Invoice.number)):
            doc = invoice_document(session, inv)
            if doc is not None:
                path = home / _pdf_path(inv.number, inv.pdf_path)
                invoices.append((inv.number, path, _write(path, d.render_invoice_pdf(doc))))
        for bill in session.scalars(bill_query.order_by(m.RemitBill.number)):
            path = home / _pdf_path(bill.number, bill.pdf_path)
            bills.append((bill.number, path, _write(path, d.render_invoice_pdf(remit_bill_document(session, bill)))))
    return invoices + bills


def _pdf_path(number: str, pdf_path: str | None) -> str:
    return pdf_path or f"invoices/{number}.pdf"


def _absent(home: Path, rows: Iterable[tuple[str, str | None]]) -> list[str]:
    """The numbers whose file is not on disk: one listing per folder, not one stat per file."""
    present: dict[Path, set[str]] = {}
    absent = []
    for number, pdf_path in rows:
        path = home / _pdf_path(number, pdf_path)
        if path.parent not in present:
            try:
                with os.scandir(path.parent) as entries:
                    present[path.parent] = {e.name for e in entries if e.is_file()}
            except FileNotFoundError:
                present[path.parent] = set()
        if path.name not in present[path.parent]:
            absent.append(number)
    return absent


def _absent_files(session: Session, home: Path) -> tuple[list[str], list[str]]:
    """(invoice numbers, remit bill numbers) whose file is not on disk, each in number order."""
    invoices = session.execute(select(m.Invoice.number, m.Invoice.pdf_path)
                               .where(m.Invoice.kind.in_(PDF_KINDS)).order_by(m.Invoice.number)).all()
    bills = session.execute(select(m.RemitBill.number, m.RemitBill.pdf_path).order_by(m.RemitBill.number)).all()
    return _absent(home, invoices), _absent(home, bills)


def missing_pdfs(session: Session, home: Path) -> list[str]:
    """Numbers of the invoices (every status) and stored remit bills whose PDF file is missing.

    An adjustment that corrected a run to nothing for its policy has no document and is not
    counted (its credit is in the ledger and the invoice list)."""
    invoices, bills = _absent_files(session, Path(home))
    # Rare: build the documents only to tell an adjustment that has none apart.
    documented = set()
    for i in range(0, len(invoices), CHUNK):
        documented |= {inv.number for inv in session.scalars(
            select(m.Invoice).where(m.Invoice.number.in_(invoices[i:i + CHUNK])))
            if invoice_document(session, inv) is not None}
    invoices = [n for n in invoices if n in documented]
    return invoices + bills


def repair_missing_pdfs(session: Session, home: Path) -> list[str]:
    """Write the PDF of every invoice and stored remit bill whose file is missing; the numbers written.

    A missing reissue also re-renders the invoice it replaced: the crash that lost the reissue's
    file may have lost the VOID rendering of the invoice it voids (the file is rewritten only if
    its bytes differ). Nothing missing costs one query and one folder listing."""
    home = Path(home)
    invoices, bills = _absent_files(session, home)
    if not invoices and not bills:
        return []
    voided = []
    for i in range(0, len(invoices), CHUNK):
        reissues = select(m.Invoice.reissue_of_id).where(m.Invoice.number.in_(invoices[i:i + CHUNK]),
                                                         m.Invoice.reissue_of_id.is_not(None))
        voided += session.scalars(select(m.Invoice.number).where(m.Invoice.id.in_(reissues))).all()
    return sorted(number for number, _, written in _render(session, home, [*invoices, *voided, *bills]) if written)
