"""Pins the builder and writers: ccd-debit.ach rebuilt byte for byte, every total recomputed on read,
the column-wise writer byte-identical to the per-record one, and the independent validators achkit
and achlens accepting what we write."""

from dataclasses import replace
from datetime import date

import achkit
import achlens.core as achlens
import polars as pl
import pytest

from nacha_factories import FIXTURES, ccd_debit_spec
from paygo.nacha.build import BatchSpec, EntrySpec, build_file
from paygo.nacha.read import read_ach
from paygo.nacha.validate import validate_file
from paygo.nacha.write import write_ach, write_columns


def mixed_file_bytes() -> bytes:
    spec, _ = ccd_debit_spec()
    batches = [
        BatchSpec("ACME ROOFING", "1123456789", "PREMIUM", date(2026, 7, 6), [
            EntrySpec(27, "231380104", "111222333", 271500, "INV-1", "ACME ROOFING"),
            EntrySpec(37, "121042882", "99887766", 1, "INV-2", "ACME ROOFING"),
        ]),
        BatchSpec("ACME ROOFING", "1123456789", "REFUND", date(2026, 7, 6), [
            EntrySpec(22, "091400606", "5550001", 999, "INV-3", "ACME", addenda_information="refund of INV-3"),
            EntrySpec(27, "091400606", "5550001", 1000, "INV-4", "ACME"),
        ]),
    ]
    return write_ach(build_file(spec, batches))


def test_rebuilds_ccd_debit_fixture_byte_for_byte():
    spec, batches = ccd_debit_spec()
    built = build_file(spec, batches)
    assert validate_file(built) == []
    assert write_ach(built, final_newline=False) == (FIXTURES / "ccd-debit.ach").read_bytes()


def test_built_file_reads_back_with_every_total():
    result = read_ach(mixed_file_bytes())
    assert result.deviations == ()
    f = result.file
    # batch 1: debits 271500 + 1 = 271501, hash 23138010 + 12104288 = 35242298, service 225 (all debits)
    b1 = f.batches[0].control
    assert (f.batches[0].header.service_class_code, b1.total_debit, b1.entry_hash) == ("225", "000000271501", "0035242298")
    # batch 2: mixed -> 200; credit 999, debit 1000; 2 entries + 1 addenda = 3
    b2 = f.batches[1].control
    assert (f.batches[1].header.service_class_code, b2.total_credit, b2.total_debit, b2.entry_addenda_count) == (
        "200", "000000000999", "000000001000", "000003")
    # traces: ODFI prefix 03130001 + a sequence running across the file
    assert [e.trace_number for e in f.entries] == [f"03130001000000{i}" for i in range(1, 5)]
    # file: 2 + (2+2) + (2+2+1) = 11 records -> 2 blocks; 9 fill records make 20 lines
    assert (f.control.batch_count, f.control.block_count, f.control.entry_addenda_count) == ("000002", "000002", "00000005")
    assert mixed_file_bytes().count(b"\n") == 20


def test_builder_refuses_bad_routing():
    spec, batches = ccd_debit_spec()
    bad = replace(batches[0], entries=[EntrySpec(27, "231380105", "1", 1)])
    with pytest.raises(ValueError, match="check digit"):
        build_file(spec, [bad])


def test_independent_validators_accept_what_we_write():
    text = mixed_file_bytes().decode("ascii")
    assert achkit.validate(text) == {"ok": True, "errors": []}
    report = achlens.validate(text)
    assert report.valid and report.counts["error"] == 0, report.findings
    spec, batches = ccd_debit_spec()
    text2 = write_ach(build_file(spec, batches)).decode("ascii")
    assert achkit.validate(text2)["ok"] and achlens.validate(text2).valid


def test_column_writer_matches_record_writer():
    spec, _ = ccd_debit_spec()
    rows = [(i % 3, 27 if i % 4 else 22, ["231380104", "121042882"][i % 2], f"ACCT{i}", 100 + i, f"INV-{i}", "EMPLOYER")
            for i in range(40)]
    frame = pl.DataFrame(rows, schema={"batch": pl.Int64, "transaction_code": pl.Int64, "routing_number": pl.String,
                                       "account_number": pl.String, "amount_cents": pl.Int64,
                                       "individual_id": pl.String, "individual_name": pl.String}, orient="row")
    batches = [BatchSpec(f"CO {b}", "1123456789", "PREMIUM", date(2026, 7, 6),
                         [EntrySpec(tc, r, a, c, i, n) for bb, tc, r, a, c, i, n in rows if bb == b]) for b in range(3)]
    assert write_columns(spec, batches, frame) == write_ach(build_file(spec, batches))
    with pytest.raises(ValueError, match="routing"):
        write_columns(spec, batches, frame.with_columns(routing_number=pl.lit("231380105")))
