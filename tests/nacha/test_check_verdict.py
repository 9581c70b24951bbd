"""Pins the one verdict on a NACHA file (paygo.nacha.check.check_ach), shared by `ach inspect` and
`ach reconcile`: every way issue 17 cuts or alters a return file is an error; not-NACHA input is
refused as such, a broken gzip archive too, never raised; the column-wise reader reports exactly what
the per-record classes report (reference.py: fixtures, every alteration, 400 seeded random ones), and
its items are the records' items."""

import gzip
import json
import random
import sys
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "returns"))

from broken_files import BROKEN, FILL, NOT_NACHA, good_file, has_error, join, lines  # noqa: E402
from nacha_factories import FIXTURES  # noqa: E402
from paygo.cli import main  # noqa: E402
from paygo.nacha.check import check_ach, describe  # noqa: E402
from paygo.nacha.read import read_ach  # noqa: E402
from reference import assert_matches_reference  # noqa: E402

TODAY = date(2025, 3, 20)


def sample(tmp_path) -> bytes:
    returns = [{"code": c, "trace": f"0110000100000{i:02d}", "amount": 1000 + i, "account": "9876543210123",
                "tc": 27, "rdfi": "02100002", "name": "Bay Bakery"} for i, c in enumerate(["R01", "R03", "R01"], 1)]
    noc = {"code": "C01", "trace": "011000010000009", "amount": 0, "account": "9876543210123", "tc": 27,
           "rdfi": "02100002", "name": "Bay Bakery", "corrected": "1918171614"}
    return good_file(tmp_path, returns, noc, TODAY)


def assert_one_verdict(data: bytes):
    """check_ach is the reader's verdict, and the reader agrees with the per-record reference."""
    checked, read = check_ach(data), read_ach(data)
    assert checked.deviations == read.deviations
    assert_matches_reference(read)
    assert checked.items == (read.items() if read.valid else [])
    return checked


def test_the_good_file_is_valid(tmp_path):
    data = sample(tmp_path)
    checked = assert_one_verdict(data)
    assert checked.valid and checked.entry_count == 4
    assert checked.items == [("return", "R01", "011000010000001", 1001, 26), ("return", "R03", "011000010000002", 1002, 26),
                             ("return", "R01", "011000010000003", 1003, 26),
                             ("noc", "C01", "011000010000009", 0, 26, "1918171614")]


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_every_broken_file_is_invalid_with_its_reason(tmp_path, name):
    alter, expected = BROKEN[name]
    data = alter(sample(tmp_path))
    checked = assert_one_verdict(data)
    assert not checked.valid and checked.items == []
    assert has_error(checked.deviations, expected), [str(d) for d in checked.errors]


def test_the_control_checks_are_made_column_wise(tmp_path):
    """Wrong totals, hashes and counts are reported where the records' own checks put them."""
    for name in ("wrong batch debit total", "wrong file entry hash", "wrong batch count", "9-fill cut short",
                 "addenda indicator 1 with no addenda"):
        alter, expected = BROKEN[name]
        read = read_ach(alter(sample(tmp_path)))
        assert has_error(read.deviations, expected), name
        assert_matches_reference(read)


def test_a_batch_total_error_names_line_field_and_value(tmp_path):
    data = BROKEN["wrong batch debit total"][0](sample(tmp_path))
    [error] = check_ach(data).errors
    assert describe(error) == "line 9: BatchControl.total_debit mismatch: expected 3006 (found '000000003007')"


@pytest.mark.parametrize("name", sorted(NOT_NACHA))
def test_not_nacha_is_refused_as_such(name):
    checked = assert_one_verdict(NOT_NACHA[name])
    assert not checked.valid and checked.not_nacha
    [error] = checked.errors
    assert (error.record, error.field, error.rule) == ("File", "format", "not_nacha")
    assert describe(error).startswith("file: not a NACHA file (")


def test_a_heartbeat_is_valid_with_nothing_in_it():
    data = (FIXTURES / "FISERV-ZEROFILE-PIMRET825324_032720_110221.ach").read_bytes()
    assert not check_ach(data).valid  # strict: its header's routing numbers fail their check digits
    checked = check_ach(data, tolerances={"destination_check_digit", "origin_check_digit", "file_id_modifier"})
    assert checked.valid and not checked.not_nacha and checked.entry_count == 0 and checked.items == []


def test_a_broken_gzip_archive_is_an_error_not_an_exception(tmp_path):
    data = gzip.compress(sample(tmp_path))
    assert check_ach(data).valid
    for broken in (data[:-20], data[:15], data[:-8] + b"\x00" * 8):  # cut; cut in the header; bad CRC
        checked = check_ach(broken)
        assert not checked.valid and checked.not_nacha
        assert [(d.record, d.field, d.rule) for d in checked.errors] == [("File", "gzip", "truncated_or_corrupt")]
        assert read_ach(broken).errors == checked.errors


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".ach", ".txt")))
def test_fixtures_get_one_verdict(name):
    assert_one_verdict((FIXTURES / name).read_bytes())


def test_seeded_random_damage_gets_one_verdict(tmp_path):
    """400 random alterations of the good file (a character changed, dropped or added, a line dropped,
    doubled or swapped, digits bumped): the reader answers as the per-record reference."""
    good = lines(sample(tmp_path))
    rng = random.Random(17)
    refused = 0
    for _ in range(400):
        ls = list(good)
        i = rng.randrange(len(ls))
        p = rng.randrange(94)
        how = rng.randrange(6)
        if how == 0:
            ls[i] = ls[i][:p] + rng.choice("0123456789 AR9") + ls[i][p + 1 :]
        elif how == 1:
            ls[i] = ls[i][:p] + ls[i][p + 1 :]
        elif how == 2:
            ls[i] = ls[i][:p] + rng.choice("07 ") + ls[i][p:]
        elif how == 3:
            del ls[i]
        elif how == 4:
            ls.insert(i, ls[i])
        else:
            j = rng.randrange(len(ls))
            ls[i], ls[j] = ls[j], ls[i]
        data = join(ls)
        read = read_ach(data)
        assert_matches_reference(read)
        refused += not read.valid
    assert refused > 200  # damage is noticed


def test_right_trimmed_lines_stay_tolerated_but_a_lost_character_is_not(tmp_path):
    ls = lines(sample(tmp_path))
    trimmed = join([line.rstrip() for line in ls])
    assert check_ach(trimmed).valid
    assert not check_ach(join(ls[:13] + [ls[13].rstrip() + " "] + ls[14:])).valid  # a space kept: cut
    assert check_ach(join(ls[:14])).valid  # no 9-fill at all, as moov's return-WEB.ach: tolerated


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_inspect_calls_every_broken_file_invalid(tmp_path, capsys, name):
    path = tmp_path / "broken.ach"
    path.write_bytes(BROKEN[name][0](sample(tmp_path)))
    assert main(["ach", "inspect", str(path), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False and report["errors"]


@pytest.mark.parametrize("name", sorted(NOT_NACHA))
def test_inspect_says_not_nacha(tmp_path, capsys, name):
    path = tmp_path / "x.ach"
    path.write_bytes(NOT_NACHA[name])
    assert main(["ach", "inspect", str(path)]) == 1
    assert "INVALID; not a NACHA file" in capsys.readouterr().out


def test_blocks_of_fill_alone_are_not_nacha():
    checked = check_ach(join([FILL] * 20))
    assert checked.not_nacha and describe(checked.errors[0]) == "file: not a NACHA file (only 9-fill records)"
