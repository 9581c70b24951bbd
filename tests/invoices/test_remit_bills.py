"""Consolidated remit bills stored as rows (issue 4), on SQLite and PostgreSQL.

Pins `paygo.invoicing.remit`: a company's remit invoices are billed once the month of their pay
dates has ended (not before), on one numbered bill whose total is the sum of its invoices, due 30
days after issue; issuing again issues nothing; an invoice arriving for a month already billed goes
on a supplementary bill (sequence 2, a new number) while the issued bill, its rows and its PDF bytes
stay exactly as they were; `paygo remit-bills` issues and draws them. Also the pure grouping rule.
"""

import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pypdf import PdfReader
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))
from ingest_helpers import REFERENCE, ingest  # noqa: E402  (the ingest tests' helpers)

from paygo.db import models as m  # noqa: E402
from paygo.db.crypto import AccountCipher  # noqa: E402
from paygo.ingest import ingest_payroll_file  # noqa: E402
from paygo.invoicing.pdfs import write_invoice_pdfs  # noqa: E402
from paygo.invoicing.remit import Unbilled, issue_remit_bills, plan_remit_bills  # noqa: E402
from paygo.reference import load_reference  # noqa: E402

HEADER = ("employer_fein,policy_number,payroll_run_id,run_type,pay_date,period_start,period_end,employee_id,"
          "is_officer,state,class_code,regular_pay,overtime_pay\n")


def lone_star_run(run_id: str, pay_date: str, period_start: str) -> bytes:
    """A Lone Star (remit, WC-TX-5001) run of 1,000.00 in TX 8810, like the one in acme_2025-03-14.csv."""
    return (HEADER + f"741234561,WC-TX-5001,{run_id},regular,{pay_date},{period_start},{pay_date},T300,false,"
            "TX,8810,1000.00,\n").encode()


def ingest_bytes(session, home, name: str, data: bytes):
    result = ingest_payroll_file(session, data, company_id="acme-payroll", original_name=name, home=home,
                                 received_at=datetime(2025, 4, 2, 12, 0, tzinfo=timezone.utc))
    session.commit()
    assert result.status == "accepted", result.message
    return result


@pytest.fixture
def session(db_session):
    load_reference(db_session, REFERENCE, AccountCipher([Fernet.generate_key()]))
    db_session.commit()
    return db_session


def bill(session, number: str) -> m.RemitBill:
    return session.scalar(select(m.RemitBill).where(m.RemitBill.number == number))


def billed_invoices(session, b: m.RemitBill) -> list[tuple[str, int]]:
    return [(i.number, i.total_cents) for i in session.scalars(
        select(m.Invoice).where(m.Invoice.remit_bill_id == b.id).order_by(m.Invoice.number))]


def text(path: Path) -> str:
    return "".join(p.extract_text() for p in PdfReader(path).pages)


def test_bill_after_month_end_only_then_idempotent_then_supplementary(session, tmp_path):
    ingest(session, tmp_path, "acme_2025-03-14.csv")  # INV-000002: Lone Star, remit, pay date 03-14, 500 cents
    session.commit()
    # March has not ended on 03-31: nothing to bill
    assert issue_remit_bills(session, today=date(2025, 3, 31)) == []
    assert issue_remit_bills(session, today=date(2025, 4, 1)) == ["REMIT-000001"]
    session.commit()
    first = bill(session, "REMIT-000001")
    # one remit invoice of 500 cents (150 premium + 350 cycle fee); due 04-01 + 30 days = 05-01
    assert billed_invoices(session, first) == [("INV-000002", 500)]
    assert (first.payroll_company_id, first.period_start, first.period_end, first.sequence) == (
        "acme-payroll", date(2025, 3, 1), date(2025, 3, 31), 1)
    assert (first.total_cents, first.due_date, first.status) == (500, date(2025, 5, 1), "issued")
    # idempotent: every remit invoice is on a bill already
    assert issue_remit_bills(session, today=date(2025, 4, 1)) == []
    assert issue_remit_bills(session, today=date(2025, 4, 2)) == []

    pdfs = write_invoice_pdfs(session, tmp_path, ["REMIT-000001"])
    assert [p.name for p in pdfs] == ["REMIT-000001.pdf"]
    before = pdfs[0].read_bytes()
    assert "INV-000002" in text(pdfs[0]) and "CONSOLIDATED REMIT BILL" in text(pdfs[0])

    # a late March run (pay date 03-28) and an April run arrive on 04-02
    late = ingest_bytes(session, tmp_path, "late.csv", lone_star_run("LSS-0328", "2025-03-28", "2025-03-15"))
    april = ingest_bytes(session, tmp_path, "april.csv", lone_star_run("LSS-0404", "2025-04-04", "2025-03-29"))
    # on 04-03 only March has ended, so only the late invoice is billed
    assert issue_remit_bills(session, today=date(2025, 4, 3)) == ["REMIT-000002"]
    session.commit()
    supplementary = bill(session, "REMIT-000002")
    assert billed_invoices(session, supplementary) == [(late.invoices[0], 500)]  # same 1,000.00 run: 500 cents
    assert (supplementary.period_start, supplementary.sequence, supplementary.total_cents, supplementary.due_date) == (
        date(2025, 3, 1), 2, 500, date(2025, 5, 3))  # 04-03 + 30 days
    # the issued bill is untouched: same invoices, same total, same PDF bytes
    session.expire_all()
    first = bill(session, "REMIT-000001")
    assert billed_invoices(session, first) == [("INV-000002", 500)] and first.total_cents == 500
    write_invoice_pdfs(session, tmp_path)
    assert (tmp_path / "invoices" / "REMIT-000001.pdf").read_bytes() == before
    assert late.invoices[0] in text(tmp_path / "invoices" / "REMIT-000002.pdf")
    # April bills once April has ended (on 05-01), with the next number
    assert issue_remit_bills(session, today=date(2025, 4, 30)) == []
    assert issue_remit_bills(session, today=date(2025, 5, 1)) == ["REMIT-000003"]
    session.commit()
    assert billed_invoices(session, bill(session, "REMIT-000003")) == [(april.invoices[0], 500)]
    numbers = session.scalars(select(m.RemitBill.number).order_by(m.RemitBill.number)).all()
    assert numbers == ["REMIT-000001", "REMIT-000002", "REMIT-000003"]  # unique, never reused


def test_voided_remit_invoices_are_not_billed_and_ach_invoices_never(session, tmp_path):
    ingest(session, tmp_path, "acme_2025-03-14.csv")  # INV-000001 and -3 ach_debit, INV-000002 remit
    session.scalar(select(m.Invoice).where(m.Invoice.number == "INV-000002")).status = "void"
    session.commit()
    assert issue_remit_bills(session, today=date(2025, 4, 1)) == []
    assert session.scalars(select(m.Invoice.remit_bill_id).where(m.Invoice.remit_bill_id.is_not(None))).all() == []


def test_a_bill_number_is_unique_in_the_database(session, tmp_path):
    ingest(session, tmp_path, "acme_2025-03-14.csv")
    session.commit()
    issue_remit_bills(session, today=date(2025, 4, 1))
    session.commit()
    first = bill(session, "REMIT-000001")
    session.add(m.RemitBill(number="REMIT-000001", payroll_company_id="acme-payroll", period_start=date(2025, 3, 1),
                            period_end=date(2025, 3, 31), sequence=2, issued_at=first.issued_at,
                            due_date=date(2025, 5, 1), total_cents=0, status="issued"))
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        session.flush()
    session.rollback()


U = Unbilled
PLAN_CASES = [
    # (unbilled, today, expected [(company, period_start, invoice ids, total)])
    # March ends 03-31: not billable on 03-31, billable on 04-01
    ([U(1, "acme", date(2025, 3, 14), 500)], date(2025, 3, 31), []),
    ([U(1, "acme", date(2025, 3, 14), 500)], date(2025, 4, 1), [("acme", date(2025, 3, 1), (1,), 500)]),
    # two companies, two months; April not ended on 04-15; 500 + 1200 = 1700 for acme's March
    ([U(3, "acme", date(2025, 3, 28), 1200), U(1, "acme", date(2025, 3, 14), 500),
      U(2, "summit", date(2025, 3, 7), -300), U(4, "acme", date(2025, 4, 4), 900)], date(2025, 4, 15),
     [("acme", date(2025, 3, 1), (1, 3), 1700), ("summit", date(2025, 3, 1), (2,), -300)]),
    # leap February ends 02-29
    ([U(5, "acme", date(2024, 2, 29), 10)], date(2024, 3, 1), [("acme", date(2024, 2, 1), (5,), 10)]),
]


@pytest.mark.parametrize("unbilled, today, expected", PLAN_CASES)
def test_plan_groups_by_company_and_ended_month(unbilled, today, expected):
    plans = plan_remit_bills(unbilled, today)
    assert [(p.payroll_company_id, p.period_start, p.invoice_ids, p.total_cents) for p in plans] == expected
