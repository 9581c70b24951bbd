"""Helpers of the ingest tests: the sample reference folder, payroll fixtures, ingest and row counts."""

from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, select

from paygo.db import models as m
from paygo.ingest import ingest_payroll_file

REFERENCE = Path(__file__).resolve().parents[2] / "paygo" / "sample_data" / "reference"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "payroll_db"
AT = datetime(2025, 3, 15, 12, 0, tzinfo=timezone.utc)
TABLES = (m.PayrollFile, m.PayrollRun, m.PremiumLine, m.EmployeeYtdWage, m.Invoice, m.InvoiceLine,
          m.InvoiceStatusChange, m.LedgerTransaction, m.LedgerEntry, m.Notification, m.Counter)




def ingest(session, home: Path, name: str, company: str = "acme-payroll", **kw):
    data = (FIXTURES / name).read_bytes()
    return ingest_payroll_file(session, data, company_id=company, original_name=name, home=home,
                               received_at=kw.pop("at", AT), **kw)


def counts(session) -> dict[str, int]:
    out = {t.__tablename__: session.scalar(select(func.count()).select_from(t)) for t in TABLES}
    out["invoice_counter"] = session.scalar(select(m.Counter.last_value).where(m.Counter.name == "invoice"))
    return out
