"""The reference the one reader is compared with: the per-record classes of paygo.nacha.records.

`record_level(result)` validates every record the reader kept, one object at a time (`validate()`),
plus `validate.validate_batch` per batch and `validate_file_control` for the file, with the same
tolerance profile; `assert_matches_reference(result)` asserts the reader's column-wise deviations
of those kinds are exactly these, that its entries are the records' and that its returns/NOCs are
`check.items_of` the records. Structural deviations (missing, misplaced, outside a batch, lengths,
encoding, 9-fill) have one owner, the reader's line walk, and are pinned by their own tests.
"""

from __future__ import annotations

from paygo.nacha.check import items_of
from paygo.nacha.read import ReadResult, severity_of
from paygo.nacha.validate import validate_batch, validate_file_control

STRUCTURAL_RULES = {"missing", "misplaced", "outside_batch", "outside_entry", "after_file_control", "unsupported",
                    "unordered", "blank_line", "fill_incomplete", "not_allowed"}


def key(d):
    return (d.line or 0, d.record, d.field, d.rule, d.value, d.severity)


def record_level(result: ReadResult, tolerances=frozenset()) -> list[tuple]:
    out = []
    for line, record in result.numbered_records():
        out += [(line, e.record, e.field, e.rule, e.value, severity_of(e, tolerances)) for e in record.validate()]
    file = result.file
    for read_batch, batch in zip(result.batches, file.batches):
        if read_batch.unsupported or read_batch.synthetic:
            continue
        where = read_batch.control_line or read_batch.header_line
        out += [(where, e.record, e.field, e.rule, e.value, severity_of(e, tolerances)) for e in validate_batch(batch)]
    if result.control is not None and not any(b.unsupported for b in result.batches):
        out += [(result.control_line, e.record, e.field, e.rule, e.value, severity_of(e, tolerances))
                for e in validate_file_control(file)]
    return sorted(out)


def assert_matches_reference(result: ReadResult, tolerances=frozenset()) -> None:
    mine = sorted(key(d) for d in result.deviations
                  if d.record not in ("File", "Record", "Addenda") and d.rule not in STRUCTURAL_RULES)
    assert mine == record_level(result, tolerances)
    file = result.file
    assert [e.trace_number for e in file.entries] == result.entries["trace_number"].to_list()
    assert [e.amount_cents if e.amount.isascii() and e.amount.isdigit() else None for e in file.entries] \
        == result.entries["amount_cents"].to_list()
    if result.valid:  # items are only ever taken from a valid file
        assert result.items() == items_of(file)
