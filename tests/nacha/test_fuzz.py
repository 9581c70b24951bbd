"""Fuzzes the one NACHA reader with byte mutations of real files (bounded here; a longer soak is
`PAYGO_NACHA_FUZZ_EXAMPLES=20000 uv run pytest tests/nacha/test_fuzz.py`, docs/benchmarks.md):
no input makes `read_ach`, `check_ach` or `paygo ach inspect`'s report raise; the verdict is the
deviations' (valid exactly when no error); the column-wise reading agrees with the per-record
classes (reference.py); and under every tolerance a file is never less valid than strictly."""

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nacha_factories import FIXTURES
from paygo.commands.ach_inspect import inspect_report
from paygo.nacha.check import check_ach
from paygo.nacha.read import Tolerance, read_ach
from reference import assert_matches_reference

SEEDS = [(FIXTURES / name).read_bytes() for name in (
    "ccd-debit.ach", "return-WEB.ach", "cor-example.ach", "contested-return.ach", "ppd-debit.ach",
    "return-no-batch-controls.ach", "FISERV-ZEROFILE-PIMRET825324_032720_110221.ach", "dishonored-return.ach")]
EXAMPLES = int(os.environ.get("PAYGO_NACHA_FUZZ_EXAMPLES", "150"))
BYTES = st.sampled_from(list(b"0123456789 AZR9\n\r\xb2\xc3\xa9\x00\x1f\x8b-+\"\\"))


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        how = draw(st.integers(0, 5))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if how == 0 and data:
            data[at] = draw(BYTES)  # a byte changed
        elif how == 1 and data:
            del data[at]  # a byte lost
        elif how == 2:
            data.insert(at, draw(BYTES))  # a byte added
        elif how == 3:
            end = draw(st.integers(at, min(len(data), at + 200)))
            data[at:at] = data[at:end]  # a stretch doubled (records repeated)
        elif how == 4:
            del data[draw(st.integers(0, len(data))):]  # cut
        else:
            line = draw(st.integers(0, 12)) * 95
            data[line:line] = data[line:line + 95][::-1]  # a record reversed in place
    return bytes(data)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated())
def test_no_input_breaks_the_reader(data):
    read = read_ach(data)
    assert read.valid == (not read.errors)
    assert check_ach(data).valid == read.valid
    assert_matches_reference(read)
    report, batches = inspect_report(read)
    assert json.loads(json.dumps(report))["valid"] == read.valid
    parsed = json.loads("[" + "".join(batches) + "]")
    assert len(parsed) == len(read.batches) and sum(len(b["entries"]) for b in parsed) == read.entry_count
    lenient = read_ach(data, frozenset(Tolerance))
    assert read.valid <= lenient.valid
    assert lenient.entry_count == read.entry_count
