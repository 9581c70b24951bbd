"""Pins how the one reader reads what banks really send (issue 16), each case from a file written here:
right-trimmed 9-fill, UTF-8 / Windows-1252 text (characters counted, not bytes), non-ASCII digits,
SEC codes we do not read (IAT, ADV, POS/SHR/MTE addenda 02), moov's rules (originator status code,
entry description of zeros, blank destination, zero amount, trace prefix, TEL direction, ENR date,
batch order), returns without a Batch Header, and the tolerance profile that turns a named deviation
into a reported warning."""

import json
from dataclasses import replace
from datetime import date, datetime

import pytest

from nacha_factories import FIXTURES
from paygo.cli import main
from paygo.config import ConfigError, load_settings
from paygo.nacha.build import BatchSpec, EntrySpec, FileSpec, build_file
from paygo.nacha.check import check_ach, describe
from paygo.nacha.read import Tolerance, parse_tolerances, read_ach
from paygo.nacha.write import write_ach
from reference import assert_matches_reference

CCD = (FIXTURES / "ccd-debit.ach").read_text().split("\n")  # 10 records: 1 5 6 6 8 9 and four 9-fill


def join(ls: list[str], end: str = "\n") -> str:
    return "\n".join(ls) + end


def put(line: str, position: int, text: str) -> str:
    return line[: position - 1] + text + line[position - 1 + len(text):]


def rules(result, severity="error") -> set[tuple[str, str, str]]:
    return {(d.record, d.field, d.rule) for d in result.deviations if d.severity == severity}


def built(entries, sec="CCD", description="PREMIUM", batches=1) -> list[str]:
    """Lines of a file our writer builds (controls, hash, fill all right) for one or more batches."""
    spec = FileSpec("231380104", "FEDERAL RESERVE BANK", " 031300012", "PAYGO", "031300012", datetime(2026, 7, 2, 9, 30))
    specs = [BatchSpec("EMPLOYER", "1123456789", description, date(2026, 7, 6), entries, sec_code=sec)] * batches
    return write_ach(build_file(spec, specs)).decode("ascii").split("\n")[:-1]


DEBIT = EntrySpec(27, "231380104", "744-5678-99", 500000, "INV-1", "BEST CO")


# --- 9-fill


def test_right_trimmed_9_fill_after_the_file_control_is_fill():
    trimmed = read_ach(join(CCD[:6] + ["99"] * 4).encode())  # every fill record trimmed to "99"
    assert trimmed.valid and trimmed.entry_count == 2
    assert ("Record", "length", "right_trimmed") in rules(trimmed, "warning")
    assert "after_file_control" not in {d.rule for d in trimmed.deviations}
    # a bank that trims every record, the last 9-fill record included
    all_trimmed = read_ach(join([line.rstrip() for line in CCD[:9]] + ["9" * 40]).encode())
    assert all_trimmed.valid
    assert_matches_reference(all_trimmed)


def test_a_lone_short_last_line_of_9s_is_still_a_cut_transfer():
    cut = read_ach(join(CCD[:9] + ["9" * 93]).encode())  # the file lost its last byte
    assert not cut.valid and ("Record", "record_type", "after_file_control") in rules(cut)


# --- encoding


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_an_accented_name_is_one_character_and_shifts_nothing(encoding):
    ls = list(CCD)
    ls[2] = ls[2].replace("Best Co. #1", "Bést Co. #1")  # individual name, positions 55-76
    data = join(ls).encode(encoding)
    assert len(data.split(b"\n")[2]) == (95 if encoding == "utf-8" else 94)
    result = read_ach(data)
    found = "utf-8" if encoding == "utf-8" else "windows-1252"
    assert ("File", "encoding", found) in rules(result, "warning")
    [char] = [d for d in result.errors if d.field == "character"]
    assert (char.line, char.rule, char.value) == (3, "not_allowed", "position 56: U+00E9")
    assert describe(char) == "line 3: character not allowed in NACHA at position 56: U+00E9"
    # nothing shifted: the only other error is that field's, amount and trace read as written
    assert {(d.line, d.record, d.field) for d in result.errors} == {(3, "Record", "character"),
                                                                   (3, "EntryDetail", "individual_name")}
    assert result.entries["amount_cents"].to_list() == [500000, 125]
    assert result.entries["trace_number"].to_list() == ["031300010000001", "031300010000002"]


def test_a_windows_1252_byte_with_no_character_is_reported_not_raised():
    data = join(CCD).encode("ascii").replace(b"Best Co. #1", b"Best Co.\x81#1", 1)  # 0x81: unassigned in cp1252
    result = read_ach(data)
    assert not result.valid and any(d.value.endswith("U+FFFD") for d in result.errors)


# --- non-ASCII digits


def test_a_superscript_digit_in_an_amount_is_a_numeric_error(tmp_path, capsys):
    ls = list(CCD)
    ls[2] = put(ls[2], 35, "²")  # amount positions 30-39: '00005²0000', byte 0xB2 in latin-1
    path = tmp_path / "superscript.ach"
    path.write_bytes(join(ls).encode("latin-1"))
    result = read_ach(path.read_bytes())
    assert ("EntryDetail", "amount", "numeric") in rules(result)
    assert result.entries["amount_cents"].to_list() == [None, 125]  # never int('²')
    assert main(["ach", "inspect", str(path), "--json"]) == 1  # an answer, not a traceback
    entries = json.loads(capsys.readouterr().out)["batches"][0]["entries"]
    assert [e["amount_cents"] for e in entries] == [None, 125]
    assert main(["ach", "inspect", str(path)]) == 1
    assert "EntryDetail.amount numeric" in capsys.readouterr().out


# --- SEC codes we do not read

IAT = [  # moov-io/ach's IAT layout: IAT batch header, entry, addenda 10-16 (values written for this test)
    "101 031300012 2313801042607020930A094101FEDERAL RESERVE BANK   PAYGO                          ",
    "5220                FF3               US231380104 IATTRADEPAYMTCADUSD260706   1231380100000001",
    "6221210428820007             0000100000231380104                              1231380100000001",
    "710ANN000000000000100000928383-23938          BEK ENTERPRISES                          0000001",
    "711BEK SOLUTIONS                      15 WEST PLACE STREET                             0000001",
    "82200000030012104288000000000000000000100000                                   231380100000001",
    "9000001000001000000030012104288000000000000000000100000                                       ",
]
ADV = [
    "101 231380104 1210428822607020930A094101FEDERAL RESERVE BANK   PAYGO                          ",
    "5280COMPANY NAME                        121042882 ADVACCOUNTING      260706   0121042880000001",
    "681231380104744-5678-99    00000005000012104288211131 NAME                    0011000010500001",
    "828000000100231380100000000000000005000000000000000000000000COMPANY NAME      121042880000001",
    "90000010000010000000100231380100000000000000005000000000000000000000000                       ",
]


def pos_with_addenda02(sec: str) -> list[str]:
    ls = built([replace(DEBIT, amount_cents=10000)], sec=sec, description="SALE")
    ls[2] = put(ls[2], 79, "1")  # addenda indicator
    terminal = "702REFONEAREFTERM021000490614123456TARGET STORE 0049          PHILADELPHIA   PA" + ls[2][79:94]
    counts = put(ls[3], 5, "000002")
    control = put(ls[4], 14, "00000002")
    return ls[:3] + [terminal, counts, control] + ["9" * 94] * 4


@pytest.mark.parametrize("sec, lines", [("IAT", IAT), ("ADV", ADV), ("POS", pos_with_addenda02("POS")),
                                        ("SHR", pos_with_addenda02("SHR")), ("MTE", pos_with_addenda02("MTE"))])
def test_an_unsupported_sec_code_is_named_not_misread(sec, lines):
    result = read_ach(join(lines).encode())
    [unsupported] = [d for d in result.errors if d.rule == "unsupported"]
    assert (unsupported.line, unsupported.value) == (2, f"{sec} in batch 1")
    assert describe(unsupported) == f"line 2: unsupported SEC code {sec} in batch 1"
    misleading = {"company_name", "addenda_type_code", "service_class_code", "originator_status_code"}
    assert not [d for d in result.errors if d.field in misleading], [str(d) for d in result.errors]


# --- moov's rules


def test_moov_batch_header_rules():
    ls = built([DEBIT])
    status0 = read_ach(join(ls[:1] + [put(ls[1], 79, "0")] + ls[2:]).encode())  # 0 belongs to ADV
    assert ("BatchHeader", "originator_status_code", "code") in rules(status0)
    zeros = read_ach(join(ls[:1] + [put(ls[1], 54, "0000000000")] + ls[2:]).encode())  # reject reason 2m
    assert ("BatchHeader", "company_entry_description", "all_zeros") in rules(zeros)


def test_a_blank_immediate_destination_is_refused_even_where_bad_check_digits_are_tolerated():
    ls = built([DEBIT])
    blank = join([put(ls[0], 4, " " * 10)] + ls[1:]).encode()
    for tolerances in ((), {Tolerance.DESTINATION_CHECK_DIGIT}):
        result = read_ach(blank, tolerances)
        assert ("FileHeader", "immediate_destination", "required") in rules(result)
    bad_digit = join([put(ls[0], 4, " 231380105")] + ls[1:]).encode()
    assert not read_ach(bad_digit).valid and read_ach(bad_digit, {Tolerance.DESTINATION_CHECK_DIGIT}).valid


def test_a_zero_amount_on_a_live_entry_is_refused_but_a_prenote_is_not():
    assert ("EntryDetail", "amount", "zero") in rules(read_ach(join(built([replace(DEBIT, amount_cents=0)])).encode()))
    prenote = read_ach(join(built([replace(DEBIT, transaction_code=28, amount_cents=0)])).encode())
    assert prenote.valid, [str(d) for d in prenote.errors]


def test_a_trace_not_prefixed_by_the_odfi_is_refused_unless_the_bank_uses_custom_traces():
    ls = built([DEBIT])
    data = join(ls[:2] + [put(ls[2], 80, "99999999")] + ls[3:]).encode()
    assert ("EntryDetail", "trace_number", "odfi_prefix") in rules(read_ach(data))
    tolerated = read_ach(data, {Tolerance.CUSTOM_TRACE_NUMBERS})
    assert tolerated.valid and ("EntryDetail", "trace_number", "odfi_prefix") in rules(tolerated, "warning")
    assert_matches_reference(tolerated, {Tolerance.CUSTOM_TRACE_NUMBERS})


@pytest.mark.parametrize("description, tc, valid", [
    ("REVERSAL", 27, False),  # a TEL reversal holds credits only (moov batchTEL)
    ("REVERSAL", 22, True),
    ("PURCHASE", 27, True),  # a forward TEL batch holds debits only
    ("PURCHASE", 22, False),
])
def test_tel_direction(description, tc, valid):
    result = read_ach(join(built([replace(DEBIT, transaction_code=tc)], sec="TEL", description=description)).encode())
    assert result.valid == valid
    assert (("EntryDetail", "transaction_code_text", "tel_direction") in rules(result)) != valid


def test_enr_may_leave_its_effective_date_blank_others_may_not():
    enr = built([replace(DEBIT, transaction_code=23, amount_cents=0)], sec="ENR", description="AUTOENROLL")
    assert read_ach(join(enr[:1] + [put(enr[1], 70, " " * 6)] + enr[2:]).encode()).valid
    ccd = built([DEBIT])
    blank = read_ach(join(ccd[:1] + [put(ccd[1], 70, " " * 6)] + ccd[2:]).encode())
    assert ("BatchHeader", "effective_entry_date", "numeric") in rules(blank)


def test_batch_numbers_must_ascend_unless_tolerated():
    ls = built([DEBIT], batches=2)  # batches 0000001 and 0000002
    swapped = [put(line, 88, "0000002") if line.startswith(("5", "8")) and i < 4 else
               put(line, 88, "0000001") if line.startswith(("5", "8")) else line for i, line in enumerate(ls)]
    assert ("BatchHeader", "batch_number", "unordered") in rules(read_ach(join(swapped).encode()))
    assert read_ach(join(swapped).encode(), {Tolerance.UNORDERED_BATCH_NUMBERS}).valid


# --- returns without a Batch Header


def headerless_return() -> bytes:
    """moov's return-no-file-header-control.ach without its Batch Header and Batch Control either."""
    ls = (FIXTURES / "return-no-file-header-control.ach").read_text().split("\n")
    return join(ls[1:3]).encode()  # the entry and its addenda 99 only


def test_returns_without_a_batch_header_are_kept():
    strict = read_ach(headerless_return())
    assert not strict.valid and ("EntryDetail", "record_type", "outside_batch") in rules(strict)
    assert strict.entry_count == 1  # read, not dropped: `ach inspect` shows it
    tolerated = check_ach(headerless_return(), tolerances={Tolerance.MISSING_FILE_HEADER_CONTROL})
    assert tolerated.valid and tolerated.items == [("return", "R01", "091400600000001", 12354, 26)]
    assert ("EntryDetail", "record_type", "outside_batch") in {(d.record, d.field, d.rule) for d in tolerated.warnings}


# --- the profile


def test_tolerance_profiles_come_from_configuration(tmp_path):
    env = {"PAYGO_BANK_NACHA_TOLERANCES": "custom_return_codes, rdfi_check_digit"}
    assert load_settings(env, tmp_path).bank.nacha_tolerances == {Tolerance.CUSTOM_RETURN_CODES,
                                                                    Tolerance.RDFI_CHECK_DIGIT}
    assert load_settings({}, tmp_path).bank.nacha_tolerances == frozenset()  # strict by default
    (tmp_path / "paygo.toml").write_text('bank_nacha_tolerances = ["missing_file_header_control"]\n')
    assert load_settings({}, tmp_path).bank.nacha_tolerances == {Tolerance.MISSING_FILE_HEADER_CONTROL}
    with pytest.raises(ConfigError, match="unknown NACHA tolerance"):
        load_settings({"PAYGO_BANK_NACHA_TOLERANCES": "anything_goes"}, tmp_path)
    assert parse_tolerances(" ") == frozenset()


def test_inspect_reports_each_tolerated_deviation_as_a_warning(capsys, monkeypatch):
    path = str(FIXTURES / "return-PPD-custom-reason-code.ach")  # R97
    assert main(["ach", "inspect", path]) == 1
    capsys.readouterr()
    monkeypatch.setenv("PAYGO_BANK_NACHA_TOLERANCES", "custom_return_codes")
    assert main(["ach", "inspect", path]) == 0
    assert "warning: line 4: warning, tolerated: Addenda99.return_code code (found 'R97')" in capsys.readouterr().out
    assert main(["ach", "inspect", path, "--json", "--tolerate", "custom_return_codes"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] and any({"line": 4, "record": "Addenda99", "rule": "code", "value": "R97"}.items() <= w.items()
                                   for w in report["warnings"])
    assert main(["ach", "inspect", path, "--tolerate", "nonsense"]) == 2
