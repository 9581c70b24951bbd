"""Pins what /work/shared/fixtures/nacha/SOURCES.md says of every real moov-io/ach file: valid ones
parse with their totals (those moov reads only with ValidateOpts, under the matching tolerance
profile, and are refused strictly), invalid ones are refused with the named reason (an error value,
never an exception), tolerated deviations are reported as warnings."""

import pytest

from nacha_factories import FIXTURES
from paygo.nacha.read import Tolerance as T
from paygo.nacha.read import read_ach
from paygo.nacha.validate import entry_totals
from paygo.nacha.write import write_ach


# The profile a bank sending such a file needs (moov reads them with the matching ValidateOpts).
PROFILES = {
    "return-PPD-custom-reason-code.ach": {T.CUSTOM_RETURN_CODES},  # R97; moov CustomReturnCodes
    "return-no-file-header-control.ach": {T.MISSING_FILE_HEADER_CONTROL},
    "return-no-batch-controls.ach": {T.MISSING_FILE_HEADER_CONTROL, T.UNORDERED_BATCH_NUMBERS},  # both batches 1
    "FISERV-ZEROFILE-PIMRET825324_032720_110221.ach": {T.DESTINATION_CHECK_DIGIT, T.ORIGIN_CHECK_DIGIT,
                                                       T.FILE_ID_MODIFIER},
}


def read(name, strict=False):
    return read_ach((FIXTURES / name).read_bytes(), () if strict else PROFILES.get(name, ()))


def rules(result, severity):
    return {(d.record, d.field, d.rule) for d in result.deviations if d.severity == severity}


# name, batches, entries, total debit cents, total credit cents (each summed by hand from the file)
VALID = [
    ("ccd-debit.ach", 1, 2, 500000 + 125, 0),
    ("ppd-debit.ach", 1, 1, 100000000, 0),  # $1,000,000.00
    ("issue1620_return.ach", 1, 1, 0, 1),  # tc 22 return entry of 1 cent
    ("return-WEB.ach", 2, 2, 12354, 4565),  # tc 26 counts as debit, tc 21 as credit
    ("return-PPD-custom-reason-code.ach", 1, 1, 0, 106161),
    ("return-no-file-header-control.ach", 1, 1, 12354, 0),
    ("return-no-batch-controls.ach", 2, 2, 12354, 0),
    ("dishonored-return.ach", 1, 2, 25000 + 23000, 0),
    ("contested-return.ach", 1, 1, 0, 100000000),
    ("contested_addenda.txt", 1, 1, 0, 1560),
    ("cor-example.ach", 1, 1, 0, 0),
    ("flattenBatchesTraceNumberCollision.ach", 5, 15, 0, 15 * 100000),
    ("FISERV-ZEROFILE-PIMRET825324_032720_110221.ach", 0, 0, 0, 0),
]


@pytest.mark.parametrize("name, batches, entries, debit, credit", VALID)
def test_valid_fixture_totals(name, batches, entries, debit, credit):
    result = read(name)
    assert result.valid, result.errors
    t = entry_totals(result.file.entries)
    assert (len(result.file.batches), len(result.file.entries), t.total_debit_cents, t.total_credit_cents) == (
        batches, entries, debit, credit)


# name, the error (record, field, rule) that refuses it
INVALID = [
    ("1e5RecordBefore1or8.txt", ("FileHeader", "record_type", "misplaced")),  # reject reason 1e
    ("1k8RecordFollowing9Record.txt", ("Record", "record_type", "after_file_control")),  # reason 1k
    ("2lCompanyNameAllZeros.txt", ("BatchHeader", "company_name", "all_zeros")),  # reason 2l
    ("pos-invalidReturnFile.ach", ("Addenda99", "return_code", "code")),  # R96
    ("web-invalidNOCFile.ach", ("Addenda98", "change_code", "code")),  # C92
    ("ppd-debit-invalid-entryDetail-checkDigit.ach", ("EntryDetail", "check_digit", "check_digit")),
    ("ppd-debit-fixedLengthInvalid.ach", ("File", "length", "not_multiple_of_94")),  # 471 chars
    ("issue1620.ach", ("FileControl", "batch_count", "mismatch: expected 1")),  # says 2, holds 1
]


@pytest.mark.parametrize("name, error", INVALID)
def test_invalid_fixture_is_refused_with_reason(name, error):
    result = read(name)
    assert not result.valid
    assert error in rules(result, "error")


@pytest.mark.parametrize("name, warning", [
    ("ppd-debit.ach", ("Record", "length", "right_trimmed")),
    ("return-PPD-custom-reason-code.ach", ("Addenda99", "return_code", "code")),  # R97
    ("return-no-file-header-control.ach", ("FileHeader", "record_type", "missing")),
    ("return-no-file-header-control.ach", ("FileControl", "record_type", "missing")),
    ("return-no-batch-controls.ach", ("BatchControl", "record_type", "missing")),
    ("FISERV-ZEROFILE-PIMRET825324_032720_110221.ach", ("File", "line_end", "crlf")),
    ("FISERV-ZEROFILE-PIMRET825324_032720_110221.ach", ("FileHeader", "immediate_destination", "check_digit")),
])
def test_tolerated_deviations_are_reported(name, warning):
    assert warning in rules(read(name), "warning")


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_what_a_profile_tolerates_is_refused_strictly(name):
    strict, tolerated = read(name, strict=True), read(name)
    assert not strict.valid and tolerated.valid
    assert {(d.line, d.record, d.field, d.rule) for d in strict.errors} == {
        (d.line, d.record, d.field, d.rule) for d in tolerated.warnings} - {
        (d.line, d.record, d.field, d.rule) for d in strict.warnings}  # the same deviations, now warnings


def test_a_wrong_rdfi_check_digit_is_tolerated_only_by_its_profile():
    data = (FIXTURES / "ppd-debit-invalid-entryDetail-checkDigit.ach").read_bytes()  # moov AllowInvalidCheckDigit
    assert not read_ach(data).valid
    tolerated = read_ach(data, {T.RDFI_CHECK_DIGIT})
    assert tolerated.valid and ("EntryDetail", "check_digit", "check_digit") in rules(tolerated, "warning")


def test_fiserv_zero_file_reads_as_no_returns():
    result = read("FISERV-ZEROFILE-PIMRET825324_032720_110221.ach")
    assert result.valid and result.file.entries == [] and result.file.control.batch_count == "000000"
    assert result.file.header.immediate_destination == " 100067554"  # header fields still parsed


def test_returns_and_nocs_carry_their_addenda():
    ret = read("issue1620_return.ach").file.entries[0]
    assert ret.is_return and ret.return_addenda.return_code == "R03"
    assert ret.return_addenda.original_trace == "062000010000001"  # the entry of issue1620.ach
    assert read("issue1620.ach").file.entries[0].trace_number == "062000010000001"
    noc = read("cor-example.ach").file.entries[0]
    a = noc.noc_addenda
    assert noc.is_noc and (a.change_code, a.original_trace, a.original_rdfi, a.corrected_data.strip()) == (
        "C01", "121042880000001", "12104288", "1918171614")
    contested = read("contested-return.ach").file.entries[0]
    assert [x.return_code for x in contested.addenda] == ["R07", "R68", "R71"]
    fragment = read("return-no-batch-controls.ach").file.entries
    assert [e.is_return for e in fragment] == [True, False] and [e.is_noc for e in fragment] == [False, True]


def test_trace_collisions_across_batches_are_kept():
    batches = read("flattenBatchesTraceNumberCollision.ach").file.batches
    first, second = [b.entries[0].trace_number for b in batches[:2]]
    assert first == second == "121042880000001"  # same trace in batch 1 and batch 2, both kept


@pytest.mark.parametrize("name, final_newline", [
    ("ccd-debit.ach", False),  # canonical, written without a final line feed
    ("cor-example.ach", True), ("contested-return.ach", True), ("dishonored-return.ach", True),
    ("contested_addenda.txt", True), ("return-WEB.ach", False), ("flattenBatchesTraceNumberCollision.ach", True),
    ("issue1620_return.ach", True),
])
def test_canonical_fixtures_round_trip_byte_for_byte(name, final_newline):
    data = (FIXTURES / name).read_bytes()
    assert write_ach(read_ach(data).file, final_newline=final_newline) == data
