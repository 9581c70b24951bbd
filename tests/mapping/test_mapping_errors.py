"""Bad input through a mapping profile: every error names the row and the column as the company
named it (with the canonical column beside it), and nothing raises or hangs.

Cases follow issue 13's "Bad input": an unknown column carrying money, two headers for one
column, a profile that maps nothing to a required column, an earning code without a mapping,
an employee with no roster assignment, money that is not whole cents.
"""

import polars as pl
import pytest

from mapping_helpers import LAYOUTS, employer_profile, sample_book, sample_roster
from paygo.payroll.mapping import map_payroll
from paygo.payroll.profile import parse_profile
from paygo.payroll.validate import validate_mapped_file

PAYCHEX_HEAD = '"Company ID","Worker ID","Pay Component","Rate","Hours","Amount","Start","End"\n'


def paychex(*rows: str) -> bytes:
    return (PAYCHEX_HEAD + "".join(r + "\n" for r in rows)).encode()


def row(worker="SSB-101", code="Hourly", amount="1680.00", start="05/31/2025", end="06/06/2025", company="70012345"):
    return f'"{company}","{worker}","{code}","21.00","80.00","{amount}","{start}","{end}"'


def check(data: bytes, profile="silver-state-paychex", roster=True, name="f.csv"):
    return validate_mapped_file(data, employer_profile(profile) if isinstance(profile, str) else profile,
                                sample_book(), roster=sample_roster() if roster else None, file_name=name)


def errors(result):
    return [(e.row, e.column, e.canonical, e.value) for e in result.errors]


def test_a_bad_class_code_names_comp_code_and_class_code():
    """ADP WC report: the company's `COMP CODE` on data row 2, with class_code beside it."""
    import openpyxl
    import io

    wb = openpyxl.load_workbook(LAYOUTS / "adp_wc_report.xlsx")
    wb["WC Report"]["E8"] = "8l1"
    buf = io.BytesIO()
    wb.save(buf)
    result = check(buf.getvalue(), "keystone-adp-wc")
    assert errors(result) == [(2, "COMP CODE", "class_code", "8l1")]
    assert result.errors[0].column_text == "COMP CODE (class_code)"


@pytest.mark.parametrize("amount, why", [
    ("12.345", "not money"),      # three decimals: not a whole number of cents
    ("1,680.00", "not money"),    # Paychex's profile reads plain money only
    ("abc", "not money"),
])
def test_money_that_is_not_money_names_the_amount_column(amount, why):
    result = check(paychex(row(amount=amount)))
    [(r, column, canonical, value)] = errors(result)
    assert (r, column, canonical, value) == (1, "Amount [Pay Component]", "regular_pay", amount)
    assert why in result.errors[0].error


def test_components_are_summed_and_a_negative_component_nets():
    """Long layout: two Hourly rows and a -100.00 correction are one pay of 1,580.00 + 200.00."""
    result = check(paychex(row(amount="1000.00"), row(amount="680.00"), row(amount="-100.00"),
                           row(code="Overtime", amount="200.00")))
    assert result.accepted
    [r] = result.rated_rows.to_dicts()
    assert (r["row"], r["regular_pay"], r["overtime_pay"]) == (1, 158000, 20000)


def test_a_pay_column_below_zero_is_an_error():
    result = check(paychex(row(amount="100.00"), row(amount="-150.00")))
    assert [(e.row, e.column, e.canonical) for e in result.errors] == [(1, "Amount [Pay Component]", "regular_pay")]
    assert "below zero" in result.errors[0].error


def test_an_unmapped_earning_code_names_the_code_and_its_column():
    result = check(paychex(row(), row(code="Stipend", amount="50.00")))
    assert errors(result) == [(2, "Pay Component", None, "Stipend")]
    assert "no mapping" in result.errors[0].error


def test_an_employee_without_a_roster_assignment_is_named():
    result = check(paychex(row(worker="SSB-999")))
    assert errors(result) == [(1, "Worker ID", "employee_id", "SSB-999")]
    assert "SSB-999" in result.errors[0].error and "2025-06-06" in result.errors[0].error


def test_the_roster_assignment_in_force_on_the_pay_date_applies():
    """BAB-022 is 8742 from 2025-01-01 and 2003 from 2025-06-01."""
    journal = (LAYOUTS / "gusto_payroll_journal.csv").read_text()
    earlier = journal.replace('"Pay day"," 06/06/2025"', '"Pay day","05/30/2025"').replace(
        "05/24/2025 - 06/06/2025", "05/17/2025 - 05/30/2025")
    result = check(earlier.encode(), "bay-area-bakery-gusto")
    assert result.accepted, result.errors
    classes = dict(result.rated_rows.select("employee_id", "class_code").iter_rows())
    assert classes["BAB-022"] == "8742"


def test_without_a_roster_nothing_gives_state_or_class():
    result = check(paychex(row()), roster=False)
    assert {(e.row, e.column) for e in result.errors} == {(0, "state"), (0, "class_code")}
    assert all("no roster supplies it" in e.error for e in result.errors)


def _with_last_column(header: str, cell: str) -> bytes:
    lines = (LAYOUTS / "gusto_payroll_journal.csv").read_text().splitlines()
    return "\n".join(lines[:5] + [lines[5] + f',"{header}"'] + [ln + f',"{cell}"' for ln in lines[6:]]).encode()


def test_an_unknown_money_column_is_an_error_and_an_ignored_one_is_not():
    result = check(_with_last_column("Holiday Bonus", "$10.00"), "bay-area-bakery-gusto")
    assert errors(result) == [(0, "Holiday Bonus", None, "Holiday Bonus")]
    assert "carries money" in result.errors[0].error
    # the header says nothing of money, a cell does: still an error
    result = check(_with_last_column("Extra", "$10.00"), "bay-area-bakery-gusto")
    assert errors(result) == [(0, "Extra", None, "Extra")]
    ignoring = parse_profile((LAYOUTS / "mappings" / "bay-area-bakery-gusto.toml").read_text().replace(
        'extends = "gusto-payroll-journal"', 'extends = "gusto-payroll-journal"\nignore = ["Holiday Bonus"]'), "x.toml")
    assert check(_with_last_column("Holiday Bonus", "$10.00"), ignoring).accepted
    # a column that holds no money is read past (a department, a note)
    assert check(_with_last_column("Department", "Ovens"), "bay-area-bakery-gusto").accepted


def test_a_new_column_mid_row_is_matched_by_name():
    """Gusto once inserted a column mid-row: money columns after it are still found by name."""
    lines = (LAYOUTS / "gusto_payroll_journal.csv").read_text().splitlines()
    moved = lines[:5] + [lines[5].replace('"Employee Type",', '"Employee Type","Department",', 1)]
    for ln in lines[6:]:
        fields = ln.split('","')
        moved.append('","'.join(fields[:4] + ["Ovens"] + fields[4:]))
    result = check("\n".join(moved).encode(), "bay-area-bakery-gusto")
    assert result.accepted, result.errors
    assert result.rated_rows["regular_pay"].to_list() == [961538, 288000, 264000, 310000]


def test_two_headers_for_one_column_are_named():
    profile = parse_profile('''format = 1
id = "two"
extends = "paychex-flex-pay-data"
employer_fein = "880123458"
[columns]
"Employee" = "employee_id"
[fixed]
policy_number = "WC-NV-2001"
''', "two.toml")
    data = ('"Company ID","Worker ID","Employee","Pay Component","Rate","Hours","Amount","Start","End"\n'
            '"x","SSB-101","SSB-101","Hourly","","","1.00","05/31/2025","06/06/2025"\n').encode()
    result = check(data, profile)
    assert [(e.row, e.column, e.canonical) for e in result.errors] == [(0, "Employee", "employee_id")]
    assert "'Worker ID' and 'Employee' both map to employee_id" in result.errors[0].error


def test_a_profile_that_maps_nothing_to_a_required_column():
    """The built-in Gusto profile alone has no FEIN or policy: an employer's profile must add them."""
    from paygo.payroll.profile import builtin_profiles

    result = validate_mapped_file((LAYOUTS / "gusto_payroll_journal.csv").read_bytes(),
                                  builtin_profiles()["gusto-payroll-journal"], sample_book(), roster=sample_roster())
    assert [(e.row, e.column) for e in result.errors] == [(0, "employer_fein"), (0, "policy_number")]
    assert "maps nothing to required column 'employer_fein'" in result.errors[0].error


def test_a_total_that_does_not_add_up_names_the_total_column():
    journal = (LAYOUTS / "gusto_payroll_journal.csv").read_text().replace('"$9,615.38","$0.00","$2,884.61"',
                                                                          '"$9,715.38","$0.00","$2,884.61"')
    result = check(journal.encode(), "bay-area-bakery-gusto")
    assert errors(result) == [(1, "Gross Earnings", None, "$9,715.38")]


def test_no_header_row_is_a_file_error():
    result = check(b"a,b,c\n1,2,3\n")
    assert [(e.row, e.column) for e in result.errors] == [(None, None)]
    assert "no header row" in result.errors[0].error


@pytest.mark.parametrize("data", [b"", b"\x00\x01\x02", b"\xff\xfe garbage", b'"unclosed\n', b"\n\n\n",
                                  PAYCHEX_HEAD.encode()])
def test_any_bytes_give_errors_not_a_traceback(data):
    result = check(data)
    assert not result.accepted and result.errors


def test_a_50_mb_cell_is_refused_by_row_and_column():
    big = "E" * (50 * 1024 * 1024)
    result = check(paychex(row(worker=big)))
    assert [(e.row, e.column, e.canonical) for e in result.errors] == [(1, "Worker ID", "employee_id")]
    assert "longer than 1000 characters" in result.errors[0].error
    assert len(result.errors[0].value) == len(big)  # nothing lost: the report keeps the whole cell


def test_mapping_keeps_the_company_row_numbers_after_blank_and_dropped_rows():
    result = map_payroll(paychex(row(), "", row(worker="SSB-102")), employer_profile("silver-state-paychex"),
                         roster=sample_roster())
    assert result.cells["row"].to_list() == [1, 3]
    assert result.cells.filter(pl.col("row") == 3)["employee_id"].item() == "SSB-102"
