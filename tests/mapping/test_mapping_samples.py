"""Each built-in layout's sample file prices to the same cents as the same payroll in canonical form.

The samples in paygo/sample_data/layouts are written to the published column names of Gusto's
payroll journal, ADP's workers' comp report (an .xlsx with a preamble, a merged title, number
and date cells), ADP's pay data with earnings code/amount pairs and Paychex Flex's long pay
data; each has its twin in the canonical format, written by hand. Mapping + validation +
pricing of the sample must give exactly the twin's premium lines, cent for cent.
"""

import pytest

from mapping_helpers import CASES, LAYOUTS, employer_profile, sample_book, sample_roster
from paygo.billing.premium import price_payroll
from paygo.payroll.profile import builtin_profiles
from paygo.payroll.validate import validate_mapped_file, validate_payroll_file

LINE = ["policy_number", "employer_fein", "payroll_run_id", "state", "class_code", "auditable_cents", "net_rate",
        "premium_cents"]


def priced(validation):
    assert validation.accepted, validation.errors
    result = price_payroll(validation.rated_rows, ytd=None)
    return result.lines.select(LINE).to_dicts(), result.total_premium_cents


@pytest.mark.parametrize("profile, sample, twin", CASES)
def test_sample_prices_to_the_cent_of_its_canonical_twin(profile, sample, twin):
    book = sample_book()
    mapped = validate_mapped_file((LAYOUTS / sample).read_bytes(), employer_profile(profile), book,
                                  roster=sample_roster(), roster_versions="sample", file_name=sample)
    canonical = validate_payroll_file((LAYOUTS / twin).read_bytes(), book)
    mapped_lines, mapped_total = priced(mapped)
    twin_lines, twin_total = priced(canonical)
    assert mapped_lines == twin_lines
    assert mapped_total == twin_total > 0
    assert mapped.rows == canonical.rows
    assert mapped.mapping.startswith(f"{profile}@") and len(mapped.mapping.split("@")[1]) == 12


@pytest.mark.parametrize("profile, sample, twin", CASES)
def test_typed_rows_equal_the_twin_row_for_row(profile, sample, twin):
    """Not only the totals: every typed cell but the row number is the twin's."""
    book = sample_book()
    mapped = validate_mapped_file((LAYOUTS / sample).read_bytes(), employer_profile(profile), book,
                                  roster=sample_roster(), file_name=sample)
    canonical = validate_payroll_file((LAYOUTS / twin).read_bytes(), book)
    key = ["employee_id", "state", "class_code"]
    a = mapped.rated_rows.drop("row").sort(key)
    b = canonical.rated_rows.drop("row").sort(key)
    # an absent optional money column reads 0 in both; an empty overtime_premium is null in both
    assert a.equals(b), (a, b)


def test_the_canonical_profile_is_the_canonical_path():
    """The built-in `canonical` profile reads a canonical file exactly as `paygo check` does."""
    data = (LAYOUTS.parent / "payroll" / "acme_2025-06-06.csv").read_bytes()
    book = sample_book()
    through_profile = validate_mapped_file(data, builtin_profiles()["canonical"], book)
    direct = validate_payroll_file(data, book)
    assert through_profile.rated_rows.equals(direct.rated_rows)
    assert through_profile.mapping.startswith("canonical@")


def test_every_builtin_layout_has_a_sample_case():
    assert {employer_profile(p).extends for p, _, _ in CASES} == set(builtin_profiles()) - {"canonical"}
