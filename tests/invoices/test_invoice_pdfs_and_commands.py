"""Invoice PDFs from the database (idempotent bytes, VOID re-render, last four only, stored remit bill) and the
`paygo ingest`, `paygo invoices`, `paygo report`, `paygo remit-bills` commands on a real SQLite database."""

import json
from datetime import date
import shutil
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pypdf import PdfReader
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))
from ingest_helpers import FIXTURES, REFERENCE, ingest  # noqa: E402  (the ingest tests' helpers)

from paygo.cli import main  # noqa: E402
from paygo.db.crypto import AccountCipher  # noqa: E402
from paygo.db.migrate import upgrade  # noqa: E402
from paygo.db.session import make_engine  # noqa: E402
from paygo.invoicing.pdfs import write_invoice_pdfs  # noqa: E402
from paygo.invoicing.remit import issue_remit_bills  # noqa: E402
from paygo.invoicing.report import report_rows  # noqa: E402
from paygo.reference import load_reference  # noqa: E402


@pytest.fixture
def session(tmp_path, sqlite_template):
    db = tmp_path / "paygo.db"
    shutil.copyfile(sqlite_template, db)
    engine = make_engine(f"sqlite:///{db}")
    s = Session(engine, expire_on_commit=False)
    load_reference(s, REFERENCE, AccountCipher([Fernet.generate_key()]))
    s.commit()
    yield s
    s.close()
    engine.dispose()


def text(path: Path) -> str:
    return "".join(p.extract_text() for p in PdfReader(path).pages)


def test_pdfs_are_idempotent_void_rerendered_and_show_last4(session, tmp_path):
    ingest(session, tmp_path, "acme_2025-03-14.csv")
    paths = write_invoice_pdfs(session, tmp_path)
    # no remit bill yet: March has not ended (bills are issued by `issue_remit_bills`, see test_remit_bills)
    assert [p.name for p in paths] == ["INV-000001.pdf", "INV-000002.pdf", "INV-000003.pdf"]
    first = {p: p.read_bytes() for p in paths}
    assert write_invoice_pdfs(session, tmp_path) == paths
    assert {p: p.read_bytes() for p in paths} == first  # same rows, same bytes
    inv1 = text(tmp_path / "invoices" / "INV-000001.pdf")
    assert "6789" in inv1 and "000123456789" not in inv1  # account 000123456789 shown by its last four
    assert "VOID" not in inv1
    ingest(session, tmp_path, "acme_2025-03-14_correction.csv")
    write_invoice_pdfs(session, tmp_path)
    voided = text(tmp_path / "invoices" / "INV-000001.pdf")
    assert "VOID" in voided and "INV-000004" in voided  # stamped, naming its replacement


def test_pdfs_for_given_numbers_only(session, tmp_path):
    ingest(session, tmp_path, "acme_2025-03-14.csv")
    # only INV-000001 (ACH) is drawn
    assert [p.name for p in write_invoice_pdfs(session, tmp_path, ["INV-000001"])] == ["INV-000001.pdf"]
    assert sorted(p.name for p in (tmp_path / "invoices").iterdir()) == ["INV-000001.pdf"]
    # INV-000002 is the remit invoice; its stored bill is drawn only when named (or when all are drawn)
    issue_remit_bills(session, today=date(2025, 4, 1))
    session.commit()
    names = [p.name for p in write_invoice_pdfs(session, tmp_path, ["INV-000002"])]
    assert names == ["INV-000002.pdf"]
    assert [p.name for p in write_invoice_pdfs(session, tmp_path, ["INV-000002", "REMIT-000001"])] == [
        "INV-000002.pdf", "REMIT-000001.pdf"]
    assert "INV-000002" in text(tmp_path / "invoices" / "REMIT-000001.pdf")  # TX remit invoice listed


def test_report_buckets_and_excludes_void(session, tmp_path):
    ingest(session, tmp_path, "acme_2025-03-14.csv")
    ingest(session, tmp_path, "acme_2025-03-14_correction.csv")  # voids INV-000001 (4050), reissues 3803
    rows = report_rows(session, "policy")
    # WC-CA-1001 only the live 3803; WC-NV-2001 296295; WC-TX-5001 500 (150 + 3.50 fee); all outstanding
    assert rows == [("WC-CA-1001", 3803, 0, 0, 3803, 1), ("WC-NV-2001", 296_295, 0, 0, 296_295, 1),
                    ("WC-TX-5001", 500, 0, 0, 500, 1)]
    assert report_rows(session, "period") == [("2025-03", 300_598, 0, 0, 300_598, 3)]  # 3803 + 296295 + 500


@pytest.fixture
def cli_database(tmp_path, monkeypatch):
    """A migrated SQLite database with the reference folder loaded, as the `paygo` commands see it."""
    db = tmp_path / "cli.db"
    upgrade(f"sqlite:///{db}")
    monkeypatch.setenv("PAYGO_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("PAYGO_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PAYGO_ACCOUNT_KEY", Fernet.generate_key().decode())
    assert main(["load-reference", str(REFERENCE)]) == 0


def test_commands_ingest_list_report(cli_database, tmp_path, capsys):
    payroll = str(FIXTURES / "acme_2025-03-14.csv")
    assert main(["ingest", payroll, "--company", "acme-payroll"]) == 0
    out = capsys.readouterr().out
    assert "3 invoice(s)" in out and (tmp_path / "home" / "invoices" / "INV-000003.pdf").exists()
    assert main(["ingest", payroll, "--company", "acme-payroll"]) == 0
    assert "already ingested" in capsys.readouterr().out
    assert main(["ingest", str(FIXTURES / "acme_bad_class.csv"), "--company", "acme-payroll"]) == 1
    assert "row 1, class_code" in capsys.readouterr().out
    assert main(["ingest", payroll, "--company", "nobody"]) == 0  # same bytes: duplicate before the company check
    assert "already ingested" in capsys.readouterr().out
    assert main(["invoices", "--status", "issued", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["number"] for r in listed] == ["INV-000001", "INV-000002", "INV-000003"]
    assert main(["report", "--by", "employer", "--out", str(tmp_path / "r.csv")]) == 0
    lines = (tmp_path / "r.csv").read_text().splitlines()
    assert lines[0] == "employer,outstanding_cents,processed_cents,failed_cents,total_cents,invoices"
    assert lines[1] == "741234561,500,0,0,500,1"  # FEINs in code-point order: 741..., 880..., 946...


def test_command_remit_bills_issues_once_after_month_end(cli_database, tmp_path, capsys):
    assert main(["ingest", str(FIXTURES / "acme_2025-03-14.csv"), "--company", "acme-payroll"]) == 0
    capsys.readouterr()
    assert main(["remit-bills", "--date", "2025-03-31"]) == 0  # March not ended
    assert "no remit bills to issue" in capsys.readouterr().out
    assert main(["remit-bills", "--date", "2025-04-01"]) == 0
    out = capsys.readouterr().out
    # Lone Star's 500-cent remit invoice; due 04-01 + 30 days = 05-01
    assert "REMIT-000001" in out and " 5.00  due" in out and "due 2025-05-01" in out and "1 remit bill(s) issued" in out
    assert "INV-000002" in text(tmp_path / "home" / "invoices" / "REMIT-000001.pdf")
    assert main(["remit-bills", "--date", "2025-04-02"]) == 0
    assert "no remit bills to issue" in capsys.readouterr().out
