"""The payroll file's limits (docs/payroll-limits.md): text no longer than its database column,
a header line of at most MAX_HEADER_BYTES bytes with at most MAX_FIELDS names, none of them empty.

An over-long cell is an error on its row and column (never a database or PDF failure later); a
header breaking a limit is refused from its first bytes, before polars reads the file, so a 50 MB
line of commas costs no more than reading it (no timing is asserted: the error is).
"""

import json

import pytest

from paygo.cli import main
from paygo.payroll.columns import ALL_COLUMNS, MAX_FIELDS, MAX_HEADER_BYTES, MAX_TEXT_CHARS
from paygo.payroll.validate import validate_payroll_file
from payroll_helpers import FIXTURES, HEADER, book, payroll, record


def errors(data: bytes) -> list[tuple]:
    return [(e.row, e.column, e.error) for e in validate_payroll_file(data, book()).errors]


def test_the_limits_are_the_database_columns():
    from paygo.db import models as m

    assert MAX_TEXT_CHARS == {
        "policy_number": m.Policy.__table__.c.number.type.length,
        "payroll_run_id": m.PayrollRun.__table__.c.payroll_run_id.type.length,
        "employee_id": m.EmployeeYtdWage.__table__.c.employee_id.type.length,
    }
    assert m.Invoice.__table__.c.payroll_run_id.type.length == MAX_TEXT_CHARS["payroll_run_id"]


@pytest.mark.parametrize("run_id", ["R" * 128, "é" * 128])  # characters, not bytes: é is two bytes
def test_a_run_id_of_128_characters_is_accepted(run_id):
    result = validate_payroll_file(payroll(record(payroll_run_id=run_id)), book())
    assert result.accepted, result.errors
    assert result.rated_rows["payroll_run_id"].to_list() == [run_id]


def test_a_10000_character_run_id_is_an_error_on_its_row_and_column():
    run_id = "R" * 10_000
    result = validate_payroll_file(payroll(record(), record(employee_id="E2", payroll_run_id=run_id)), book())
    [e] = result.errors
    assert (e.row, e.column, e.value) == (2, "payroll_run_id", run_id)  # the value is the whole cell
    # the line quotes the start and the length, not 10,000 characters
    assert e.error == f"payroll_run_id '{'R' * 40}...' (10000 characters) must be at most 128 characters"


def test_an_over_long_policy_number_is_an_error():
    assert errors(payroll(record(policy_number="W" * 65))) == [
        (1, "policy_number", f"policy_number '{'W' * 40}...' (65 characters) must be at most 64 characters")]


def test_a_10000_character_run_id_on_paygo_check(tmp_path, capsys):
    path = tmp_path / "long.csv"
    path.write_bytes(payroll(record(payroll_run_id="R" * 10_000)))
    assert main(["check", str(path), "--policies", str(FIXTURES / "policies.csv"), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [(e["row"], e["column"]) for e in doc["errors"]] == [(1, "payroll_run_id")]


def test_a_header_of_five_million_commas_is_refused_from_its_first_bytes(tmp_path, capsys):
    path = tmp_path / "commas.csv"
    path.write_bytes(b"," * 5_000_000 + b"\n")  # 50 MB, one line: 5,000,001 empty names
    assert main(["check", str(path), "--policies", str(FIXTURES / "policies.csv"), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [(e["row"], e["column"], e["error"]) for e in doc["errors"]] == [
        (0, None, f"the header line is longer than {MAX_HEADER_BYTES:,} bytes")]


def test_too_many_names_are_one_error():
    header = ",".join([*ALL_COLUMNS, *(f"extra_{i}" for i in range(MAX_FIELDS - len(ALL_COLUMNS) + 1))])
    assert len(header) <= MAX_HEADER_BYTES
    assert errors((header + "\n1\n").encode()) == [
        (0, None, f"the header has {MAX_FIELDS + 1} names; at most {MAX_FIELDS} are allowed")]


def test_empty_names_are_errors_by_position():
    data = payroll(record()).replace(b"employer_fein,", b"employer_fein, ,,", 1)
    assert errors(data) == [(0, None, "header column 2 has no name"), (0, None, "header column 3 has no name")]


def test_a_header_line_of_max_bytes_is_read_one_byte_more_is_not():
    names = HEADER.split(",")
    pad = MAX_HEADER_BYTES - len(HEADER)  # spaces around names are trimmed
    at_limit = ",".join([names[0] + " " * pad, *names[1:]])
    assert len(at_limit) == MAX_HEADER_BYTES
    body = "\n" + record() + "\n"
    assert validate_payroll_file((at_limit + "\r" + body).encode(), book()).accepted  # CR LF: CR not counted
    over = ",".join([names[0] + " " * (pad + 1), *names[1:]])
    assert errors((over + body).encode()) == [(0, None, f"the header line is longer than {MAX_HEADER_BYTES:,} bytes")]


def test_a_data_record_of_five_million_fields_is_a_row_error():
    data = payroll(record(), record(employee_id="E2") + "," * 5_000_000, record(employee_id="E3"))
    assert errors(data) == [(2, None, f"the record has 5000015 fields; the header has {len(HEADER.split(','))}")]
