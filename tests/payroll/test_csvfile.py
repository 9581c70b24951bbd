"""Bad files of every kind are rejected with a clear reason, never a traceback.

Pins spec/payroll-file.md "Encoding": BOM, CRLF, quoted commas and line breaks, strict header
(row 0), empty / header-only / binary / not UTF-8 files (row null), ragged records.
"""

import pytest
from hypothesis import given, settings, strategies as st

from payroll_helpers import HEADER, book, payroll, record
from paygo.payroll.validate import validate_payroll_file

FILE_CASES = [
    # (bytes, expected (row, column) list, a word of the reason)
    (b"", [(None, None)], "empty"),
    (b"\xef\xbb\xbf", [(None, None)], "empty"),
    ((HEADER + "\n").encode(), [(None, None)], "no data rows"),  # header only
    ((HEADER + "\n,,,\n\n").encode(), [(None, None)], "no data rows"),  # only blank records
    (b"\x89PNG\r\n\x1a\n\x00\x00", [(None, None)], "not text"),
    ((HEADER + "\n").encode() + b"\xff\xfe,x\n", [(None, None)], "UTF-8"),
    (payroll('1,"unterminated'), [(None, None)], "CSV"),
    (payroll().replace(b"state", b"State"), [(0, "State"), (0, "state")], "column"),  # unknown + missing
    (payroll().replace(b"regular_pay", b"regular_wages"), [(0, "regular_wages"), (0, "regular_pay")], "column"),
    ((HEADER + ",state\n").encode(), [(0, "state")], "more than once"),
]


@pytest.mark.parametrize("data, where, word", FILE_CASES)
def test_bad_files(data, where, word):
    result = validate_payroll_file(data, book())
    assert sorted([(e.row, e.column) for e in result.errors], key=str) == sorted(where, key=str)
    assert word in " ".join(e.error for e in result.errors)
    assert not result.accepted


def test_bom_crlf_quotes_and_trimming_are_read():
    quoted = record(employee_id='"E,1\nx"', policy_number=" WC-1\t")
    data = b"\xef\xbb\xbf" + payroll(record(employee_id="E2"), quoted).replace(b"\n", b"\r\n")
    result = validate_payroll_file(data, book())
    assert result.accepted, result.errors
    # the quoted line break does not start a record: 2 rows; the comma stays in the id
    assert result.rows == 2 and result.rated_rows["employee_id"].to_list() == ["E2", "E,1\r\nx"]
    assert result.rated_rows["policy_number"].to_list() == ["WC-1", "WC-1"]


def test_ragged_records_are_row_errors():
    data = payroll(record(), "12-3456789,WC-1", record(employee_id="E3") + ",extra")
    result = validate_payroll_file(data, book())
    assert (2, None) in [(e.row, e.column) for e in result.errors]
    assert (3, None) in [(e.row, e.column) for e in result.errors]


def short(rec: str, missing: int) -> str:
    return ",".join(rec.split(",")[:-missing])


@pytest.mark.parametrize("crlf", [False, True])
@pytest.mark.parametrize("quoted", [False, True])
def test_short_records_alone_are_row_errors(crlf, quoted):
    # Only short records (missing trailing, optional columns) and no long one: polars reads a
    # missing field as "" like an empty one, so only a count of the fields can tell them apart.
    # Row 2 is blank (skipped but counted); row 3 lacks overtime_premium; row 4 lacks the last
    # three columns; row 5 is full width with an empty last cell and is fine.
    first = record(employee_id='"E,1"') if quoted else record()  # a quoted comma: the csv-module path
    data = payroll(first, "", short(record(employee_id="E3"), 1), short(record(employee_id="E4"), 3),
                   record(employee_id="E5"))
    if crlf:
        data = data.replace(b"\n", b"\r\n")
    result = validate_payroll_file(data, book())
    ragged = sorted((e.row, e.error) for e in result.errors if e.column is None)
    assert ragged == [(3, "the record has 14 fields; the header has 15"),
                      (4, "the record has 12 fields; the header has 15")]
    assert not result.accepted


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_never_raise(data):
    result = validate_payroll_file(data, book())
    assert result.accepted == (not result.errors)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=',"\n\r \tab1.-', max_size=200))
def test_any_body_after_a_good_header_never_raises(body):
    result = validate_payroll_file((HEADER + "\n" + body).encode(), book())
    assert result.accepted == (not result.errors)


# Bodies (no space or tab) for the one-pass reader of untrimmed files; a space after the header's
# last name (trimmed away) sends the same records through the general reader instead.
UNTRIMMED_BODIES = [
    # (records after the header, row numbers kept, rows reported ragged)
    ("1,2,3,4,5,6,7,8,9,10\n,,,,,,,,,\n", [1], []),  # row 2 blank: skipped, keeps its number
    ('"","",,,,,,,,""\n1,2,3,4,5,6,7,8,9,10\n', [2], []),  # quoted empties are empty: row 1 blank
    ('1,2,3,4,5,6,7,8,9,""\n', [1], []),  # quoted empty last cell: not short
    ('"",2,"",4,,6,7,8,9,10\n"","","","","","","","","",10\n', [1, 2], []),  # quoted empties read null in one pass
    ("1,2,3,4,5,6,7,8,9,\r\n", [1], []),  # unquoted empty last cell: not short either
    ("1,2,3,4,5,6,7,8,9,10,11\n", [], [1]),  # a long record: the general path finds it
]
SHORT_HEADER = "employer_fein,policy_number,payroll_run_id,pay_date,period_start,period_end,employee_id,state,class_code,regular_pay"


@pytest.mark.parametrize("body, kept, ragged", UNTRIMMED_BODIES)
def test_untrimmed_fast_read_equals_general_read(body, kept, ragged):
    from paygo.payroll.csvfile import read_payroll_csv

    fast = read_payroll_csv((SHORT_HEADER + "\n" + body).encode())
    general = read_payroll_csv((SHORT_HEADER + " \n" + body).encode())
    assert fast.header == general.header
    assert fast.cells.equals(general.cells) and fast.cells.schema == general.cells.schema
    assert fast.ragged.equals(general.ragged) and fast.ragged.schema == general.ragged.schema
    assert fast.ragged["row"].to_list() == ragged
    if not ragged:
        assert fast.cells["row"].to_list() == kept
