"""`paygo ingest` on SQLite and PostgreSQL: killed with SIGKILL after its commit and before its
PDFs, the re-run says "already ingested" and re-creates the missing PDFs from the database (files
derived from the database are re-creatable); a 10,000-character payroll_run_id is a row/column
error, so nothing is billed (it used to commit, then fail drawing the PDF).

Real processes: the child stops at the pause point `before_invoice_pdfs` (paygo.pause), the test
kills it (tests/kill_helpers.py), then runs `paygo ingest` again and reads the PDFs back (pypdf).
"""

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from kill_helpers import PAYGO, kill_at, run
from paygo.db import models as m
from paygo.db.crypto import AccountCipher
from paygo.db.session import make_engine
from paygo.reference import load_reference

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "paygo" / "sample_data" / "reference"
FIXTURES = ROOT / "tests" / "fixtures" / "payroll_db"


@pytest.fixture
def env(db_url, tmp_path):
    """The environment of a `paygo` process on a database holding the sample reference data."""
    key = Fernet.generate_key()
    engine = make_engine(db_url)
    with Session(engine) as session:
        load_reference(session, REFERENCE, AccountCipher([key]))
        session.commit()
    engine.dispose()
    return {"PAYGO_DATABASE_URL": db_url, "PAYGO_HOME": str(tmp_path / "home"), "PAYGO_ACCOUNT_KEY": key.decode()}


def ingest(name: str) -> list[str]:
    return [*PAYGO, "ingest", str(FIXTURES / name), "--company", "acme-payroll"]


def invoice_numbers(db_url: str) -> list[str]:
    engine = make_engine(db_url)
    with Session(engine) as session:
        numbers = list(session.scalars(select(m.Invoice.number).order_by(m.Invoice.number)))
    engine.dispose()
    return numbers


def pdf_text(path: Path) -> str:
    return "".join(page.extract_text() for page in PdfReader(path).pages)


def test_a_rerun_after_a_kill_between_commit_and_pdfs_recreates_them(env, db_url, tmp_path):
    invoices = tmp_path / "home" / "invoices"
    kill_at("before_invoice_pdfs", ingest("acme_2025-03-14.csv"), env)
    numbers = invoice_numbers(db_url)
    assert numbers == ["INV-000001", "INV-000002", "INV-000003"]  # committed
    assert not invoices.exists() or not any(invoices.iterdir())  # and no PDF written

    again = run(ingest("acme_2025-03-14.csv"), env)
    assert again.returncode == 0, again.stderr
    assert "already ingested" in again.stdout
    assert sorted(p.name for p in invoices.iterdir()) == [f"{n}.pdf" for n in numbers]
    for n in numbers:
        assert n in pdf_text(invoices / f"{n}.pdf")
    assert invoice_numbers(db_url) == numbers  # nothing billed twice


def test_a_killed_correction_gets_its_reissue_and_the_void_stamp_on_rerun(env, db_url, tmp_path):
    invoices = tmp_path / "home" / "invoices"
    first = run(ingest("acme_2025-03-14.csv"), env)
    assert first.returncode == 0, first.stderr
    assert "VOID" not in pdf_text(invoices / "INV-000001.pdf")
    kill_at("before_invoice_pdfs", ingest("acme_2025-03-14_correction.csv"), env)  # voids INV-000001
    assert "INV-000004" in invoice_numbers(db_url) and not (invoices / "INV-000004.pdf").exists()

    again = run(ingest("acme_2025-03-14_correction.csv"), env)
    assert again.returncode == 0 and "already ingested" in again.stdout, again.stdout + again.stderr
    assert "INV-000004" in pdf_text(invoices / "INV-000004.pdf")
    voided = pdf_text(invoices / "INV-000001.pdf")
    assert "VOID" in voided and "INV-000004" in voided  # re-rendered with its stamp and replacement


def test_a_10000_character_run_id_is_rejected_by_row_and_column(env, db_url, tmp_path):
    data = (FIXTURES / "acme_2025-03-14.csv").read_text().replace("BAK-0314", "R" * 10_000)
    path = tmp_path / "long_run_id.csv"
    path.write_text(data)
    done = run([*PAYGO, "ingest", str(path), "--company", "acme-payroll"], env)
    assert done.returncode == 1, done.stdout + done.stderr
    rows = data.splitlines()[1:]
    expected = [f"row {i}, payroll_run_id: payroll_run_id '{'R' * 40}...' (10000 characters) must be at most 128 characters"
                for i, line in enumerate(rows, start=1) if "R" * 10_000 in line]
    assert expected and [line.strip() for line in done.stdout.splitlines()[1:]] == expected
    assert invoice_numbers(db_url) == []
