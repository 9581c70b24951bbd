"""The one verdict on a NACHA file, shared by `paygo ach inspect` and `paygo ach reconcile`.

Rule: a file is valid when `read.read_ach` reports no error (warnings are the tolerances a bank's
file is allowed, see read.py). `check_ach` returns that verdict, every deviation, and the returns
and NOCs the file carries (only when valid: nothing is taken from a broken file). A well-formed
file (LF line ends, 94 printable characters a line, records in the order 1 (5 (6 7*)* 8)* 9 then
complete 9-fill) is checked in one pass that also slices out the items: entries and ordinary
addenda 99 are tested against a shape that implies `validate()` finds nothing (digits where the
layout says numeric, a known transaction code, the RDFI check digit, an account present, an
indicator of 0 or 1, a NACHA return code), headers, controls and any other addenda are parsed and
validated as records, and the Batch and File Controls are compared with counts, hash and totals
summed while slicing. Anything else in such a file (an entry of another shape, an addenda type we
do not read) hands the whole file to `read_ach`, as does every file not in that shape; so the one
pass only ever answers where its deviations are exactly `read_ach`'s (tests/nacha pin this on
fixtures and on every cut and alteration they make).
Worked example: the sandbox bank's file of 3 returns and 1 NOC (2 batches, 20 lines) -> valid,
4 items; its Batch Control total_debit changed from 3006 to 3007 -> "line 9: error
BatchControl.total_debit mismatch: expected 3006", no items.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from paygo.nacha import codes
from paygo.nacha.fields import RECORD_LENGTH, check_digit
from paygo.nacha.read import FILL, Deviation, _from, padding_deviation, read_ach, unpack
from paygo.nacha.records import (
    AchFile,
    BatchControl,
    BatchHeader,
    FieldError,
    FileControl,
    FileHeader,
    parse_addenda,
)
from paygo.nacha.validate import HASH_MODULUS, Totals, compare_batch_control, compare_file_control

STRUCTURE = re.compile(rb"1(?:5(?:67*)*8)*9+")
PRINTABLE_AND_LF = bytes(range(0x20, 0x7F)) + b"\n"
STRIDE = RECORD_LENGTH + 1
# Entry Detail: tc, RDFI, check digit, account (not blank), amount, ..., indicator 0/1, trace.
ENTRY = re.compile(r"6(\d\d)(\d{8})(\d)(?! {17}).{17}(\d{10}).{39}([01])\d{15}").fullmatch
# Addenda 99 (return): code, original trace, date of death, original RDFI, information, trace.
ADDENDA99 = re.compile(r"799(R\d\d)(\d{15}).{6}\d{8}.{44}\d{15}").fullmatch
# Return codes whose addenda use the plain Addenda99 layout (dishonored/contested have their own).
PLAIN_RETURN_CODES = frozenset(codes.RETURN_CODES) - codes.DISHONORED_RETURN_CODES - codes.CONTESTED_RETURN_CODES
FILL_LINE = FILL.encode("ascii")

# An item: (kind "return" | "noc", code, original trace, amount cents, transaction code, corrected data)
Item = Any


def _tuple(*fields: Any) -> tuple:
    return fields


@dataclass(frozen=True)
class Checked:
    """A file's verdict: its deviations, the entries it holds and, when valid, its returns and NOCs."""

    deviations: tuple[Deviation, ...]
    items: list[Item]  # empty unless valid
    entry_count: int
    file: AchFile | None = None  # the records, when read record by record

    @property
    def errors(self) -> list[Deviation]:
        return [d for d in self.deviations if d.severity == "error"]

    @property
    def valid(self) -> bool:
        return not any(d.severity == "error" for d in self.deviations)

    @property
    def not_nacha(self) -> bool:
        """Refused as a whole for what it is: not NACHA, or a gzip archive that does not open."""
        return any(d.record == "File" and d.rule in ("not_nacha", "truncated_or_corrupt") for d in self.deviations)


# Fields whose text may hold an account number: a deviation's value is never shown for them.
ACCOUNT_FIELDS = frozenset({"dfi_account_number", "corrected_data"})


def describe(d: Deviation) -> str:
    """One violation by line, record and field, with the text found (never an account number):
    "line 9: BatchControl.total_debit mismatch: expected 3006 (found '000000003007')"."""
    where = f"line {d.line}" if d.line is not None else "file"
    found = f" (found {d.value!r})" if d.value and d.field not in ACCOUNT_FIELDS else ""
    if d.rule == "not_nacha":
        return f"{where}: not a NACHA file ({d.value})"
    if d.rule == "truncated_or_corrupt":
        return f"{where}: gzip archive truncated or corrupt ({d.value})"
    return f"{where}: {d.record}.{d.field} {d.rule}{found}"


def check_ach(data: bytes, *, records: bool = False, item: Callable[..., Item] = _tuple) -> Checked:
    """The verdict on NACHA bytes (gzip accepted); never raises for bad content.

    `records=True` also returns the parsed file (what `ach inspect` prints); `item` builds each
    return/NOC from (kind, code, original trace, amount cents, transaction code, corrected data)."""
    raw, broken = unpack(data)
    if broken is not None:
        return Checked((broken,), [], 0)
    if not records:
        fast = _scan(raw, item)
        if fast is not None:
            return fast
    read = read_ach(raw)
    file = read.file
    items = items_of(file, item) if read.valid else []
    return Checked(read.deviations, items, len(file.entries), file)


def items_of(file: AchFile, item: Callable[..., Item] = _tuple) -> list[Item]:
    """Each entry's return (its LAST addenda 99: the latest word) or else its NOC (first addenda 98)."""
    out = []
    for e in file.entries:
        nines = [a for a in e.addenda if a.addenda_type_code == "99"]
        if nines:
            out.append(item("return", nines[-1].return_code, nines[-1].original_trace, e.amount_cents,
                            e.transaction_code))
        elif (noc := e.noc_addenda) is not None:
            out.append(item("noc", noc.change_code, noc.original_trace, e.amount_cents, e.transaction_code,
                            noc.corrected_data.rstrip()))
    return out


def _well_formed(raw: bytes) -> tuple[bytes, int] | None:
    """(body without its last line feed, 0-based line of the File Control) for a file in the one-pass shape."""
    body = raw[:-1] if raw.endswith(b"\n") else raw
    lines = (len(body) + 1) // STRIDE
    if (len(body) + 1) % STRIDE or body.translate(None, PRINTABLE_AND_LF):
        return None
    if body.count(b"\n") != lines - 1 or body[RECORD_LENGTH::STRIDE] != b"\n" * (lines - 1):
        return None
    types = body[::STRIDE]
    if STRUCTURE.fullmatch(types) is None:
        return None
    control_at = types.index(b"9")
    if body[control_at * STRIDE : control_at * STRIDE + RECORD_LENGTH] == FILL_LINE:
        return None  # 9-fill where the File Control belongs: the record reader says it is missing
    fill = lines - control_at - 1
    if fill and body[(control_at + 1) * STRIDE :] != b"\n".join([FILL_LINE] * fill):
        return None
    return body, control_at


def _scan(raw: bytes, item: Callable[..., Item]) -> Checked | None:
    """The one pass over a well-formed file (see the module docstring); None hands it to `read_ach`."""
    shape = _well_formed(raw)
    if shape is None:
        return None
    body, control_at = shape
    types = body[: (control_at + 1) * STRIDE : STRIDE] + b"9"  # types[n]: the type of the line after line n
    lines = body[: (control_at + 1) * STRIDE - 1].decode("ascii").split("\n")
    dev: list[Deviation] = []
    header = FileHeader.parse(lines[0])
    dev += [_from(e, 1) for e in header.validate()]
    items: list[Item] = []
    append = items.append
    rdfi_values: dict[str, int] = {}
    transaction_codes = codes.TRANSACTION_CODES
    batches = entry_count = 0
    file_count = file_hash = file_debit = file_credit = 0
    batch_header: BatchHeader | None = None
    batch_line = 0
    wrong_debit = wrong_credit = False  # the batch's service class forbids debits / credits
    hash_ = debit = credit = 0
    batch_errors: list[FieldError] = []
    tc = amount = 0  # of the entry the addenda below it belong to
    last99: tuple[str, str] | None = None
    first98: tuple[str, str, str] | None = None
    seven = ord("7")

    for n, line in enumerate(lines, start=1):
        kind = line[0]
        if kind == "7":  # an entry's item is known at its last addenda: the last 99, else the first 98
            m = ADDENDA99(line)
            if m is not None and m[1] in PLAIN_RETURN_CODES:
                if types[n] != seven:
                    append(item("return", m[1], m[2], amount, tc))
                else:
                    last99 = (m[1], m[2])
                continue
            try:
                record = parse_addenda(line)
            except ValueError:
                return None  # an addenda type we do not read: the record reader reports it
            dev += [_from(e, n) for e in record.validate()]
            if record.addenda_type_code == "99":
                last99 = (record.return_code, record.original_trace)
            elif record.addenda_type_code == "98" and first98 is None:
                first98 = (record.change_code, record.original_trace, record.corrected_data.rstrip())
            if types[n] != seven:
                if last99 is not None:
                    append(item("return", last99[0], last99[1], amount, tc))
                elif first98 is not None:
                    append(item("noc", first98[0], first98[1], amount, tc, first98[2]))
        elif kind == "6":
            m = ENTRY(line)
            if m is None:
                return None
            tc_text, rdfi, digit, amount_text, indicator = m.groups()
            tc = int(tc_text)
            routing = line[3:12]
            rdfi_value = rdfi_values.get(routing)  # the RDFI as a number when its check digit holds, else -1
            if rdfi_value is None:
                rdfi_value = rdfi_values[routing] = int(rdfi) if check_digit(rdfi) == int(digit) else -1
            if rdfi_value < 0 or tc not in transaction_codes:
                return None
            amount = int(amount_text)
            last99 = first98 = None
            entry_count += 1
            hash_ += rdfi_value
            if tc % 10 >= 5:
                debit += amount
                wrong = wrong_debit
            else:
                credit += amount
                wrong = wrong_credit
            if indicator != ("1" if types[n] == seven else "0"):
                batch_errors.append(FieldError("EntryDetail", "addenda_record_indicator", "addenda_mismatch",
                                               line[79:94]))
            if wrong:
                batch_errors.append(FieldError("EntryDetail", "transaction_code_text", "service_class", tc_text))
        elif kind == "5":
            batch_header, batch_line = BatchHeader.parse(line), n
            dev += [_from(e, n) for e in batch_header.validate()]
            text = batch_header.service_class_code
            service = int(text) if text.isascii() and text.isdigit() else 0
            wrong_debit, wrong_credit = service == codes.CREDITS_ONLY, service == codes.DEBITS_ONLY
            hash_ = debit = credit = 0
            batch_errors = []
        elif kind == "8":
            assert batch_header is not None
            control = BatchControl.parse(line)
            dev += [_from(e, n) for e in control.validate()]
            dev += [_from(e, n) for e in batch_errors]
            count = n - batch_line - 1  # the batch's entries and addenda
            dev += [_from(e, n) for e in compare_batch_control(batch_header, control,
                                                               Totals(count, hash_ % HASH_MODULUS, debit, credit))]
            batches += 1
            file_count, file_hash = file_count + count, file_hash + hash_
            file_debit, file_credit = file_debit + debit, file_credit + credit
        elif kind == "9":  # the File Control (STRUCTURE puts it last)
            control_record = FileControl.parse(line)
            dev += [_from(e, n) for e in control_record.validate()]
            dev += [_from(e, n) for e in compare_file_control(
                control_record, batches, control_at + 1,
                Totals(file_count, file_hash % HASH_MODULUS, file_debit, file_credit))]
    total_lines = (len(body) + 1) // STRIDE
    if total_lines > control_at + 1 and (short := padding_deviation(total_lines)) is not None:
        dev.append(short)
    valid = not any(d.severity == "error" for d in dev)
    return Checked(tuple(dev), items if valid else [], entry_count)
