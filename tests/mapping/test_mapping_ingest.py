"""Mappings and rosters in the database: loaded with the reference folder, chosen per file by the
uploading company's profiles, stored with each payroll file and printed on its invoices.

Pins: each sample layout ingested through its employer's profile bills the premium its canonical
twin prices to; the payroll file records `mapping_profile` (`id@version`) and the roster versions
used; the invoice PDF's source lines show them; a roster file on the company's home adds a
roster version (the same bytes again change nothing); a suggested (unconfirmed) profile is
refused at loading, naming its file.
"""

import shutil
from datetime import datetime, timezone

import pytest
from cryptography.fernet import Fernet
from pypdf import PdfReader
from sqlalchemy import select

from mapping_helpers import CASES, LAYOUTS, SAMPLES, sample_book
from paygo.billing.premium import price_payroll
from paygo.db import models as m
from paygo.db.crypto import AccountCipher
from paygo.ingest import ingest_payroll_file
from paygo.invoicing.pdfs import write_invoice_pdfs
from paygo.reference import ReferenceDataError, load_reference
from paygo.payroll.validate import validate_payroll_file

AT = datetime(2025, 6, 9, 12, 0, tzinfo=timezone.utc)
CIPHER = AccountCipher([Fernet.generate_key()])
COMPANY = {"bay-area-bakery-gusto": "acme-payroll", "silver-state-paychex": "acme-payroll",
           "keystone-adp-wc": "summit-payroll", "hoosier-adp-pay-data": "summit-payroll"}


@pytest.fixture
def reference(tmp_path):
    """The sample reference folder plus the layouts' profiles and roster."""
    folder = tmp_path / "reference"
    shutil.copytree(SAMPLES / "reference", folder)
    shutil.copytree(LAYOUTS / "mappings", folder / "mappings")
    shutil.copy(LAYOUTS / "roster.csv", folder / "roster.csv")
    return folder


@pytest.fixture
def mapped_db(db_session, reference):
    report = load_reference(db_session, reference, CIPHER)
    db_session.commit()
    assert report.created["mapping profiles"] == 4 and report.created["rosters"] == 3
    return db_session


def ingest(session, home, name, company):
    return ingest_payroll_file(session, (LAYOUTS / name).read_bytes(), company_id=company, original_name=name,
                               home=home, received_at=AT)


@pytest.mark.parametrize("profile, sample, twin", CASES)
def test_each_layout_is_billed_as_its_canonical_twin(mapped_db, tmp_path, profile, sample, twin):
    result = ingest(mapped_db, tmp_path, sample, COMPANY[profile])
    assert result.status == "accepted", result.errors
    expected = price_payroll(validate_payroll_file((LAYOUTS / twin).read_bytes(), sample_book()).rated_rows, None)
    assert result.total_premium_cents == expected.total_premium_cents
    pfile = mapped_db.scalar(select(m.PayrollFile).where(m.PayrollFile.sha256 == result.file_sha256))
    assert pfile.mapping_profile.startswith(f"{profile}@")
    uses_roster = profile != "keystone-adp-wc"  # the ADP WC report has its own state and class columns
    assert (pfile.roster_versions is not None) == uses_roster
    if uses_roster:
        assert "@v1" in pfile.roster_versions


def test_the_invoice_pdf_shows_the_profile_and_roster(mapped_db, tmp_path):
    result = ingest(mapped_db, tmp_path, "paychex_pay_data.csv", "acme-payroll")
    [pdf] = write_invoice_pdfs(mapped_db, tmp_path, result.invoices)
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    pfile = mapped_db.scalar(select(m.PayrollFile).where(m.PayrollFile.sha256 == result.file_sha256))
    assert "paychex_pay_data.csv" in text
    assert pfile.mapping_profile in text and "880123458@v1" in text


def test_a_canonical_file_of_a_company_with_profiles_stays_canonical(mapped_db, tmp_path):
    data = (SAMPLES / "payroll" / "acme_2025-06-06.csv").read_bytes()
    result = ingest_payroll_file(mapped_db, data, company_id="acme-payroll", original_name="acme_2025-06-06.csv",
                                 home=tmp_path, received_at=AT)
    assert result.status == "accepted", result.errors
    pfile = mapped_db.scalar(select(m.PayrollFile).where(m.PayrollFile.sha256 == result.file_sha256))
    assert pfile.mapping_profile.startswith("canonical@") and pfile.roster_versions is None


def test_a_rejected_mapped_file_names_the_company_columns_in_its_report(mapped_db, tmp_path):
    from paygo.payroll.reports import rejection_report

    bad = (LAYOUTS / "paychex_pay_data.csv").read_text().replace('"SSB-102"', '"SSB-999"')
    result = ingest_payroll_file(mapped_db, bad.encode(), company_id="acme-payroll",
                                 original_name="paychex_0606.csv", home=tmp_path, received_at=AT)
    assert result.status == "rejected"
    assert [(e.row, e.column_text) for e in result.errors] == [(4, "Worker ID (employee_id)")]
    report = rejection_report("paychex_0606.csv", result.file_sha256, result.errors)
    assert "4\tWorker ID (employee_id)\tSSB-999\temployee SSB-999 of employer 880123458 has no roster" in report
    pfile = mapped_db.scalar(select(m.PayrollFile).where(m.PayrollFile.sha256 == result.file_sha256))
    assert pfile.status == "rejected" and pfile.mapping_profile.startswith("silver-state-paychex@")


def test_a_roster_file_from_the_company_adds_a_version(mapped_db, tmp_path):
    roster = (LAYOUTS / "roster.csv").read_text().replace("880123458,SSB-007,2025-01-01,NV,8810,true",
                                                          "880123458,SSB-007,2025-01-01,NV,5645,true")
    result = ingest_payroll_file(mapped_db, roster.encode(), company_id="acme-payroll", original_name="roster.csv",
                                 home=tmp_path, received_at=AT)
    # Silver State's roster changed (v2); Bay Area Bakery's did not; Hoosier is summit's client
    assert (result.status, result.invoices) == ("rejected", ())
    assert "351234560 is not a client of acme-payroll" in result.errors[0].error
    own = "\n".join(ln for ln in roster.splitlines() if not ln.startswith("351234560"))
    result = ingest_payroll_file(mapped_db, own.encode(), company_id="acme-payroll", original_name="roster.csv",
                                 home=tmp_path, received_at=AT)
    assert (result.status, result.message) == ("accepted", "roster loaded: 880123458@v2; nothing billed")
    again = ingest_payroll_file(mapped_db, own.encode(), company_id="acme-payroll", original_name="roster.csv",
                                home=tmp_path, received_at=AT)
    assert again.status == "duplicate"
    billed = ingest(mapped_db, tmp_path, "paychex_pay_data.csv", "acme-payroll")
    pfile = mapped_db.scalar(select(m.PayrollFile).where(m.PayrollFile.sha256 == billed.file_sha256))
    assert pfile.roster_versions == "880123458@v2 946123457@v1"
    classes = {r.class_code for r in mapped_db.scalars(select(m.PremiumLine))}
    assert classes == {"5645"}  # SSB-007 is now 5645


def test_an_unconfirmed_profile_is_refused_at_loading(db_session, reference):
    path = reference / "mappings" / "silver-state-paychex.toml"
    path.write_text(path.read_text().replace('employer_fein = "880123458"', 'employer_fein = "880123458"\n'
                                                                            'confirmed = false'))
    with pytest.raises(ReferenceDataError) as info:
        load_reference(db_session, reference, CIPHER)
    assert "mappings/silver-state-paychex.toml: confirmed = false" in str(info.value)


def test_a_bad_profile_is_refused_with_its_line_and_key(db_session, reference):
    path = reference / "mappings" / "silver-state-paychex.toml"
    path.write_text(path.read_text() + '\n[columns]\n"Dept" = "department"\n')
    with pytest.raises(ReferenceDataError) as info:
        load_reference(db_session, reference, CIPHER)
    lines = path.read_text().splitlines()
    line = next(i for i, ln in enumerate(lines, 1) if ln.startswith('"Dept"'))
    assert f"mappings/silver-state-paychex.toml:{line}: columns.Dept: 'department' is not a canonical column" \
        in str(info.value)


def test_loading_the_same_folder_twice_changes_nothing(mapped_db, reference):
    report = load_reference(mapped_db, reference, CIPHER)
    assert "mapping profiles" not in report.created and "rosters" not in report.created
    assert "rosters" not in report.updated
