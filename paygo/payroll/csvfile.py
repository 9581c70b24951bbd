"""Reading a payroll file's bytes into a frame of trimmed text cells, or file-level errors.

Rules (spec/payroll-file.md, "Encoding" and "Precise readings"): UTF-8 with an optional BOM,
LF or CRLF, RFC 4180 quotes (a quoted comma or line break stays inside its cell and does not
start a new record). The header is required and exact after trimming: unknown, duplicated and
missing required columns are errors on row 0, and so are a header line longer than
`MAX_HEADER_BYTES`, more than `MAX_FIELDS` names and an empty name: those are found in the first
bytes of the file, so a 50 MB line of commas is refused without being parsed (docs/payroll-limits.md).
Every cell is trimmed of spaces and tabs; a record whose cells are all empty is skipped but keeps
its place in row numbers. Example: the bytes
`employer_fein,...\\r\\n<record 1>\\r\\n,,,\\r\\n<record 3>` give rows 1 and 3, and `rows` = 2.
The file is read once, every column as text; nothing is converted here.
"""

import csv
import io
from dataclasses import dataclass

import polars as pl

from paygo.payroll.columns import ALL_COLUMNS, MAX_FIELDS, MAX_HEADER_BYTES, REQUIRED_COLUMNS

BOM = b"\xef\xbb\xbf"
TRIM = " \t"


@dataclass(frozen=True)
class FileProblem:
    """An error about the file or its header: row is None (the file) or 0 (the header)."""

    row: int | None
    column: str | None
    error: str


@dataclass(frozen=True)
class RawPayroll:
    header: tuple[str, ...]  # trimmed column names in file order
    cells: pl.DataFrame  # `row` (Int64) + one String column per header name; blank records dropped
    ragged: pl.DataFrame  # row, fields: records whose field count differs from the header's


def _not_text_reason(data: bytes) -> str | None:
    if not data or data == BOM:
        return "the file is empty"
    if b"\x00" in data:
        return "the file is not text (it contains NUL bytes)"
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return f"the file is not UTF-8 text (invalid byte at offset {exc.start})"
    return None


def _header(data: bytes) -> list[str] | FileProblem | None:
    """The trimmed names of the first line; a problem when the line is longer than
    MAX_HEADER_BYTES or holds more than MAX_FIELDS names; None when it is not CSV. Reads at most
    MAX_HEADER_BYTES + 2 bytes of `data` (the line and its CR LF), whatever the file's size."""
    start = len(BOM) if data.startswith(BOM) else 0
    head = data[start : start + MAX_HEADER_BYTES + 2]
    end = head.find(b"\n")
    line = head if end < 0 else head[:end]
    if line.endswith(b"\r"):
        line = line[:-1]
    if len(line) > MAX_HEADER_BYTES:
        return FileProblem(0, None, f"the header line is longer than {MAX_HEADER_BYTES:,} bytes")
    try:
        names = next(csv.reader([line.decode("utf-8")], strict=True))
    except (csv.Error, StopIteration, UnicodeDecodeError):
        return None
    if len(names) > MAX_FIELDS:
        return FileProblem(0, None, f"the header has {len(names):,} names; at most {MAX_FIELDS} are allowed")
    return [name.strip(TRIM) for name in names]


def header_problems(header: list[str]) -> list[FileProblem]:
    """Empty, unknown, duplicated and missing required columns, each once, on row 0.

    An empty name is reported by its position (`column` null): `a,,b` -> "header column 2 has
    no name"."""
    problems: list[FileProblem] = []
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if not name:
            problems.append(FileProblem(0, None, f"header column {position} has no name"))
        elif name not in ALL_COLUMNS:
            problems.append(FileProblem(0, name, f"unknown column {name!r}"))
        elif name in seen:
            problems.append(FileProblem(0, name, f"column {name!r} appears more than once"))
        seen.add(name)
    for name in REQUIRED_COLUMNS:
        if name not in seen:
            problems.append(FileProblem(0, name, f"required column {name!r} is missing"))
    return problems


def _ragged_by_python(data: bytes, width: int) -> tuple[pl.DataFrame | None, str | None]:
    """Slow path for files polars will not read: find the records with a wrong field count."""
    text = data.decode("utf-8-sig")
    rows, fields = [], []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        next(reader)
        for number, record in enumerate(reader, start=1):
            if record and len(record) != width and any(c.strip(TRIM) for c in record):
                rows.append(number)
                fields.append(len(record))
    except csv.Error as exc:
        return None, f"the file is not valid CSV: {exc} (near line {reader.line_num})"
    return pl.DataFrame({"row": rows, "fields": fields}, schema={"row": pl.Int64, "fields": pl.Int64}), None


def _read_text(data: bytes, header: list[str], *, empty_is_null: bool, truncate_ragged: bool = False) -> pl.DataFrame:
    """Every cell as text, RFC 4180 quoting, the header's names; raises polars' error on bad CSV.

    `empty_is_null`: an empty cell, unquoted or quoted `""`, reads null (else "")."""
    return pl.read_csv(
        data,
        has_header=True,
        new_columns=header,
        infer_schema=False,
        null_values=[""] if empty_is_null else None,
        quote_char='"',
        raise_if_empty=False,
        truncate_ragged_lines=truncate_ragged,
    )


def _no_ragged() -> pl.DataFrame:
    return pl.DataFrame(schema={"row": pl.Int64, "fields": pl.Int64})


def _short_records(data: bytes, width: int, rows: list[int]) -> pl.DataFrame | None:
    """Field counts of the given records when the file has no quote character, so that record n
    is physical line n after the header (blank lines count as records, as in the row numbers);
    None for a quoted file (a quoted field may hold a comma or a line break: the caller counts
    with the csv module)."""
    if b'"' in data:
        return None
    lines = data.split(b"\n")
    found = [(n, lines[n].rstrip(b"\r").count(b",") + 1) for n in rows]
    bad = [(n, f) for n, f in found if f != width]
    return pl.DataFrame(bad, schema={"row": pl.Int64, "fields": pl.Int64}, orient="row") if bad else _no_ragged()


def _read_untrimmed(data: bytes, header: list[str]) -> RawPayroll | None:
    """The usual machine-written file (no space or tab anywhere, every record as wide as the
    header), read in one pass with empty cells (unquoted or `""`) as null; None when that cannot
    be told apart, and the caller takes the general path. An empty cell and a field missing from
    a short record both read null here, so a file with a record whose last cell reads null (or one
    polars refuses) goes to the general path, which tells them apart. Otherwise no record is
    short, and a record is blank exactly when every cell is null. No cell needs trimming."""
    try:
        frame = _read_text(data, header, empty_is_null=True)
    except pl.exceptions.PolarsError:
        return None
    if frame[header[-1]].null_count():
        return None
    cells = frame.select(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("row"), *header)
    kept = cells.select(pl.any_horizontal([pl.col(c).is_not_null() for c in header])).to_series()
    if not kept.all():
        cells = cells.filter(kept)
    return RawPayroll(tuple(header), cells, _no_ragged())


def read_payroll_csv(data: bytes) -> RawPayroll | list[FileProblem]:
    """The file's header and trimmed text cells, or the problems that stop reading it."""
    reason = _not_text_reason(data)
    if reason:
        return [FileProblem(None, None, reason)]
    header = _header(data)
    if isinstance(header, FileProblem):
        return [header]
    if header is None or header == [""]:
        return [FileProblem(None, None, "the file has no header row")]
    problems = header_problems(header)
    if problems:
        return problems
    needs_trim = b" " in data or b"\t" in data
    if not needs_trim:
        fast = _read_untrimmed(data, header)
        if fast is not None:
            return fast
    try:
        # empty cells read "" (and so does a field missing from a short record: see below)
        frame = _read_text(data, header, empty_is_null=False)
    except pl.exceptions.PolarsError:
        ragged, why = _ragged_by_python(data, len(header))
        if why is not None or ragged is None or ragged.height == 0:
            return [FileProblem(None, None, why or "the file is not valid CSV")]
        try:
            frame = _read_text(data, header, empty_is_null=False, truncate_ragged=True)
        except pl.exceptions.PolarsError as exc:
            return [FileProblem(None, None, f"the file is not valid CSV: {str(exc).splitlines()[0]}")]
    else:
        ragged = None
    # Trimming is the identity when the bytes hold no space or tab at all (two memchr scans).
    frame = frame.select(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("row"),
        *[pl.col(c).str.strip_chars(TRIM) if needs_trim else pl.col(c) for c in header],
    )
    empty = pl.sum_horizontal([pl.col(c).fill_null("") == "" for c in header])
    kept = frame.select(empty < len(header)).to_series()  # one pass: False on blank records
    if ragged is None:
        # polars reads a field missing from a short record as "", like a present empty field, and
        # the missing fields are the trailing ones: only a record whose last cell is empty can be
        # short, and only those records are counted (usually none).
        last_empty = frame.select((pl.col(header[-1]).fill_null("") == "") & kept).to_series()
        candidates = frame.filter(last_empty)["row"].to_list()
        ragged = _short_records(data, len(header), candidates) if candidates else _no_ragged()
        if ragged is None:
            ragged, why = _ragged_by_python(data, len(header))
            if why is not None:
                return [FileProblem(None, None, why)]
    cells = frame if kept.all() else frame.filter(kept)
    cells = cells.with_columns(
        [pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in header]
    )
    return RawPayroll(tuple(header), cells, ragged.sort("row"))
