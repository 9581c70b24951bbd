"""validate_payroll_file: one error per broken rule, at the row and column the spec names.

Pins spec/payroll-file.md "Row rules", "Precise readings" and "Which column an error names":
each case is a file of a good row 1 plus a row 2 with one cell changed, and the expected
(row, column) of the single error. Also: error order, rows counting, rated rows of a good file.
"""

from datetime import date

import pytest

from payroll_helpers import FIXTURES, book, payroll, record
from paygo.payroll.validate import RATED_COLUMNS, validate_payroll_file

OTHER = {"employee_id": "E2"}  # row 2 differs in employee so it is not a duplicate

CASES = [
    # (cells of row 2, column of the one error) -- why, computed by hand
    ({"policy_number": "WC-404"}, "policy_number"),  # not in policies.csv
    ({"employer_fein": "987654321"}, "employer_fein"),  # WC-1 belongs to 123456789
    ({"employer_fein": "12345678"}, "employer_fein"),  # 8 digits: malformed
    ({"class_code": "5403", "state": "NV"}, "class_code"),  # WC-1 rates NV 8810 only
    ({"class_code": "88l0"}, "class_code"),  # letter l: malformed
    ({"class_code": "12345"}, "class_code"),  # 5 digits
    ({"state": "OH"}, "state"),  # monopolistic
    ({"state": "ca"}, "state"),  # state is upper case
    ({"state": "XX"}, "state"),  # no such state
    ({"employee_id": "123-45-6789"}, "employee_id"),  # SSN shaped
    ({"employee_id": "123456789"}, "employee_id"),  # nine bare digits
    ({"employee_id": "E" * 65}, "employee_id"),  # 65 characters > 64
    ({"policy_number": "W" * 65}, "policy_number"),  # 65 characters > 64 (policies.number)
    ({"payroll_run_id": "R" * 129}, "payroll_run_id"),  # 129 characters > 128 (payroll_runs)
    ({"is_officer": "maybe"}, "is_officer"),
    ({"regular_pay": "1.234"}, "regular_pay"),  # three decimals
    ({"regular_pay": ".5"}, "regular_pay"),
    ({"regular_pay": "5."}, "regular_pay"),
    ({"regular_pay": "-0"}, "regular_pay"),
    ({"regular_pay": "+5"}, "regular_pay"),
    ({"regular_pay": "1,000"}, "regular_pay"),  # unquoted: an extra field; see the ragged test
    ({"regular_pay": "99999999999999999999"}, "regular_pay"),  # above MAX_CENTS
    ({"regular_pay": ""}, "regular_pay"),  # required
    ({"overtime_pay": "30", "overtime_premium": "30.01"}, "overtime_premium"),  # 30.01 > 30 + 0
    ({"period_start": "2024-03-15", "period_end": "2024-03-14", "payroll_run_id": "R2"}, "period_end"),  # reversed
    # 2024-02-13..2024-03-14 is 31 + 1 = 32 days counting both ends (leap February: 17 + 14 + 1)
    ({"period_start": "2024-02-12", "period_end": "2024-03-14", "payroll_run_id": "R2"}, "period_end"),
    ({"pay_date": "2024-02-30", "payroll_run_id": "R2"}, "pay_date"),  # not a day
    ({"pay_date": "2025-03-15", "payroll_run_id": "R2"}, "pay_date"),  # WC-1 expired 2025-01-01
    ({"run_type": "Regular"}, "run_type"),  # lowercase only
    ({"pay_date": "2024-03-16"}, "pay_date"),  # run R1's first row says 2024-03-15
    ({"run_type": "correction"}, "run_type"),  # differs from run R1's first row
    ({"employee_id": "E1"}, "employee_id"),  # duplicate key of row 1
]


@pytest.mark.parametrize("cells, column", [c for c in CASES if c[0].get("regular_pay") != "1,000"])
def test_one_rule_one_error(cells, column):
    row2 = {**OTHER, **cells}
    result = validate_payroll_file(payroll(record(), record(**row2)), book())
    assert [(e.row, e.column) for e in result.errors] == [(2, column)], result.errors
    assert not result.accepted and result.rated_rows is None and result.rows == 2


def test_no_rate_is_not_reported_when_state_policy_or_date_failed():
    # each row breaks state, policy or date AND has an unrated class: only the first problem shows
    rows = [record(state="OH", class_code="9999", employee_id="E2"),
            record(policy_number="WC-404", class_code="9999", employee_id="E3"),
            record(pay_date="2025-03-15", class_code="9999", payroll_run_id="R2", employee_id="E4")]
    result = validate_payroll_file(payroll(*rows), book())
    assert [(e.row, e.column) for e in result.errors] == [(1, "state"), (2, "policy_number"), (3, "pay_date")]


def test_errors_sorted_by_row_then_header_order_then_message():
    rows = [record(class_code="x", employer_fein="1"), record(employee_id="E2", regular_pay="-1")]
    result = validate_payroll_file(payroll(*rows), book())
    # header order: employer_fein (0) before class_code (10) before regular_pay (11)
    assert [(e.row, e.column) for e in result.errors] == [(1, "employer_fein"), (1, "class_code"), (2, "regular_pay")]


def test_good_file_gives_rated_rows():
    data = (FIXTURES / "good.csv").read_bytes()
    result = validate_payroll_file(data, book())
    assert result.accepted and result.rows == 2
    frame = result.rated_rows
    assert tuple(frame.columns) == RATED_COLUMNS
    first, second = frame.to_dicts()
    # 2200.00 -> 220000 cents; 12-3456789 -> 123456789; blank overtime_premium stays null
    assert (first["employer_fein"], first["regular_pay"], first["overtime_premium"]) == ("123456789", 220000, None)
    assert (first["net_rate"], first["carrier_id"], first["policy_year_start"]) == ("1.234", "CARRIER-A", date(2024, 1, 1))
    # WC-2 anchored 2024-02-29: its 2025 anniversary is 2025-02-28, which pay date 2025-02-28 reaches
    assert (second["policy_year_start"], second["is_officer"], second["overtime_premium"]) == (date(2025, 2, 28), True, 0)


def test_blank_records_skipped_but_counted_in_row_numbers():
    data = payroll(record(), ",,,,,,,,,,,,,,", "", record(employee_id="E2", state="OH"))
    result = validate_payroll_file(data, book())
    # records: 1 good, 2 and 3 blank, 4 bad -> rows = 2 and the error is on row 4
    assert result.rows == 2 and [(e.row, e.column) for e in result.errors] == [(4, "state")]


def test_client_feins():
    data = payroll(record())
    ok = validate_payroll_file(data, book(), client_feins=frozenset({"123456789"}))
    bad = validate_payroll_file(data, book(), client_feins=frozenset({"987654321"}))
    assert ok.accepted
    assert [(e.row, e.column) for e in bad.errors] == [(1, "employer_fein")]
    assert "client" in bad.errors[0].error
