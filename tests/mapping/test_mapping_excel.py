"""Workbooks (.xlsx, .xls) through calamine: real files written by openpyxl and xlwt.

Money cells arrive as binary floats: each is taken as the shortest decimal that reads back as the
same float (1290.08 stays 1290.08) and refused unless it is whole cents (1290.075). A date may be
a date cell or a date stored as a serial number. Formulas with no saved value and error values
refuse the file naming the cell; a workbook of several sheets needs the sheet named; a sheet
with a cell on row 1,048,576 is read.
"""

import datetime
import io
import re
import zipfile

import openpyxl
import pytest
import xlwt

from mapping_helpers import sample_book
from paygo.payroll.profile import parse_profile
from paygo.payroll.validate import validate_mapped_file

PROFILE = '''format = 1
id = "wb"
employer_fein = "946123457"
[file]
kind = "{kind}"
{sheet}
[formats]
date = "MM/DD/YYYY"
money = "us"
[columns]
"Employee" = "employee_id"
"State" = "state"
"Class" = "class_code"
"Check Date" = "pay_date"
"From" = "period_start"
"To" = "period_end"
"Regular" = "regular_pay"
[fixed]
policy_number = "WC-CA-1001"
payroll_run_id = "R1"
'''
HEADER = ["Employee", "State", "Class", "Check Date", "From", "To", "Regular"]


def profile(kind="xlsx", sheet=None):
    return parse_profile(PROFILE.format(kind=kind, sheet=f'sheet = "{sheet}"' if sheet else ""), "wb.toml")


def xlsx(*rows, extra_sheet=False, patch=None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Pay"
    ws.append(HEADER)
    for r in rows:
        ws.append(list(r))
    if extra_sheet:
        wb.create_sheet("Other").append(["x"])
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if patch is None:
        return data
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            body = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = patch(body)
            zout.writestr(item, body)
    return out.getvalue()


GOOD = ("E1", "CA", "8810", datetime.date(2025, 6, 6), "05/24/2025", "06/06/2025", 2200.0)


def check(data, prof=None):
    return validate_mapped_file(data, prof or profile(), sample_book(), file_name="pay.xlsx")


def regular_cents(result):
    assert result.accepted, result.errors
    return result.rated_rows["regular_pay"].to_list()


@pytest.mark.parametrize("cell, cents", [
    (2200.0, 220000),
    (1290.08, 129008),            # not exactly representable in binary: read as its shortest decimal
    (0.1 + 0.2 - 0.3 + 5, 500),   # float noise below the last bit of 5.0: the float is exactly 5.0
    ("$1,290.08", 129008),        # a text cell in the profile's notation
    (12345678901.23, 1234567890123),
    (7, 700),
])
def test_money_cells_become_exact_cents(cell, cents):
    row = list(GOOD)
    row[6] = cell
    assert regular_cents(check(xlsx(row))) == [cents]


@pytest.mark.parametrize("cell", [1290.075, 0.001, 1e-7])
def test_money_cells_that_are_not_whole_cents_are_refused(cell):
    row = list(GOOD)
    row[6] = cell
    result = check(xlsx(row))
    assert [(e.row, e.column, e.canonical) for e in result.errors] == [(1, "Regular", "regular_pay")]


def test_dates_as_date_cells_serial_numbers_and_text():
    row = list(GOOD)
    row[4] = 45801  # 2025-05-24 stored as a number
    result = check(xlsx(row))
    assert result.accepted, result.errors
    assert str(result.rated_rows["period_start"][0]) == "2025-05-24"
    assert str(result.rated_rows["pay_date"][0]) == "2025-06-06"


def test_a_formula_without_a_saved_value_is_refused_naming_the_cell():
    row = list(GOOD)
    row[6] = "=1000*2.2"
    result = check(xlsx(row))
    [e] = result.errors
    assert e.row is None and "G2" in e.error and "never saved" in e.error


def test_a_formula_with_its_saved_value_is_read():
    row = list(GOOD)
    row[6] = "=1000*2.2"
    saved = xlsx(row, patch=lambda b: re.sub(rb"<f>1000\*2.2</f>(<v\s*/>|<v></v>)?", b"<f>1000*2.2</f><v>2200</v>", b))
    assert regular_cents(check(saved)) == [220000]


def test_an_error_value_is_refused_naming_the_cell():
    row = list(GOOD)
    row[6] = "=1/0"
    broken = xlsx(row, patch=lambda b: re.sub(rb'<c r="G2"([^>]*)><f>1/0</f>(<v\s*/>|<v></v>)?',
                                               b'<c r="G2" t="e"><f>1/0</f><v>#DIV/0!</v>', b))
    [e] = check(broken).errors
    assert "G2" in e.error and "#DIV/0!" in e.error


def test_several_sheets_need_the_sheet_named():
    data = xlsx(GOOD, extra_sheet=True)
    [e] = check(data).errors
    assert "2 sheets (Pay, Other)" in e.error
    assert regular_cents(check(data, profile(sheet="Pay"))) == [220000]
    [e] = check(data, profile(sheet="Nope")).errors
    assert "no sheet 'Nope'" in e.error


def test_a_merged_title_above_the_header_is_read_past():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Payroll"])
    ws.merge_cells("A1:G1")
    ws.append(HEADER)
    ws.append(list(GOOD))
    buf = io.BytesIO()
    wb.save(buf)
    assert regular_cents(check(buf.getvalue())) == [220000]


def test_a_merged_header_cell_over_money_is_refused():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER + ["Extra pay", None])
    ws.merge_cells("H1:I1")
    ws.append(list(GOOD) + [10.0, 20.0])
    buf = io.BytesIO()
    wb.save(buf)
    messages = [e.error for e in check(buf.getvalue()).errors]
    assert any("header column 9 has no name" in m for m in messages)


def test_a_sheet_with_a_cell_on_its_last_row_is_read():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(list(GOOD))
    ws.cell(row=1_048_576, column=1, value=None)
    ws.cell(row=1_048_576, column=8, value="end")
    buf = io.BytesIO()
    wb.save(buf)
    assert regular_cents(check(buf.getvalue())) == [220000]


def test_an_xls_workbook_is_read():
    book = xlwt.Workbook()
    sheet = book.add_sheet("Pay")
    for c, name in enumerate(HEADER):
        sheet.write(0, c, name)
    values = ["E1", "CA", "8810", "06/06/2025", "05/24/2025", "06/06/2025", 1290.08]
    for c, v in enumerate(values):
        sheet.write(1, c, v)
    buf = io.BytesIO()
    book.save(buf)
    assert regular_cents(check(buf.getvalue(), profile(kind="xls"))) == [129008]


@pytest.mark.parametrize("data", [b"PK\x03\x04not a zip", b"plain text", b"\xd0\xcf\x11\xe0garbage", b""])
def test_a_file_that_is_not_a_workbook_is_refused(data):
    result = check(data)
    assert [e.row for e in result.errors] == [None]
