"""The one NACHA reader: bytes in, records and columns out, every deviation reported as a value.

Rule (NACHA file-reject reasons; moov-io/ach reader.go and ValidateOpts; our reader policy): strict
about what we write, and about what banks send unless the bank's tolerance profile (`Tolerance`,
configured per bank connection, docs/nacha-tolerances.md) names the deviation; a tolerated deviation
is still reported, as a warning. What moov accepts by default is always accepted, as a warning: CRLF
line ends, right-trimmed lines (9-fill included), trailing spaces past 94, records without line breaks
when the length is a multiple of 94, blank lines, a file without 9-fill, a UTF-8 or Windows-1252 file
(decoded so that positions count characters, not bytes; a character NACHA does not allow is then an
error at its line and position). Refused, reported as errors (never raised): what is not NACHA at all,
a gzip archive cut short, a length not a multiple of 94 without line breaks, a File Header after
other records (1e), a record after the File Control (1k; a line of 9s there is fill), zeros for a
company name or entry description (2l, 2m), unknown codes, a non-ASCII digit in a numeric field,
controls that disagree with their entries, a cut transfer (File Header present but a Batch or File
Control missing, a short record ending in a space, 9-fill short of a block), batches of a SEC code we
do not read (IAT, ADV, POS/SHR/MTE with addenda 02: "unsupported SEC code IAT in batch 1"), and moov's
rules (originator status code, trace prefix = ODFI, zero amount on a live entry, TEL direction).

How: the lines are normalised once, the record order is checked on the string of record types
(a regular expression for a well-formed file, a walk otherwise), then every field is sliced
column-wise with polars at positions taken from the record classes' `LAYOUT` (paygo.nacha.records,
the layout's one definition). A vectorised screen derived from the same `LAYOUT` (digits where
numeric, printable ASCII, constants) plus each class's code rules picks the records that need a
look; only those are parsed and `validate()`d one by one, so the messages are the record classes'.
Headers and controls (a few per batch) are always parsed as records. `ReadResult.file` builds the
record objects on demand (small files, tests); tests/nacha compares the columns with them.
Worked example: return-no-file-header-control.ach read strictly has errors "FileHeader.record_type
missing" and "FileControl.record_type missing"; with the tolerance `missing_file_header_control`
both are warnings, and its one R01 return is an item.
"""

from __future__ import annotations

import bisect
import gzip
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property
from typing import Any

import polars as pl

from paygo.nacha import codes
from paygo.nacha.fields import BLOCKING_FACTOR, RECORD_LENGTH, check_digit, is_digits
from paygo.nacha.records import (
    AchFile,
    Addenda05,
    Addenda98,
    Addenda99,
    Addenda99Contested,
    Addenda99Dishonored,
    Batch,
    BatchControl,
    BatchHeader,
    EntryDetail,
    FieldError,
    FileControl,
    FileHeader,
    Record,
    parse_addenda,
)
from paygo.nacha.validate import HASH_MODULUS, Totals, compare_batch_control, compare_file_control

FILL = "9" * RECORD_LENGTH
STRIDE = RECORD_LENGTH + 1  # a record and its line feed
MAX_CHARACTERS_REPORTED = 1000
# A line that opens a NACHA file or fragment: a File Header (type 1, priority 01) or a Batch Header.
NACHA_OPENINGS = ("101", "5200", "5220", "5225", "5280")
PRINTABLE_AND_LINE_ENDS = bytes(range(0x20, 0x7F)) + b"\r\n"
# A well-formed file's record types before its 9-fill: 1 (5 (6 7*)* 8)* 9, written so the engine never
# backtracks ((6 7*)* is "nothing, or a 6 then any 6s and 7s").
STRUCTURE = re.compile(r"1(?:5(?:6[67]*)?8)*9")


class Tolerance(StrEnum):
    """A bank's named departure from the spec, allowed by its profile (docs/nacha-tolerances.md)."""

    DESTINATION_CHECK_DIGIT = "destination_check_digit"  # File Header immediate destination (never a blank one)
    ORIGIN_CHECK_DIGIT = "origin_check_digit"  # File Header immediate origin given as " " + routing number
    RDFI_CHECK_DIGIT = "rdfi_check_digit"  # an Entry Detail's RDFI check digit (moov AllowInvalidCheckDigit)
    MISSING_FILE_HEADER_CONTROL = "missing_file_header_control"  # returns/NOC fragments without File Header/Control
    CUSTOM_RETURN_CODES = "custom_return_codes"  # R86-R99, not NACHA codes (moov CustomReturnCodes)
    UNORDERED_BATCH_NUMBERS = "unordered_batch_numbers"  # moov AllowUnorderedBatchNumbers
    CUSTOM_TRACE_NUMBERS = "custom_trace_numbers"  # a trace not prefixed by the ODFI (moov CustomTraceNumbers)
    FILE_ID_MODIFIER = "file_id_modifier"  # a File ID Modifier that is not A-Z or 0-9


STRICT: frozenset[Tolerance] = frozenset()  # the default, and always for our own outgoing files


def parse_tolerances(text: str | Iterable[str]) -> frozenset[Tolerance]:
    """'custom_return_codes, rdfi_check_digit' -> the profile; an unknown name raises ValueError."""
    names = [n.strip() for n in (text.split(",") if isinstance(text, str) else text) if n.strip()]
    known = {t.value for t in Tolerance}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown NACHA tolerance(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return frozenset(Tolerance(n) for n in names)


# (record, field, rule) -> the tolerance that makes it a warning
TOLERABLE = {
    ("FileHeader", "immediate_destination", "check_digit"): Tolerance.DESTINATION_CHECK_DIGIT,
    ("FileHeader", "immediate_origin", "check_digit"): Tolerance.ORIGIN_CHECK_DIGIT,
    ("EntryDetail", "check_digit", "check_digit"): Tolerance.RDFI_CHECK_DIGIT,
    ("BatchHeader", "batch_number", "unordered"): Tolerance.UNORDERED_BATCH_NUMBERS,
    ("EntryDetail", "trace_number", "odfi_prefix"): Tolerance.CUSTOM_TRACE_NUMBERS,
    ("FileHeader", "file_id_modifier", "uppercase_or_digit"): Tolerance.FILE_ID_MODIFIER,
}


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


def severity_of(err: FieldError, tolerances: frozenset[Tolerance]) -> str:
    """'warning' when the bank's profile tolerates this record rule, else the rule's own severity."""
    key = (err.record, err.field, err.rule)
    if TOLERABLE.get(key) in tolerances:
        return "warning"
    if key[1:] == ("return_code", "code") and Tolerance.CUSTOM_RETURN_CODES in tolerances \
            and codes.is_private_return_code(err.value):
        return "warning"
    return err.severity


def _from(err: FieldError, line: int | None, tolerances: frozenset[Tolerance] = STRICT) -> Deviation:
    return Deviation(line, err.record, err.field, err.rule, severity_of(err, tolerances), err.value)


def maybe_gunzip(data: bytes) -> bytes:
    """Decompress gzip input (magic 1f 8b); other bytes pass through. Raises on a broken archive."""
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def unpack(data: bytes) -> tuple[bytes, Deviation | None]:
    """`maybe_gunzip` that reports a truncated or corrupt archive as an error instead of raising."""
    try:
        return maybe_gunzip(data), None
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        return b"", Deviation(None, "File", "gzip", "truncated_or_corrupt", "error", type(exc).__name__)


def decode(raw: bytes) -> tuple[str, list[Deviation]]:
    """Text of the file, characters counted as moov does: ASCII, else UTF-8 when it decodes, else
    Windows-1252 (its 5 unassigned bytes become U+FFFD). Each character outside printable ASCII is an
    error at its line and 1-based position: 'line 3 position 60: U+00E9'."""
    if raw.isascii():
        text = raw.decode("ascii")
        if not raw.translate(None, PRINTABLE_AND_LINE_ENDS):
            return text, []
        deviations: list[Deviation] = []
    else:
        try:
            text, encoding = raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = raw.decode("cp1252", errors="replace"), "windows-1252"
        deviations = [Deviation(None, "File", "encoding", encoding, "warning", encoding)]
    lines = text.replace("\r\n", "\n").replace("\r", "\n")  # numbered as split_records numbers them
    line_starts = [0] + [m.end() for m in re.finditer("\n", lines)]
    for found, m in enumerate(re.finditer(r"[^\x20-\x7e\n]", lines)):
        if found == MAX_CHARACTERS_REPORTED:  # a binary file: enough said
            break
        n = bisect.bisect_right(line_starts, m.start())
        position = m.start() - line_starts[n - 1] + 1
        deviations.append(Deviation(n, "Record", "character", "not_allowed", "error",
                                    f"position {position}: U+{ord(m[0]):04X}"))
    return text, deviations


def not_nacha(text: str, lines: list[str]) -> Deviation | None:
    """The one deviation of a file that is not NACHA at all (why, as its value), else None."""
    if not text:
        why = "empty"
    elif not text.strip():
        why = "blank"
    elif any(line.startswith(NACHA_OPENINGS) for line in lines) or _returns_alone(lines):
        return None
    elif all(_is_fill(line) or not line.strip() for line in lines):
        why = "only 9-fill records"
    else:
        why = "no File Header or Batch Header record"
    return Deviation(None, "File", "format", "not_nacha", "error", why)


ENTRY_START = re.compile(r"6[0-9]{11}")
RETURN_OR_NOC_ADDENDA = ("798", "799")


def _returns_alone(lines: list[str]) -> bool:
    """Entries followed by addenda 98/99 with no header at all: returns a bank sent bare (kept, see read_ach)."""
    return any(ENTRY_START.match(a) and b.startswith(RETURN_OR_NOC_ADDENDA) for a, b in zip(lines, lines[1:]))


def _is_fill(line: str) -> bool:
    """A 9-fill record, right-trimmed or not (moov skips any line starting 99 as padding)."""
    return len(line) >= 2 and not line.rstrip().strip("9")


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
    end = len(text)
    while end and text[end - 1] == "\n":
        end -= 1
    newline = text.find("\n")
    if (newline == -1 or newline >= end) and end > RECORD_LENGTH:  # one long line: records without breaks
        body = text[:end]
        if len(body) % RECORD_LENGTH:
            deviations.append(Deviation(None, "File", "length", "not_multiple_of_94", "error", str(len(body))))
            return [], deviations
        deviations.append(Deviation(None, "File", "line_end", "no_line_breaks", "warning"))
        return [body[i : i + RECORD_LENGTH] for i in range(0, len(body), RECORD_LENGTH)], deviations
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines, deviations


def _normalise(lines: list[str], dev: list[Deviation]) -> tuple[list[str], Sequence[int], str]:
    """94-character records, their 1-based line numbers and record types; blank lines dropped; lengths reported."""
    if lines and min(map(len, lines)) == RECORD_LENGTH == max(map(len, lines)):
        types = "".join([line[0] for line in lines])
        if " " not in types:  # every line a record of 94 characters: nothing to change
            return lines, range(1, len(lines) + 1), types
    records: list[str] = []
    numbers: list[int] = []
    # A short line of 9s is right-trimmed 9-fill (moov skips any line starting 99), except when it is the
    # only short line and the last one: then the transfer lost the file's end (reported as it reads).
    short = [n for n, raw in enumerate(lines, start=1) if 0 < len(raw) < RECORD_LENGTH]
    cut_end = short == [len(lines)]
    for n, raw in enumerate(lines, start=1):
        size = len(raw)
        if size == RECORD_LENGTH and raw[0] != " ":
            records.append(raw)
            numbers.append(n)
            continue
        if not raw.strip():
            dev.append(Deviation(n, "Record", "record_type", "blank_line", "warning"))
            continue
        if size < RECORD_LENGTH:
            if raw.endswith(" "):  # not right-trimmed: a character is missing
                dev.append(Deviation(n, "Record", "length", "short", "error", str(size)))
            else:
                dev.append(Deviation(n, "Record", "length", "right_trimmed", "warning", str(size)))
            raw = FILL if _is_fill(raw) and not (cut_end and n == len(lines)) else raw.ljust(RECORD_LENGTH)
        elif size > RECORD_LENGTH:
            rule, sev = ("trailing_spaces", "warning") if not raw[RECORD_LENGTH:].strip() else ("too_long", "error")
            dev.append(Deviation(n, "Record", "length", rule, sev, str(size)))
            raw = raw[:RECORD_LENGTH]
        records.append(raw)
        numbers.append(n)
    return records, numbers, "".join([r[0] for r in records])


SYNTHETIC = -1  # in `_Structure.kept`: a batch header that is not in the file (entries outside any batch)
SYNTHETIC_HEADER = "5" + " " * (RECORD_LENGTH - 1)


@dataclass
class _Structure:
    kept: Sequence[int]  # indices into the records, in order, of the records that are read
    header: int | None = None
    control: int | None = None
    fill: int = 0  # 9-fill records
    records: int = 0  # every record, 9-fill included (for the block count)
    orphans: bool = False  # entries outside any batch (SYNTHETIC in kept)


def _structure(records: list[str], numbers: Sequence[int], types: str, dev: list[Deviation]) -> _Structure:
    """Which records are read, and where the order is broken (1e, 1k, outside batch/entry)."""
    m = STRUCTURE.match(types)
    if m is not None and all(r == FILL for r in records[m.end():]) and records[m.end() - 1] != FILL:
        end = m.end()  # well-formed: every record up to the File Control, then 9-fill
        return _Structure(range(end), 0, end - 1, len(records) - end, len(records))
    s = _Structure([], records=len(records))
    batch_open = entry_open = seen_record = False
    note = dev.append
    for i, (raw, kind) in enumerate(zip(records, types)):
        n = numbers[i]
        if raw == FILL:
            s.fill += 1
            continue
        if s.control is not None or s.fill:
            note(Deviation(n, "Record", "record_type", "after_file_control", "error", kind))  # reason 1k
            continue
        if kind == "1":
            if s.header is not None or seen_record:
                note(Deviation(n, "FileHeader", "record_type", "misplaced", "error", kind))  # reason 1e
                continue
            s.header = i
        elif kind == "5":
            batch_open, entry_open = True, False
        elif kind == "6":
            if not batch_open:  # kept in a batch of its own (moov's iterator keeps such returns too)
                note(Deviation(n, "EntryDetail", "record_type", "outside_batch", "error", kind))
                s.kept.append(SYNTHETIC)
                s.orphans = batch_open = True
            entry_open = True
        elif kind == "7":
            if not entry_open:
                note(Deviation(n, "Addenda", "record_type", "outside_entry", "error", kind))
                continue
        elif kind == "8":
            if not batch_open:
                note(Deviation(n, "BatchControl", "record_type", "outside_batch", "error", kind))
                continue
            batch_open = entry_open = False
        elif kind == "9":
            batch_open = entry_open = False
            s.control = i
        else:
            note(Deviation(n, "Record", "record_type", "code", "error", kind))
            seen_record = True
            continue
        s.kept.append(i)
        seen_record = True
    return s


# --- column-wise screens derived from the record classes' LAYOUT


def shape_pattern(cls: type[Record]) -> str:
    """A regular expression a line matches exactly when every field of `cls.LAYOUT` has its shape:
    ASCII digits where numeric, the constant where one is fixed, printable ASCII elsewhere."""
    parts = []
    for _, start, end, kind in cls.LAYOUT:
        width = end - start + 1
        parts.append("[0-9]" if kind == "N" else "[ -~]" if kind == "A" else re.escape(kind))
        if kind in ("N", "A"):
            parts[-1] += f"{{{width}}}"
    return "^" + "".join(parts) + "$"


def col(cls: type[Record], name: str, line: pl.Expr | None = None) -> pl.Expr:
    """The field `name` of `cls` sliced from the line column at its LAYOUT position."""
    for field_name, start, end, _ in cls.LAYOUT:
        if field_name == name:
            return (pl.col("l") if line is None else line).str.slice(start - 1, end - start + 1)
    raise KeyError(f"{cls.__name__} has no field {name}")


def span(cls: type[Record], first: str, last: str) -> pl.Expr:
    """The text from field `first` to field `last` of `cls` (adjacent in its LAYOUT), sliced at once."""
    where = {name: (start, end) for name, start, end, _ in cls.LAYOUT}
    start, end = where[first][0], where[last][1]
    return pl.col("l").str.slice(start - 1, end - start + 1)


def _in(expr: pl.Expr, values: Iterable[Any]) -> pl.Expr:
    return expr.is_in(sorted(values))


def _good_code_and_routing(key: str) -> bool:
    """Transaction code (2) + RDFI (8) + check digit (1), as EntryDetail._rules checks them."""
    return (is_digits(key) and len(key) == 11 and int(key[:2]) in codes.TRANSACTION_CODES
            and check_digit(key[2:10]) == int(key[10]))


def _entry_rules(ent: pl.DataFrame) -> pl.Expr:
    """What EntryDetail._rules checks, column-wise (a row passing it and its shape validates clean). The
    code and routing rules are decided once per distinct (code, routing) with the product's check_digit."""
    key = span(EntryDetail, "transaction_code_text", "check_digit")  # code, RDFI and check digit: positions 2-12
    distinct = ent.select(key.unique()).to_series().to_list()
    good = [k for k in distinct if k is not None and _good_code_and_routing(k)]
    indicator = col(EntryDetail, "addenda_record_indicator")
    return (key.is_in(good)
            & (col(EntryDetail, "dfi_account_number") != " " * 17)
            & ((indicator == "0") | (indicator == "1")))


def _batch_header_rules() -> pl.Expr:
    """What BatchHeader._rules checks, column-wise (IAT/ADV headers are never clean: they are skipped)."""
    B = BatchHeader

    def filled(name: str) -> pl.Expr:
        return col(B, name).str.strip_chars() != ""

    def zeros(name: str) -> pl.Expr:
        return col(B, name).str.strip_chars().str.contains(r"^0+$")

    sec = col(B, "standard_entry_class_code")
    return (filled("company_name") & filled("company_identification") & filled("company_entry_description")
            & ~zeros("company_name") & ~zeros("company_entry_description")
            & _in(col(B, "service_class_code"), [str(c) for c in codes.SERVICE_CLASS_CODES])
            & _in(sec, codes.SEC_CODES - codes.UNSUPPORTED_SEC_CODES)
            & _in(col(B, "originator_status_code"), ("1", "2"))
            & col(B, "effective_entry_date").str.contains(r"^[0-9]{6}$"))


# addenda class key -> (class, its rules column-wise)
ADDENDA_CLASSES: dict[str, tuple[type[Record], Callable[[], pl.Expr]]] = {
    "05": (Addenda05, lambda: pl.lit(True)),
    "98": (Addenda98, lambda: _in(col(Addenda98, "change_code"), codes.CHANGE_CODES)
           & (col(Addenda98, "corrected_data").str.strip_chars() != "")),
    "99": (Addenda99, lambda: _in(col(Addenda99, "return_code"), codes.RETURN_CODES)),
    "99d": (Addenda99Dishonored, lambda: pl.lit(True)),
    "99c": (Addenda99Contested, lambda: pl.lit(True)),
}


def _addenda_key() -> pl.Expr:
    kind, code = col(Addenda99, "addenda_type_code"), col(Addenda99, "return_code")
    return (pl.when(kind == "99").then(
        pl.when(_in(code, codes.DISHONORED_RETURN_CODES)).then(pl.lit("99d"))
        .when(_in(code, codes.CONTESTED_RETURN_CODES)).then(pl.lit("99c")).otherwise(pl.lit("99")))
        .when(_in(kind, ("05", "98"))).then(kind).otherwise(pl.lit(None, pl.String)))


ENTRY_COLUMNS = {
    "batch": pl.Int64, "line": pl.UInt32, "transaction_code": pl.Int64, "routing_number": pl.String,
    "dfi_account_number": pl.String, "amount_cents": pl.Int64, "individual_id": pl.String,
    "individual_name": pl.String, "trace_number": pl.String, "addenda_count": pl.UInt32,
}
EMPTY_ENTRIES = pl.DataFrame(schema={**ENTRY_COLUMNS, "l": pl.String, "entry": pl.Int64})
EMPTY_ADDENDA = pl.DataFrame(schema={"entry": pl.Int64, "line": pl.UInt32, "l": pl.String, "key": pl.String})


@dataclass(frozen=True)
class BatchRead:
    """One batch's header and control (None when missing), and the lines they are on."""

    header: BatchHeader
    header_line: int
    control: BatchControl | None
    control_line: int | None
    unsupported: bool = False  # a SEC code whose records we do not read
    synthetic: bool = False  # no Batch Header in the file: entries found outside any batch (header_line 0)


class Verdict:
    """errors, warnings and valid, from a result's `deviations` (ReadResult, paygo.nacha.check.Checked)."""

    deviations: list[Deviation]

    @property
    def errors(self) -> list[Deviation]:
        return [d for d in self.deviations if d.severity == "error"]

    @property
    def warnings(self) -> list[Deviation]:
        return [d for d in self.deviations if d.severity != "error"]

    @property
    def valid(self) -> bool:
        return not any(d.severity == "error" for d in self.deviations)


@dataclass(frozen=True)
class ReadResult(Verdict):
    """A file as read: headers and controls as records, entries and addenda as polars frames
    (`l` is each record's line; account numbers are raw here: mask them before display)."""

    deviations: tuple[Deviation, ...]
    header: FileHeader | None = None
    batches: tuple[BatchRead, ...] = ()
    control: FileControl | None = None
    entries: pl.DataFrame = field(default_factory=lambda: EMPTY_ENTRIES)
    addenda: pl.DataFrame = field(default_factory=lambda: EMPTY_ADDENDA)
    header_line: int | None = None
    control_line: int | None = None
    totals: Totals = Totals(0, 0, 0, 0)  # of the entries read (batches of an unsupported SEC code aside)


    @property
    def entry_count(self) -> int:
        return self.entries.height

    def numbered_records(self) -> Iterator[tuple[int, Record]]:
        """(line, record) of every record read, in file order, each parsed by its record class."""
        out: list[tuple[int, Record]] = []
        if self.header is not None:
            out.append((self.header_line, self.header))
        for b in self.batches:
            if not b.synthetic:  # a Batch Header the file does not have
                out.append((b.header_line, b.header))
            if b.control is not None:
                out.append((b.control_line, b.control))
        for n, raw in self.entries.select("line", "l").iter_rows():
            out.append((n, EntryDetail.parse(raw)))
        for n, raw, key in self.addenda.select("line", "l", "key").iter_rows():
            if key is not None:
                out.append((n, parse_addenda(raw)))
        if self.control is not None:
            out.append((self.control_line, self.control))
        return iter(sorted(out, key=lambda x: x[0]))

    @cached_property
    def file(self) -> AchFile:
        """The records (paygo.nacha.records) of what was read; built on demand, one object a record."""
        addenda: dict[int, list] = {}
        for entry, raw, key in self.addenda.select("entry", "l", "key").iter_rows():
            if key is not None:
                addenda.setdefault(entry, []).append(parse_addenda(raw))
        entries: list[list[EntryDetail]] = [[] for _ in self.batches]
        for batch, entry, raw in self.entries.select("batch", "entry", "l").iter_rows():
            e = EntryDetail.parse(raw)
            if entry in addenda:
                e = EntryDetail(**{**e.__dict__, "addenda": tuple(addenda[entry])})
            entries[batch].append(e)
        return AchFile(self.header, tuple(Batch(b.header, tuple(es), b.control)
                                          for b, es in zip(self.batches, entries)), self.control)

    def items(self, item: Callable[..., Any] = lambda *f: f) -> list[Any]:
        """Each entry's return (its LAST addenda 99: the latest word) or else its NOC (its first addenda
        98), in file order, as item(kind, code, original trace, amount cents, transaction code[, corrected])."""
        add = self.addenda.filter(pl.col("key").is_not_null())
        if add.is_empty():
            return []
        kind = col(Addenda99, "addenda_type_code")
        info = add.select(
            "entry", kind=kind, code=col(Addenda99, "return_code"), original_trace=col(Addenda99, "original_trace"),
            corrected=col(Addenda98, "corrected_data").str.strip_chars_end())
        nines, eights = info.filter(pl.col("kind") == "99"), info.filter(pl.col("kind") == "98")
        if info["entry"].n_unique() == info.height:  # one addenda an entry (the usual return file)
            chosen = pl.concat([nines, eights]).sort("entry")
        else:
            last99 = nines.group_by("entry", maintain_order=True).last()
            first98 = eights.group_by("entry", maintain_order=True).first()
            chosen = pl.concat([last99, first98.join(last99.select("entry"), on="entry", how="anti")]).sort("entry")
        rows = chosen.join(self.entries.select("entry", "amount_cents", "transaction_code"), on="entry",
                           how="inner", maintain_order="left")
        columns = [rows[name].to_list() for name in
                   ("kind", "code", "original_trace", "amount_cents", "transaction_code", "corrected")]
        out = []
        append = out.append
        for kind_, code, trace, amount, tc, corrected in zip(*columns):
            if kind_ == "99":
                append(item("return", code, trace, amount, tc))
            else:
                append(item("noc", code, trace, amount, tc, corrected))
        return out


def read_ach(data: bytes, tolerances: Iterable[str] = STRICT) -> ReadResult:
    """Read NACHA bytes (gzip accepted) under a bank's tolerance profile (strict by default); never
    raises for bad content: the deviations say what is wrong."""
    tol = frozenset(Tolerance(t) for t in tolerances)
    raw, broken = unpack(data)
    if broken is not None:
        return ReadResult((broken,))
    text, dev = decode(raw)
    if not dev and (canonical := _canonical(raw, text)) is not None and STRUCTURE.match(canonical[1]):
        records, types = canonical  # every line 94 printable characters and a line feed: no list of lines
        s = _structure(records, records.numbers, types, dev)
        return _Columns(records, records.numbers, s, dev, tol).read()
    lines, split_dev = split_records(text)
    dev += split_dev
    if lines or not split_dev:
        if (other := not_nacha(text, lines)) is not None:
            return ReadResult((other,))
    if not lines:
        return ReadResult(tuple(dev))  # refused before any record
    records, numbers, types = _normalise(lines, dev)
    s = _structure(records, numbers, types, dev)
    return _Columns(records, numbers, s, dev, tol).read()


class _Strided(Sequence[str]):
    """The lines of a canonical file (line i at i * 95), sliced from its text on demand."""

    def __init__(self, raw: bytes, text: str, count: int):
        self.raw, self.text, self.count = raw, text, count
        self.numbers = range(1, count + 1)

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self.count))]
        if i < 0:
            i += self.count
        if not 0 <= i < self.count:
            raise IndexError(i)
        return self.text[i * STRIDE : i * STRIDE + RECORD_LENGTH]

    def series(self, count: int) -> pl.Series:
        """The first `count` lines as a polars column, parsed from the bytes by polars itself."""
        return pl.read_csv(self.raw, has_header=False, separator="\x1f", quote_char=None, n_rows=count,
                           schema={"l": pl.String}).to_series()


def _canonical(raw: bytes, text: str) -> tuple[_Strided, str] | None:
    """A file of printable ASCII lines of exactly 94 characters each ended by a line feed (the last one
    may lack it), no blank line: its lines and record types, checked on the bytes; else None."""
    size = len(raw) + (0 if raw.endswith(b"\n") else 1)
    if size % STRIDE or size < STRIDE or b"\r" in raw:
        return None
    count = size // STRIDE
    if raw.count(b"\n") != count - (0 if raw.endswith(b"\n") else 1) \
            or raw[RECORD_LENGTH::STRIDE] != b"\n" * (count - (0 if raw.endswith(b"\n") else 1)):
        return None
    types = text[::STRIDE]
    if " " in types:
        return None  # a blank line: the line walk reports it
    return _Strided(raw, text, count), types


class _Columns:
    """Reads the kept records column-wise (see the module docstring)."""

    def __init__(self, records: list[str], numbers: Sequence[int], s: _Structure, dev: list[Deviation],
                 tol: frozenset[Tolerance]):
        self.records, self.numbers, self.s, self.dev, self.tol = records, numbers, s, dev, tol

    def err(self, line: int | None, e: FieldError) -> None:
        self.dev.append(_from(e, line, self.tol))

    def validate(self, record: Record, line: int | None) -> None:
        for e in record.validate():
            self.err(line, e)

    def read(self) -> ReadResult:
        s, records, numbers = self.s, self.records, self.numbers
        if isinstance(records, _Strided) and s.kept and s.kept[-1] == len(s.kept) - 1 and not s.orphans:
            kept_lines, kept_numbers = records.series(len(s.kept)), numbers[: len(s.kept)]
        elif s.kept and s.kept[-1] == len(s.kept) - 1 and not s.orphans:  # every record up to the last one kept
            kept_lines, kept_numbers = records[: len(s.kept)], numbers[: len(s.kept)]
        else:  # line 0: the batch header of entries found outside any batch
            kept_lines = [records[i] if i != SYNTHETIC else SYNTHETIC_HEADER for i in s.kept]
            kept_numbers = [numbers[i] if i != SYNTHETIC else 0 for i in s.kept]
        t = pl.col("l").str.slice(0, 1)
        frame = pl.DataFrame({"l": kept_lines, "line": kept_numbers}, schema={"l": pl.String, "line": pl.UInt32}).with_columns(
            t=t, batch=(t == "5").cum_sum().cast(pl.Int64) - 1, entry=(t == "6").cum_sum().cast(pl.Int64) - 1)
        header = FileHeader.parse(records[s.header]) if s.header is not None else None
        header_line = numbers[s.header] if s.header is not None else None
        if header is not None:
            self.validate(header, header_line)
        control = FileControl.parse(records[s.control]) if s.control is not None else None
        control_line = numbers[s.control] if s.control is not None else None
        if control is not None:
            self.validate(control, control_line)
        batches = self.batches(frame)

        ent = frame.filter(pl.col("t") == "6").drop("t")
        add = frame.filter(pl.col("t") == "7").drop("t").with_columns(key=_addenda_key())
        skipped = {i for i, b in enumerate(batches) if b.unsupported}
        if skipped:
            ent_checked = ent.filter(~pl.col("batch").is_in(sorted(skipped)))
            add_checked = add.filter(~pl.col("batch").is_in(sorted(skipped)))
        else:
            ent_checked, add_checked = ent, add
        self.addenda_rules(add_checked, batches)
        add = add.filter(pl.col("key").is_not_null())
        entries = self.entries(ent, add)
        checked = entries.filter(~pl.col("batch").is_in(sorted(skipped))) if skipped else entries
        self.entry_rules(checked)
        fragment = self.batch_rules(checked, add, batches, header)
        if header is None and fragment and Tolerance.MISSING_FILE_HEADER_CONTROL in self.tol:
            self.dev = [replace(d, severity="warning") if (d.record, d.rule) == ("EntryDetail", "outside_batch") else d
                        for d in self.dev]  # returns without their Batch Header, read and matched
        totals = self.file_rules(header, header_line, control, control_line, batches, fragment, skipped)
        deviations = sorted(self.dev, key=lambda d: (d.line is not None, d.line or 0))
        return ReadResult(tuple(deviations), header, tuple(batches), control, entries.drop("clean"),
                          add.select("entry", "line", "l", "key"), header_line, control_line, totals)

    def batches(self, frame: pl.DataFrame) -> list[BatchRead]:
        t = pl.col("t")
        small = frame.filter(t.is_in(["5", "8"])).select(
            "t", "batch", "line", "l",
            clean=pl.when(t == "5").then(pl.col("l").str.contains(shape_pattern(BatchHeader)) & _batch_header_rules())
            .otherwise(pl.col("l").str.contains(shape_pattern(BatchControl))))
        out: list[BatchRead] = []
        previous_number: int | None = None
        for kind, batch, line, raw, clean in small.iter_rows():
            if kind == "5" and line == 0:
                out.append(BatchRead(BatchHeader.parse(raw), 0, None, None, synthetic=True))
            elif kind == "5":
                bh = BatchHeader.parse(raw)
                sec = bh.standard_entry_class_code
                unsupported = sec in codes.UNSUPPORTED_SEC_CODES
                if unsupported:
                    self.dev.append(_unsupported(bh, line, len(out) + 1))
                if not unsupported and not clean:
                    self.validate(bh, line)
                number = bh.batch_number
                if number.isascii() and number.isdigit():
                    if previous_number is not None and int(number) <= previous_number:
                        self.err(line, FieldError("BatchHeader", "batch_number", "unordered", number))
                    previous_number = int(number)
                out.append(BatchRead(bh, line, None, None, unsupported))
            else:
                bc = BatchControl.parse(raw)
                b = out[batch]
                if not b.unsupported and not clean:
                    self.validate(bc, line)
                out[batch] = BatchRead(b.header, b.header_line, bc, line, b.unsupported, b.synthetic)
        return out

    def entries(self, ent: pl.DataFrame, add: pl.DataFrame) -> pl.DataFrame:
        E = EntryDetail
        if add.is_empty():
            ent = ent.with_columns(addenda_count=pl.lit(0, pl.UInt32))
        else:
            counts = add.group_by("entry").agg(addenda_count=pl.len().cast(pl.UInt32))
            ent = ent.join(counts, on="entry", how="left", maintain_order="left")
        clean = pl.col("l").str.contains(shape_pattern(EntryDetail)) & _entry_rules(ent)
        return ent.select(
            "batch", "line",
            transaction_code=_digits_value(col(E, "transaction_code_text")),
            routing_number=col(E, "rdfi_identification") + col(E, "check_digit"),
            dfi_account_number=col(E, "dfi_account_number").str.strip_chars_end(),
            amount_cents=_digits_value(col(E, "amount")),
            individual_id=col(E, "individual_identification_number").str.strip_chars_end(),
            individual_name=col(E, "individual_name").str.strip_chars_end(),
            trace_number=col(E, "trace_number"),
            addenda_count=pl.col("addenda_count").fill_null(0),
            l="l", entry="entry", clean=clean,
        )

    def entry_rules(self, ent: pl.DataFrame) -> None:
        for n, raw in ent.filter(~pl.col("clean")).select("line", "l").iter_rows():
            self.validate(EntryDetail.parse(raw), n)

    def addenda_rules(self, add: pl.DataFrame, batches: list[BatchRead]) -> None:
        for key, (cls, rules) in ADDENDA_CLASSES.items():
            rows = add.filter(pl.col("key") == key)
            if rows.is_empty():
                continue
            for n, raw in rows.filter(~(pl.col("l").str.contains(shape_pattern(cls)) & rules())) \
                    .select("line", "l").iter_rows():
                self.validate(cls.parse(raw), n)
        other = add.filter(pl.col("key").is_null())
        reported: set[int] = set()
        for n, raw, batch in other.select("line", "l", "batch").iter_rows():
            sec = batches[batch].header.standard_entry_class_code
            kind = Addenda05.parse(raw).addenda_type_code  # positions 2-3 in every addenda layout
            if kind == "02" and sec in codes.ADDENDA02_SEC_CODES:
                if batch not in reported:  # POS/SHR/MTE terminal addenda: a layout we do not read
                    reported.add(batch)
                    self.dev.append(_unsupported(batches[batch].header, batches[batch].header_line, batch + 1))
                continue
            self.dev.append(Deviation(n, "Addenda", "addenda_type_code", "code", "error", kind))

    def batch_rules(self, ent: pl.DataFrame, add: pl.DataFrame, batches: list[BatchRead],
                    header: FileHeader | None) -> bool:
        """validate.validate_batch column-wise, then the Batch Controls; True when the file is a returns/NOC
        fragment (every entry carries an addenda 98 or 99)."""
        answered = add.filter(pl.col("key") != "05").select("entry").unique()
        ent = ent.join(answered.with_columns(answered=pl.lit(True)), on="entry", how="left", maintain_order="left") \
            .with_columns(pl.col("answered").fill_null(False))
        fragment = ent.height > 0 and bool(ent["answered"].all())
        if not batches:
            return fragment
        info = pl.DataFrame([(i, _int(b.header.service_class_code), b.header.standard_entry_class_code,
                              b.header.company_entry_description.strip().upper() == "REVERSAL",
                              b.header.odfi_identification, b.control_line or b.header_line)
                             for i, b in enumerate(batches) if not b.synthetic],
                            schema={"batch": pl.Int64, "service": pl.Int64, "sec": pl.String, "reversal": pl.Boolean,
                                    "odfi": pl.String, "where": pl.UInt32}, orient="row")
        e = ent.join(info, on="batch", how="inner", maintain_order="left")  # batches without a header: no rules
        tc, amount = pl.col("transaction_code"), pl.col("amount_cents")
        debit = tc % 10 >= 5
        indicator = col(EntryDetail, "addenda_record_indicator")
        rules = [
            ("addenda_record_indicator", "addenda_mismatch", pl.col("trace_number"),
             _in(indicator, ("0", "1")) & ((indicator == "1") != (pl.col("addenda_count") > 0))),
            ("transaction_code_text", "service_class", col(EntryDetail, "transaction_code_text"),
             tc.is_not_null() & (((pl.col("service") == codes.DEBITS_ONLY) & ~debit)
                                 | ((pl.col("service") == codes.CREDITS_ONLY) & debit))),
            ("trace_number", "odfi_prefix", pl.col("trace_number"),
             pl.col("trace_number").str.slice(0, 8) != pl.col("odfi")),  # trace = ODFI (8) + sequence (7)
            ("amount", "zero", pl.col("trace_number"),
             (amount == 0) & ~pl.col("answered") & tc.is_not_null()
             & ~_in(tc, codes.PRENOTE_CODES | codes.ZERO_DOLLAR_CODES)),
            ("transaction_code_text", "tel_direction", col(EntryDetail, "transaction_code_text"),
             (pl.col("sec") == codes.TEL) & tc.is_not_null() & (debit == pl.col("reversal"))),
        ]
        if e.select(pl.any_horizontal(*[when for _, _, _, when in rules]).any()).item():  # one pass when clean
            for name, rule, value, when in rules:
                for where, text in e.filter(when).select("where", value).iter_rows():
                    self.err(where, FieldError("EntryDetail", name, rule, text))
        valued = tc.is_not_null() & amount.is_not_null()
        rdfi = col(EntryDetail, "rdfi_identification")
        per_batch = ent.group_by("batch").agg(
            count=pl.len() + pl.col("addenda_count").sum(),
            hash=pl.when(rdfi.str.contains(r"^[0-9]{8}$")).then(rdfi.str.to_integer(strict=False)).otherwise(0).sum(),
            debit=pl.when(valued & debit).then(amount).otherwise(0).sum(),
            credit=pl.when(valued & ~debit).then(amount).otherwise(0).sum(),
        )
        self.sums = {b: (c, h, d, cr) for b, c, h, d, cr in per_batch.iter_rows()}
        for i, b in enumerate(batches):
            if b.unsupported or b.synthetic:  # a missing Batch Header is reported at its entries
                continue
            c, h, d, cr = self.sums.get(i, (0, 0, 0, 0))
            if b.control is None:
                self.missing("BatchControl", b.header_line, header is not None, fragment)
            else:
                for err in compare_batch_control(b.header, b.control, Totals(c, h % HASH_MODULUS, d, cr)):
                    self.err(b.control_line, err)
        return fragment

    def missing(self, record: str, line: int | None, cut: bool, fragment: bool) -> None:
        """A missing control or header: tolerated only in a returns/NOC fragment without its File Header
        (with it, the file was cut) and only under the profile's missing_file_header_control."""
        tolerated = not cut and fragment and Tolerance.MISSING_FILE_HEADER_CONTROL in self.tol
        self.dev.append(Deviation(line, record, "record_type", "missing", "warning" if tolerated else "error"))

    def file_rules(self, header, header_line, control, control_line, batches, fragment, skipped) -> Totals:
        """File Header / Control presence, the File Control against the batches, the 9-fill; the totals."""
        if header is None:
            self.missing("FileHeader", None, False, fragment)
        count = hash_ = debit = credit = 0
        for c, h, d, cr in self.sums.values() if batches else ():
            count, hash_, debit, credit = count + c, hash_ + h, debit + d, credit + cr
        totals = Totals(count, hash_ % HASH_MODULUS, debit, credit)
        if control is None:
            self.missing("FileControl", None, header is not None, fragment)
        elif not skipped:
            for err in compare_file_control(control, len(batches), 2 + 2 * len(batches) + count, totals):
                self.err(control_line, err)
        if self.s.fill and (short := padding_deviation(self.s.records)) is not None:
            self.dev.append(short)
        return totals


def _unsupported(header: BatchHeader, line: int, position: int) -> Deviation:
    """'unsupported SEC code IAT in batch 1': the batch number as written, else its place in the file."""
    number = int(header.batch_number) if is_digits(header.batch_number) else position
    return Deviation(line, "BatchHeader", "standard_entry_class_code", "unsupported", "error",
                     f"{header.standard_entry_class_code} in batch {number}")


def _digits_value(text: pl.Expr) -> pl.Expr:
    """The value of a field of ASCII digits, else null. Parsing refuses what is not an ASCII digit
    except a leading sign, which is refused here: '+000000125' and '00005²0000' are both null."""
    return pl.when(~text.str.starts_with("+") & ~text.str.starts_with("-")).then(text.str.to_integer(strict=False))


def _int(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() else None
