"""`paygo mapping suggest`: aliases first, then rapidfuzz above the threshold; every proposal with
its score and samples; the written profile loads but says `confirmed = false`, so nothing is
billed from it until a person confirms it."""

import pytest

from mapping_helpers import LAYOUTS, sample_book, sample_roster
from paygo.billing.premium import price_payroll
from paygo.cli import main
from paygo.payroll.profile import parse_profile
from paygo.payroll.suggest import suggest_profile
from paygo.payroll.validate import validate_mapped_file, validate_payroll_file


@pytest.mark.parametrize("sample, sheet, layout, expected", [
    ("paychex_pay_data.csv", None, "long", {"Worker ID": "employee_id", "Start": "period_start", "End": "period_end"}),
    ("gusto_payroll_journal.csv", None, "wide", {"Employee ID": "employee_id", "Regular (Amount)": "regular_pay",
                                                 "Paycheck Tips": "tips"}),
    ("adp_pay_data.csv", None, "pairs", {"File #": "employee_id", "Reg Earnings": "regular_pay"}),
    ("adp_wc_report.xlsx", "WC Report", "wide", {"COMP CODE": "class_code", "OT EXCESS": "overtime_premium"}),
])
def test_suggestions_for_the_sample_layouts(sample, sheet, layout, expected):
    found = suggest_profile((LAYOUTS / sample).read_bytes(), sample, "acme-payroll", sheet)
    assert found.layout == layout
    proposed = {p.header: p.canonical for p in found.columns}
    assert {h: proposed[h] for h in expected} == expected
    profile = parse_profile(found.profile_toml, "suggested.toml")  # what it writes is a valid profile
    assert profile.confirmed is False and profile.company == "acme-payroll"


def test_fuzzy_matches_show_their_score_and_samples():
    data = b"Employe Numbr,Rate,Comp Cd\nE1,21.00,8810\nE2,19.50,8810\n"
    found = suggest_profile(data, "new.csv")
    by_header = {p.header: p for p in found.columns}
    assert (by_header["Employe Numbr"].canonical, by_header["Employe Numbr"].how) == ("employee_id", "fuzzy")
    assert 85 <= by_header["Employe Numbr"].score < 100
    assert by_header["Employe Numbr"].samples == ("E1", "E2")
    assert by_header["Rate"].canonical is None  # nothing at 85 or above: left for the person


def test_a_confirmed_suggestion_prices_like_the_canonical_twin():
    """A data-ops person completes the suggestion for Paychex and the file bills to the cent."""
    text = suggest_profile((LAYOUTS / "paychex_pay_data.csv").read_bytes(), "paychex_pay_data.csv",
                           "acme-payroll").profile_toml
    text = text.replace("confirmed = false", 'confirmed = true\nignore = ["Rate", "Hours"]').replace(
        '"Rate" = ', '# "Rate" = ').replace('negatives = "none"', 'negatives = "minus"')
    text = text.replace("[fixed]\n", '[fixed]\npolicy_number = "WC-NV-2001"\n[derived]\npay_date = "{period_end}"\n'
                                      'payroll_run_id = "PX-{period_end}"\n[values.employer_fein]\n'
                                      '"70012345" = "880123458"\n')
    profile = parse_profile(text, "confirmed.toml")
    mapped = validate_mapped_file((LAYOUTS / "paychex_pay_data.csv").read_bytes(), profile, sample_book(),
                                  roster=sample_roster())
    twin = validate_payroll_file((LAYOUTS / "paychex_pay_data.canonical.csv").read_bytes(), sample_book())
    assert price_payroll(mapped.rated_rows, None).total_premium_cents == \
        price_payroll(twin.rated_rows, None).total_premium_cents


def test_the_command_writes_an_unconfirmed_profile_and_never_overwrites(tmp_path, capsys):
    out = tmp_path / "p.toml"
    args = ["mapping", "suggest", str(LAYOUTS / "paychex_pay_data.csv"), "--company", "acme-payroll", "--out", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "Worker ID" in printed and "employee_id" in printed and "alias" in printed and "'SSB-101'" in printed
    assert "confirmed = false" in out.read_text()
    assert main(args) == 2  # exists: never overwritten
    policies = str(LAYOUTS.parent / "reference" / "policies.csv")
    assert main(["check", str(LAYOUTS / "paychex_pay_data.csv"), "--policies", policies, "--mapping", str(out)]) == 1
    assert "is not confirmed" in capsys.readouterr().err


def test_a_workbook_of_several_sheets_needs_sheet(tmp_path, capsys):
    assert main(["mapping", "suggest", str(LAYOUTS / "adp_wc_report.xlsx"), "--out", str(tmp_path / "x.toml")]) == 2
    assert "--sheet" in capsys.readouterr().err
