"""Pins that the one (column-wise) reader agrees with the per-record classes (reference.py): same
entries and the same deviations, on every fixture, read strictly and with every tolerance, and on a
mid-size generated file with planted errors."""

from datetime import date

import polars as pl
import pytest

from nacha_factories import FIXTURES, ccd_debit_spec
from paygo.nacha.build import BatchSpec
from paygo.nacha.read import Tolerance, read_ach
from paygo.nacha.write import write_columns
from reference import assert_matches_reference

ALL = frozenset(Tolerance)


def assert_agree(data: bytes, tolerances=frozenset()):
    read = read_ach(data, tolerances)
    assert_matches_reference(read, tolerances)
    return read


FIXTURE_NAMES = sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".ach", ".txt", ".gz"))
# every fixture strict and with every tolerance; the big (.gz) files strict only: they are read once
CASES = [pytest.param(name, frozenset(), id=f"{name}-strict") for name in FIXTURE_NAMES] + [
    pytest.param(name, ALL, id=f"{name}-every tolerance") for name in FIXTURE_NAMES if not name.endswith(".gz")]


@pytest.mark.parametrize("path, tolerances", CASES)
def test_fixtures_agree(path, tolerances):
    assert_agree((FIXTURES / path).read_bytes(), tolerances)


def mid_size_file(n=6000) -> bytes:
    spec, _ = ccd_debit_spec()
    frame = pl.DataFrame({
        "batch": [i * 12 // n for i in range(n)], "transaction_code": [27] * n,
        "routing_number": ["231380104", "121042882", "091400606"] * (n // 3),
        "account_number": [f"{i:09d}" for i in range(n)], "amount_cents": list(range(1, n + 1)),
        "individual_id": [f"INV-{i}" for i in range(n)], "individual_name": ["EMPLOYER"] * n,
    })
    batches = [BatchSpec(f"CO {b}", "1123456789", "PREMIUM", date(2026, 7, 6), ()) for b in range(12)]
    return write_columns(spec, batches, frame)


def test_mid_size_clean_file_agrees_and_is_valid():
    data = mid_size_file()
    fast = assert_agree(data)
    assert fast.valid and fast.entries.height == 6000
    assert fast.entries["amount_cents"].sum() == 6000 * 6001 // 2  # 1 + 2 + ... + 6000 cents


def test_mid_size_file_with_planted_errors_agrees():
    lines = mid_size_file().decode("ascii").split("\n")
    lines[5] = lines[5][:11] + "9" + lines[5][12:]  # wrong check digit on an entry
    lines[9] = lines[9][:29] + "00000x0001" + lines[9][39:]  # non-numeric amount
    lines[20] = lines[20][:1] + "25" + lines[20][3:]  # unknown transaction code
    data = "\n".join(lines).encode("ascii")
    fast = assert_agree(data)
    rules = {(d.line, d.field, d.rule) for d in fast.deviations}
    assert {(6, "check_digit", "check_digit"), (10, "amount", "numeric"), (21, "transaction_code_text", "code")} <= rules
    assert not fast.valid
