"""The Dagster metadata of `payroll_file_lines` shows the mapping profile and roster of each file,
and its error table names the company's column with the canonical one beside it."""

from assets.ingest import validation_metadata
from mapping_helpers import LAYOUTS, employer_profile, sample_book, sample_roster
from paygo.payroll.validate import validate_mapped_file, validate_payroll_file


def test_read_with_and_company_columns_in_metadata():
    good = validate_mapped_file((LAYOUTS / "paychex_pay_data.csv").read_bytes(),
                                employer_profile("silver-state-paychex"), sample_book(), roster=sample_roster(),
                                roster_versions="880123458@v1")
    bad_bytes = (LAYOUTS / "paychex_pay_data.csv").read_text().replace('"SSB-101"', '"SSB-999"').encode()
    bad = validate_mapped_file(bad_bytes, employer_profile("silver-state-paychex"), sample_book(),
                               roster=sample_roster(), roster_versions="880123458@v1")
    canonical = validate_payroll_file((LAYOUTS / "paychex_pay_data.canonical.csv").read_bytes(), sample_book())
    meta = validation_metadata({"acme-payroll/px.csv": good, "acme-payroll/bad.csv": bad,
                                "acme-payroll/c.csv": canonical})
    table = meta["read_with"].value
    assert f"| acme-payroll/px.csv | {good.mapping} | 880123458@v1 |" in table
    assert "| acme-payroll/c.csv | canonical |  |" in table
    assert "| Worker ID (employee_id) | SSB-999 |" in meta["errors"].value
