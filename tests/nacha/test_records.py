"""Pins each record's verbs: parse a line, write it back exactly (94 characters), and name the field
and rule that a changed field breaks; validation never mutates the record."""

import pytest

from nacha_factories import CCD_DEBIT_LINE, make_entry_detail
from paygo.nacha.records import (
    Addenda05,
    Addenda98,
    Addenda99,
    Addenda99Contested,
    Addenda99Dishonored,
    BatchControl,
    BatchHeader,
    EntryDetail,
    FileControl,
    FileHeader,
    parse_addenda,
)

LINES = [
    (FileHeader, "101 231380104 0313000121811260000A094101Federal Reserve Bank   My Bank Name                   "),
    (BatchHeader, "5225Name on Account                     031300012 CCDVndr Pay        181127   1031300010000001"),
    (EntryDetail, CCD_DEBIT_LINE),
    (BatchControl, "82250000020046276020000000500125000000000000031300012                          031300010000001"),
    (FileControl, "9000001000001000000020046276020000000500125000000000000                                       "),
    (Addenda98, "798C01121042880000001      121042881918171614                                  091012980000088"),
    (Addenda99, "799R01091400600000001      09100001                                            091000017611242"),
    (Addenda05, "705bonus pay for amazing work on #OSS                                              00010000001"),
]


@pytest.mark.parametrize("cls, line", LINES)
def test_parse_then_write_is_identity(cls, line):
    record = cls.parse(line)
    assert record.to_line() == line and len(record.to_line()) == 94
    assert record.validate() == []


@pytest.mark.parametrize("overrides, field, rule", [
    ({"check_digit": "5"}, "check_digit", "check_digit"),  # 23138010 needs 4 (3,7,1 weights: 96)
    ({"amount": "00005000.0"}, "amount", "numeric"),
    ({"transaction_code_text": "25"}, "transaction_code_text", "code"),  # 25 is not a NACHA code
    ({"dfi_account_number": " " * 17}, "dfi_account_number", "required"),
    ({"addenda_record_indicator": "2"}, "addenda_record_indicator", "code"),
    ({"trace_number": "03130001000001"}, "trace_number", "length"),  # 14 digits, not 15
    ({"record_type": "7"}, "record_type", "constant"),
    ({"individual_name": "Best Co. #1\x07          "}, "individual_name", "printable"),
])
def test_entry_detail_names_the_broken_field(overrides, field, rule):
    entry = make_entry_detail(**overrides)
    before = entry.to_line()
    errors = entry.validate()
    assert [(e.field, e.rule) for e in errors] == [(field, rule)]
    assert entry.to_line() == before  # validation never mutates


def test_entry_typed_views():
    e = EntryDetail.parse(CCD_DEBIT_LINE)
    # tc 27 = checking debit, 0000500000 = 500000 cents, routing 23138010 + check digit 4
    assert (e.transaction_code, e.amount_cents, e.routing_number, e.is_debit) == (27, 500000, "231380104", True)
    assert not e.is_return and not e.is_noc


@pytest.mark.parametrize("line, cls, code", [
    ("799R68059999990000301      12391871   12391871000000117901Untimely Return      231380100000001", Addenda99Dishonored, "R68"),
    ("799R72123456780000069      75639218   7563921800000010670112345678000007021868 364275034310088", Addenda99Contested, "R72"),
    ("799R07099912340000015      09101298Authorization Revoked                       000000000000000", Addenda99, "R07"),
])
def test_addenda99_layout_follows_the_code(line, cls, code):
    a = parse_addenda(line)
    assert type(a) is cls and a.return_code == code and a.to_line() == line and a.validate() == []


def test_contested_fields_as_moov_reads_them():
    a = parse_addenda("799R72123456780000069      75639218   7563921800000010670112345678000007021868 364275034310088")
    assert (a.original_trace, a.dishonored_return_reason_code, a.trace_number) == (
        "123456780000069", "68", "364275034310088")  # moov TestAddenda99Contested__Read


@pytest.mark.parametrize("line, field, rule, severity", [
    ("799R96099912340000015      09101298Authorization Revoked                       000000000000000", "return_code", "code", "error"),
    ("799R97092221172022300      12330515                                            092221170000001", "return_code", "code", "error"),
    ("798C92000000000012345      091012981918171614                                  091012980000088", "change_code", "code", "error"),
])
def test_unknown_codes(line, field, rule, severity):
    [err] = parse_addenda(line).validate()
    assert (err.field, err.rule, err.severity) == (field, rule, severity)


def test_company_name_all_zeros_is_refused():
    h = BatchHeader.parse("520000000000000                         123456789 CCDRent Due        2504181081999999980000001")
    assert [(e.field, e.rule) for e in h.validate()] == [("company_name", "all_zeros")]  # reject reason 2l
