"""Reading a payroll company's file (CSV, XLSX, XLS) into a grid of text cells, or a clear refusal.

Rules (docs/payroll-mappings.md, "Files"): a CSV is UTF-8 (optional BOM), RFC 4180 quoting; a
workbook is read with polars' calamine engine (`fastexcel`), every cell as text. A workbook of
one sheet needs no sheet name; one of several needs the profile's `file.sheet`. The grid keeps
every record, blank ones included, so that `line` (1-based, the first record of the file or the
sheet is line 1) can name rows the way the company sees them. Nothing is converted here except
what calamine does for a number cell (its decimal text, re-read exactly in `paygo.payroll.mapping`)
and a date cell (`2025-06-06 00:00:00`).

Refused, each with one sentence: a file that is not what the profile says (`not a workbook`),
an unknown sheet, a formula whose value was never saved (an `.xlsx` written by a program that
does not compute formulas: the cell would read empty and its pay would be lost), an error value
(`#DIV/0!`, `#REF!`), a CSV record wider than `MAX_FIELDS`. A sheet of 1,048,576 rows is read
(its blank rows cost little); a 50 MB cell is read and then refused by the cell length limit.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass

import polars as pl

from paygo.payroll.csvfile import BOM, _not_text_reason

MAX_FIELDS = 256  # columns of a grid: a wide payroll journal has about 60
MAX_SHEET_XML_SCAN = 512 * 1024 * 1024  # bytes of sheet XML scanned for formulas and error values


def _first_line(exc: BaseException) -> str:
    lines = str(exc).splitlines()
    return (lines[0] if lines else type(exc).__name__)[:200]


class GridError(ValueError):
    """The file cannot be read as the profile says: one sentence for the company."""


@dataclass(frozen=True)
class Grid:
    """Every record of the file or sheet: `line` (Int64, 1-based) and text columns c0, c1, ..."""

    cells: pl.DataFrame
    excel: bool  # cells came from a workbook (numbers and dates as calamine writes them)


def _columns(n: int) -> list[str]:
    return [f"c{i}" for i in range(n)]


def _csv_grid(data: bytes) -> Grid:
    reason = _not_text_reason(data)
    if reason:
        raise GridError(reason)
    body = data[len(BOM):] if data.startswith(BOM) else data
    width = _csv_width(body)
    try:
        frame = pl.read_csv(body, has_header=False, new_columns=_columns(width), infer_schema=False,
                            quote_char='"', raise_if_empty=False, truncate_ragged_lines=False,
                            schema_overrides={c: pl.String for c in _columns(width)})
    except pl.exceptions.PolarsError:
        frame = _csv_by_python(body)
    frame = frame.with_columns(pl.all().str.strip_chars(" \t"))
    return Grid(frame.select(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("line"), pl.all()), excel=False)


def _csv_width(body: bytes) -> int:
    """The widest of the first 200 records (a preamble is narrower than the header)."""
    head = body[:1 << 20].decode("utf-8", errors="replace")
    widths = []
    reader = csv.reader(io.StringIO(head, newline=""))
    try:
        for _, record in zip(range(200), reader):
            widths.append(len(record))
    except csv.Error:  # a huge or unclosed field in the first MiB: the records before it tell the width
        pass
    width = max(widths, default=1)
    if width > MAX_FIELDS:
        raise GridError(f"a record has {width:,} fields; at most {MAX_FIELDS} are read")
    return width


def _csv_by_python(body: bytes) -> pl.DataFrame:
    """Records of uneven width (a preamble, a totals row), read by the csv module and padded."""
    try:
        records = list(csv.reader(io.StringIO(body.decode("utf-8"), newline=""), strict=True))
    except csv.Error as exc:
        raise GridError(f"the file is not valid CSV: {exc}") from None
    width = max((len(r) for r in records), default=1)
    if width > MAX_FIELDS:
        raise GridError(f"a record has {width:,} fields; at most {MAX_FIELDS} are read")
    padded = [r + [None] * (width - len(r)) for r in records]
    return pl.DataFrame(padded, schema=_columns(width), orient="row")


def _excel_grid(data: bytes, kind: str, sheet: str | None) -> Grid:
    import fastexcel

    if kind == "xlsx" and not data.startswith(b"PK"):
        raise GridError("the file is not an .xlsx workbook (a profile for xlsx files was used)")
    if kind == "xls" and not data.startswith(b"\xd0\xcf\x11\xe0"):
        raise GridError("the file is not an .xls workbook (a profile for xls files was used)")
    try:
        reader = fastexcel.read_excel(data)
    except Exception as exc:  # calamine's errors are many types; each means "not readable"
        raise GridError(f"the workbook cannot be read: {_first_line(exc)}") from None
    names = list(reader.sheet_names)
    if sheet is None:
        if len(names) != 1:
            raise GridError(f"the workbook has {len(names)} sheets ({', '.join(names)}); the profile must name one "
                            "in file.sheet")
        sheet = names[0]
    elif sheet not in names:
        raise GridError(f"the workbook has no sheet {sheet!r} (sheets: {', '.join(names)})")
    if kind == "xlsx":
        try:
            _refuse_unsaved_formulas_and_errors(data, sheet)
        except GridError:
            raise
        except Exception as exc:  # a damaged archive (zlib, zip, XML): not readable
            raise GridError(f"the workbook cannot be read: {_first_line(exc)}") from None
    try:
        frame = reader.load_sheet(sheet, header_row=None, dtypes="string").to_polars()
    except Exception as exc:
        raise GridError(f"sheet {sheet!r} cannot be read: {_first_line(exc)}") from None
    if frame.width > MAX_FIELDS:
        raise GridError(f"sheet {sheet!r} has {frame.width:,} columns; at most {MAX_FIELDS} are read")
    frame = frame.rename(dict(zip(frame.columns, _columns(frame.width))))
    frame = frame.with_columns(pl.all().cast(pl.String).str.strip_chars(" \t"))
    return Grid(frame.select(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("line"), pl.all()), excel=True)


_CELL = re.compile(rb"<c\b([^>]*)>(.*?)</c>", re.S)
_REF = re.compile(rb'\br="([A-Z]+[0-9]+)"')


def _sheet_xml_path(z: zipfile.ZipFile, sheet: str) -> str | None:
    """The part holding `sheet`: workbook.xml names it with a relationship id, the rels give the part."""
    try:
        book = z.read("xl/workbook.xml").decode("utf-8")
        rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    except KeyError:
        return None
    for attrs in re.findall(r"<(?:\w+:)?sheet\b([^>]*)/?>", book):
        name = re.search(r'\bname="([^"]*)"', attrs)
        rid = re.search(r'\br:id="([^"]*)"', attrs) or re.search(r'\b\w+:id="([^"]*)"', attrs)
        if name and rid and _xml_unescape(name.group(1)) == sheet:
            for rel in re.findall(r"<Relationship\b([^>]*)/?>", rels):
                if re.search(rf'\bId="{re.escape(rid.group(1))}"', rel):
                    target = re.search(r'\bTarget="([^"]*)"', rel).group(1)
                    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def _xml_unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace(
        "&amp;", "&")


def _refuse_unsaved_formulas_and_errors(data: bytes, sheet: str) -> None:
    """calamine reads a formula's saved value, and an empty cell when none was saved; it reads an
    error value (`#DIV/0!`) as empty too. Both would lose pay silently, so both refuse the file,
    naming the cell. Only sheets holding a formula or an error cell are scanned cell by cell."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            part = _sheet_xml_path(z, sheet)
            if part is None or part not in z.namelist() or z.getinfo(part).file_size > MAX_SHEET_XML_SCAN:
                return
            xml = z.read(part)
    except (zipfile.BadZipFile, OSError):
        raise GridError("the file is not an .xlsx workbook (not a valid zip archive)") from None
    if b"<f" not in xml and b't="e"' not in xml:
        return
    for match in _CELL.finditer(xml):
        attrs, body = match.group(1), match.group(2)
        ref = _REF.search(attrs)
        where = ref.group(1).decode() if ref else "?"
        if b't="e"' in attrs:
            value = re.search(rb"<v>([^<]*)</v>", body)
            shown = value.group(1).decode(errors="replace") if value else "an error"
            raise GridError(f"sheet {sheet!r} cell {where} holds the error value {shown}: fix the formula and "
                            "upload the file again")
        if b"<f" in body and not re.search(rb"<v>[^<]+</v>", body) and b"<is>" not in body:
            raise GridError(f"sheet {sheet!r} cell {where} holds a formula whose value was never saved: open the "
                            "workbook in Excel, save it, and upload it again (or export it as CSV)")


def read_grid(data: bytes, kind: str, sheet: str | None = None) -> Grid:
    """The file's records as a grid of trimmed text (null for an empty cell)."""
    if kind == "csv":
        grid = _csv_grid(data)
    else:
        grid = _excel_grid(data, kind, sheet)
    cols = [c for c in grid.cells.columns if c != "line"]
    return Grid(grid.cells.with_columns(
        [pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in cols]), grid.excel)
