"""Pins the `paygo report` command: the old totals form is unchanged; `aging`, `returns` and `wallets`
write CSV to stdout or `--out` and PDF to `--out` or PAYGO_HOME/reports/<report>-<date>.pdf; the PDFs
read back with their title, business date and totals in dollars; options of the other form are usage
errors (exit 2); and running reports changes nothing in the database."""

import csv
import io
from datetime import date, timedelta

import pytest
from cryptography.fernet import Fernet
from pypdf import PdfReader
from sqlalchemy import create_engine, text

from paygo.cli import main
from paygo.db.migrate import upgrade
from paygo.reports import render
from paygo.reports.aging import AgingReport, OpenItem, aging
from paygo.reports.csv_files import AGING_COLUMNS
from ingest_helpers import FIXTURES, REFERENCE


def pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def cli_db(tmp_path, monkeypatch) -> str:
    """A migrated SQLite database with the reference folder and acme_2025-03-14.csv ingested on 2025-03-15:
    INV-000001 4,050 and INV-000003 296,295 (ACH, due 2025-03-15), INV-000002 500 (remit, due 2025-04-30)."""
    db = tmp_path / "cli.db"
    upgrade(f"sqlite:///{db}")
    monkeypatch.setenv("PAYGO_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("PAYGO_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PAYGO_ACCOUNT_KEY", Fernet.generate_key().decode())
    assert main(["load-reference", str(REFERENCE)]) == 0
    assert main(["ingest", str(FIXTURES / "acme_2025-03-14.csv"), "--company", "acme-payroll",
                 "--date", "2025-03-15"]) == 0
    return f"sqlite:///{db}"


def table_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as c:
        names = [r[0] for r in c.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))]
        out = {n: c.execute(text(f'SELECT count(*) FROM "{n}"')).scalar() for n in names}
    engine.dispose()
    return out


def test_aging_csv_and_pdf(cli_db, tmp_path, capsys):
    before = table_counts(cli_db)
    capsys.readouterr()
    assert main(["report", "aging", "--date", "2025-05-05"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert tuple(rows[0]) == AGING_COLUMNS
    total = next(r for r in rows if r["level"] == "total")
    # 51 days past due for the ACH invoices; the remit one 5 days (March's bill is not issued yet)
    assert (total["days_31_60"], total["days_31_60_cents"], total["days_1_30_cents"]) == ("3003.45", "300345", "500")
    assert (total["total"], total["total_cents"], total["invoices"], total["as_of"]) == (
        "3008.45", "300845", "3", "2025-05-05")
    bay = next(r for r in rows if r["level"] == "employer" and r["employer_fein"] == "94-6123457")
    assert (bay["employer_name"], bay["payroll_company_id"], bay["days_31_60"]) == (
        "Bay Area Bakery Inc", "acme-payroll", "40.50")

    out = tmp_path / "aging.pdf"
    assert main(["report", "aging", "--date", "2025-05-05", "--format", "pdf", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {out}"
    page = pdf_text(out.read_bytes())
    assert "RECEIVABLES AGING" in page and "May 5, 2025" in page
    assert "$3,008.45" in page and "$3,003.45" in page and "$5.00" in page and "94-6123457" in page
    assert "6789" not in page  # Bay Area Bakery's account 000123456789: not even its last four
    assert table_counts(cli_db) == before  # a report writes nothing


def test_returns_and_wallets_pdf_default_to_paygo_home(cli_db, tmp_path, capsys):
    capsys.readouterr()
    assert main(["report", "returns", "--date", "2025-05-05", "--format", "pdf"]) == 0
    path = tmp_path / "home" / "reports" / "returns-2025-05-05.pdf"
    assert capsys.readouterr().out.strip() == f"wrote {path}"
    page = pdf_text(path.read_bytes())
    assert "ACH RETURNS" in page and "No return or NOC applied." in page and "No exception." in page
    assert main(["report", "wallets", "--date", "2025-05-05", "--since", "2025-03", "--format", "pdf"]) == 0
    page = pdf_text((tmp_path / "home" / "reports" / "wallets-2025-05-05.pdf").read_bytes())
    assert "CARRIER WALLET MOVEMENTS" in page and "Granite Mutual Insurance Co" in page and "No movement." in page


def test_old_totals_form_is_unchanged(cli_db, tmp_path, capsys):
    assert main(["report", "--by", "employer", "--out", str(tmp_path / "r.csv")]) == 0
    assert (tmp_path / "r.csv").read_text().splitlines()[:2] == [
        "employer,outstanding_cents,processed_cents,failed_cents,total_cents,invoices", "741234561,500,0,0,500,1"]
    capsys.readouterr()
    assert main(["report", "totals"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "2025-03,300845,0,0,300845,3"


@pytest.mark.parametrize("argv, message", [
    (["report", "aging", "--by", "employer"], "--by: only for the totals report"),
    (["report", "--format", "pdf"], "--format: only for aging, returns or wallets"),
    (["report", "--by", "policy", "--date", "2025-05-05"], "--date: only for aging, returns or wallets"),
    (["report", "aging", "--since", "2025-03"], "--since: only for the wallets report"),
    (["report", "wallets", "--since", "March"], "--since 'March': expected YYYY-MM"),
])
def test_usage_errors(cli_db, capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_many_employers_flow_onto_more_pages_with_the_total_last():
    """A long aging table repeats its header on every page and ends with the bucket totals row."""
    items = [OpenItem(f"INV-{n:06d}", f"{100000000 + n}", f"Employer {n:03d}", "acme-payroll", "Acme Payroll",
                      date(2025, 6, 30) - timedelta(days=n), 10_000 + n)
             for n in range(120)]
    report: AgingReport = aging(items, date(2025, 6, 30))
    reader = PdfReader(io.BytesIO(render(report, "aging", "pdf")))
    assert len(reader.pages) >= 3
    assert all("Over 90" in p.extract_text() for p in reader.pages)  # the header repeats
    last = reader.pages[-1].extract_text()
    assert f"Page {len(reader.pages)} of {len(reader.pages)}" in last
    assert "$12,071.40" in last  # 120 x 10,000 + (0 + 1 + ... + 119) = 1,207,140 cents
