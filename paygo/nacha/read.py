"""Read a NACHA file from bytes into records, reporting each deviation as a value.

Rule (NACHA file-reject reasons, moov-io/ach reader.go; our reader policy): strict about what we
write, forgiving about what banks send back. Tolerated, reported as warnings: right-trimmed lines
(padded back to 94), CRLF line ends, records without line breaks when the length is a multiple of
94, a missing File Header / File Control in a fragment that holds only returns or NOCs, missing
Batch Controls in such a fragment, zero-entry files, 9-filled blocks, a file without 9-fill,
bank-specific return codes R97-R99, a bad check digit in the File Header's immediate destination.
Refused, reported as errors (never raised): what is not a NACHA file at all (empty, blank, only
9-fill, no File Header or Batch Header record: a CSV), a gzip archive cut short or corrupt, a
length that is not a multiple of 94 without line breaks, a File Header after other records (1e),
a record after the File Control (1k), a company name of zeros (2l), unknown return/change codes
(R96, C92), a wrong RDFI check digit, controls that disagree with their entries, and the marks of
a cut or damaged transfer: a file that has its File Header but lacks its File Control or a Batch
Control, a short record ending in a space (a right-trimmed one never does: a character was lost),
9-fill that stops short of a whole block of ten records.
Worked example: return-no-file-header-control.ach reads as 1 batch with 1 R01 return and two
warnings (missing FileHeader, missing FileControl); `valid` stays True. The same return cut from a
file that has its File Header (header, batch header, entry, addenda, then nothing) is refused:
"file: error FileControl.record_type missing".
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass

from paygo.nacha.fields import BLOCKING_FACTOR, RECORD_LENGTH
from paygo.nacha.records import (
    AchFile,
    Addenda,
    Batch,
    BatchControl,
    BatchHeader,
    EntryDetail,
    FieldError,
    FileControl,
    FileHeader,
    parse_addenda,
)
from paygo.nacha.validate import validate_batch, validate_file_control

FILL = "9" * RECORD_LENGTH
# A line that opens a NACHA file or fragment: a File Header (type 1, priority 01) or a Batch Header.
NACHA_OPENINGS = ("101", "5200", "5220", "5225")
# Record-level rules a bank's file may break without us refusing it (see the module docstring).
TOLERATED = frozenset({
    ("FileHeader", "immediate_destination", "check_digit"),
    ("FileHeader", "file_id_modifier", "uppercase_or_digit"),
})


@dataclass(frozen=True)
class Deviation:
    """One way a file departs from the spec: line (1-based; None for the whole file), record, field, rule."""

    line: int | None
    record: str
    field: str
    rule: str
    severity: str  # "error" (the file is refused) or "warning" (tolerated, reported)
    value: str = ""

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "file"
        return f"{where}: {self.severity} {self.record}.{self.field} {self.rule}"


@dataclass(frozen=True)
class ReadResult:
    file: AchFile
    deviations: tuple[Deviation, ...]

    @property
    def errors(self) -> list[Deviation]:
        return [d for d in self.deviations if d.severity == "error"]

    @property
    def valid(self) -> bool:
        return not self.errors


def _from(err: FieldError, line: int | None) -> Deviation:
    severity = "warning" if (err.record, err.field, err.rule) in TOLERATED else err.severity
    return Deviation(line, err.record, err.field, err.rule, severity, err.value)


def maybe_gunzip(data: bytes) -> bytes:
    """Decompress gzip input (magic 1f 8b); other bytes pass through. Raises on a broken archive."""
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def unpack(data: bytes) -> tuple[bytes, Deviation | None]:
    """`maybe_gunzip` that reports a truncated or corrupt archive as an error instead of raising."""
    try:
        return maybe_gunzip(data), None
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        return b"", Deviation(None, "File", "gzip", "truncated_or_corrupt", "error", type(exc).__name__)


def not_nacha(text: str, lines: list[str]) -> Deviation | None:
    """The one deviation of a file that is not NACHA at all (why, as its value), else None."""
    if not text:
        why = "empty"
    elif not text.strip():
        why = "blank"
    elif any(line.startswith(NACHA_OPENINGS) for line in lines):
        return None
    elif all(line == FILL or not line.strip() for line in lines):
        why = "only 9-fill records"
    else:
        why = "no File Header or Batch Header record"
    return Deviation(None, "File", "format", "not_nacha", "error", why)


def padding_deviation(records: int) -> Deviation | None:
    """9-fill must complete the last block of ten records: fewer means the file was cut."""
    if records % BLOCKING_FACTOR:
        return Deviation(None, "File", "block_count", "fill_incomplete", "error", str(records))
    return None


def split_records(text: str) -> tuple[list[str], list[Deviation]]:
    """Lines of the file, with deviations for CRLF and missing line breaks; [] when refused."""
    deviations: list[Deviation] = []
    if "\r" in text:
        deviations.append(Deviation(None, "File", "line_end", "crlf", "warning"))
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\n" not in text.rstrip("\n") and len(text.rstrip("\n")) > RECORD_LENGTH:
        body = text.rstrip("\n")
        if len(body) % RECORD_LENGTH:
            deviations.append(Deviation(None, "File", "length", "not_multiple_of_94", "error", str(len(body))))
            return [], deviations
        deviations.append(Deviation(None, "File", "line_end", "no_line_breaks", "warning"))
        return [body[i : i + RECORD_LENGTH] for i in range(0, len(body), RECORD_LENGTH)], deviations
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines, deviations


class _Reader:
    def __init__(self) -> None:
        self.dev: list[Deviation] = []
        self.header: FileHeader | None = None
        self.control: FileControl | None = None
        self.control_line: int | None = None
        self.batches: list[Batch] = []
        self.batch_header: BatchHeader | None = None
        self.batch_header_line = 0
        self.entries: list[EntryDetail] = []
        self.addenda: list[Addenda] = []
        self.seen_record = False
        self.fill_started = False
        self.records = 0  # non-blank lines, 9-fill included

    def note(self, line: int | None, record: str, field: str, rule: str, severity: str = "error", value: str = "") -> None:
        self.dev.append(Deviation(line, record, field, rule, severity, value))

    def check(self, record: FileHeader | BatchHeader | EntryDetail | BatchControl | FileControl | Addenda, n: int) -> None:
        self.dev.extend(_from(e, n) for e in record.validate())

    def flush_entry(self) -> None:
        if self.entries and self.addenda:
            last = self.entries[-1]
            self.entries[-1] = EntryDetail(**{**last.__dict__, "addenda": tuple(self.addenda)})
        self.addenda = []

    def close_batch(self, control: BatchControl | None, n: int) -> None:
        self.flush_entry()
        assert self.batch_header is not None
        batch = Batch(self.batch_header, tuple(self.entries), control)
        where = n if control is not None else self.batch_header_line
        if control is None:  # tolerated only in a fragment: a file with its File Header was cut
            severity = "error" if self.header is not None else "warning"
            self.note(self.batch_header_line, "BatchControl", "record_type", "missing", severity)
        self.dev.extend(_from(e, where) for e in validate_batch(batch))
        self.batches.append(batch)
        self.batch_header, self.entries = None, []

    def line(self, n: int, raw: str) -> None:
        self.records += 1
        if len(raw) < RECORD_LENGTH:
            if raw.endswith(" "):  # not right-trimmed: a character is missing
                self.note(n, "Record", "length", "short", "error", str(len(raw)))
            else:
                self.note(n, "Record", "length", "right_trimmed", "warning", str(len(raw)))
            raw = raw.ljust(RECORD_LENGTH)
        elif len(raw) > RECORD_LENGTH:
            rule, sev = ("trailing_spaces", "warning") if not raw[RECORD_LENGTH:].strip() else ("too_long", "error")
            self.note(n, "Record", "length", rule, sev, str(len(raw)))
            raw = raw[:RECORD_LENGTH]
        kind = raw[0]
        if raw == FILL:
            self.fill_started = True
            return
        if self.control is not None or self.fill_started:
            self.note(n, "Record", "record_type", "after_file_control", value=kind)  # reject reason 1k
            return
        if kind == "1":
            if self.header is not None or self.seen_record:
                self.note(n, "FileHeader", "record_type", "misplaced", value=kind)  # reject reason 1e
                return
            self.header = FileHeader.parse(raw)
            self.check(self.header, n)
        elif kind == "5":
            if self.batch_header is not None:
                self.close_batch(None, n)
            self.batch_header, self.batch_header_line = BatchHeader.parse(raw), n
            self.check(self.batch_header, n)
        elif kind == "6":
            if self.batch_header is None:
                self.note(n, "EntryDetail", "record_type", "outside_batch", value=kind)
                return
            self.flush_entry()
            entry = EntryDetail.parse(raw)
            self.check(entry, n)
            self.entries.append(entry)
        elif kind == "7":
            if not self.entries:
                self.note(n, "Addenda", "record_type", "outside_entry", value=kind)
                return
            try:
                addenda = parse_addenda(raw)
            except ValueError:
                self.note(n, "Addenda", "addenda_type_code", "code", value=raw[1:3])
                return
            self.check(addenda, n)
            self.addenda.append(addenda)
        elif kind == "8":
            if self.batch_header is None:
                self.note(n, "BatchControl", "record_type", "outside_batch", value=kind)
                return
            control = BatchControl.parse(raw)
            self.check(control, n)
            self.close_batch(control, n)
        elif kind == "9":
            if self.batch_header is not None:
                self.close_batch(None, n)
            self.control, self.control_line = FileControl.parse(raw), n
            self.check(self.control, n)
        else:
            self.note(n, "Record", "record_type", "code", value=kind)
        self.seen_record = True

    def finish(self) -> AchFile:
        if self.batch_header is not None:
            self.close_batch(None, self.batch_header_line)
        file = AchFile(self.header, tuple(self.batches), self.control)
        entries = file.entries
        fragment = bool(entries) and all(e.is_return or e.is_noc for e in entries)
        severity = "warning" if fragment else "error"  # only a returns/NOC fragment may lack them
        if self.header is None:
            self.note(None, "FileHeader", "record_type", "missing", severity)
        if self.control is None:  # with its File Header present, the file was cut
            self.note(None, "FileControl", "record_type", "missing", "error" if self.header is not None else severity)
        else:
            self.dev.extend(_from(e, self.control_line) for e in validate_file_control(file))
        if self.fill_started and (short := padding_deviation(self.records)) is not None:
            self.dev.append(short)
        return file


EMPTY = AchFile(None, (), None)


def read_ach(data: bytes) -> ReadResult:
    """Parse NACHA bytes (gzip accepted); never raises for bad content: deviations say what is wrong."""
    raw, broken = unpack(data)
    if broken is not None:
        return ReadResult(EMPTY, (broken,))
    text = raw.decode("latin-1")
    lines, deviations = split_records(text)
    if lines or not deviations:
        if (other := not_nacha(text, lines)) is not None:
            return ReadResult(EMPTY, (other,))
    reader = _Reader()
    reader.dev.extend(deviations)
    for n, raw in enumerate(lines, start=1):
        if not raw.strip():
            reader.note(n, "Record", "record_type", "blank_line", "warning")
            continue
        reader.line(n, raw)
    if not lines and any(d.severity == "error" for d in deviations):
        return ReadResult(EMPTY, tuple(deviations))  # refused before any record
    file = reader.finish()
    return ReadResult(file, tuple(reader.dev))
