"""Read and validate a big NACHA file column-wise (polars), agreeing with the per-record reader.

Rule: the same rules as `read.py` and `validate.py`. A well-formed file (LF line ends, every line
94 printable characters, records in the order 1 (5 (6 7*)* 8)* 9 then 9-fill) is sliced column-wise:
every Entry Detail field at once, the check digit computed with integer arithmetic over the 8
RDFI digits (weights 3,7,1,3,7,1,3,7), totals and the entry hash with group-bys. Only the few
records that fail a vectorised shape test are re-checked by `EntryDetail.validate()`, and headers,
controls and addenda (a few thousand) are parsed as records, so both paths report the same
deviations. Anything else falls back to `read.read_ach`.
Worked example: RDFI 23138010 -> 2*3+3*7+1*1+3*3+8*7+0*1+1*3+0*7 = 96 -> check digit 4.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import polars as pl

from paygo.nacha import codes
from paygo.nacha.fields import RECORD_LENGTH, WEIGHTS
from paygo.nacha.read import FILL, Deviation, _from, padding_deviation, read_ach, unpack
from paygo.nacha.records import (
    AchFile,
    BatchControl,
    BatchHeader,
    EntryDetail,
    FieldError,
    FileControl,
    FileHeader,
    parse_addenda,
)
from paygo.nacha.validate import Totals, compare_batch_control, compare_file_control

STRUCTURE = re.compile(rb"1(?:5(?:67*)*8)*9+")
ENTRY_SHAPE = r"^6[0-9]{11}.{17}[0-9]{10}.{39}[01][0-9]{15}$"
PRINTABLE_AND_LF = bytes(range(0x20, 0x7F)) + b"\n"
ENTRY_COLUMNS = {
    "batch": pl.UInt32, "transaction_code": pl.Int64, "routing_number": pl.String,
    "dfi_account_number": pl.String, "amount_cents": pl.Int64, "individual_id": pl.String,
    "individual_name": pl.String, "trace_number": pl.String, "addenda_count": pl.UInt32,
}


@dataclass(frozen=True)
class ColumnarRead:
    """A file as columns: header and controls as records, entries as a polars frame (cents Int64)."""

    header: FileHeader | None
    batch_headers: list[BatchHeader]
    batch_controls: list[BatchControl | None]
    control: FileControl | None
    entries: pl.DataFrame  # ENTRY_COLUMNS; account numbers stay raw here: mask before display
    deviations: tuple[Deviation, ...]

    @property
    def valid(self) -> bool:
        return not any(d.severity == "error" for d in self.deviations)


def entries_frame(file: AchFile) -> pl.DataFrame:
    """The ENTRY_COLUMNS frame of a file read record by record (what the column path yields)."""
    rows = [
        (i, int(e.transaction_code_text) if e.transaction_code_text.isdigit() else None, e.routing_number,
         e.dfi_account_number.strip(), int(e.amount) if e.amount.isdigit() else None,
         e.individual_identification_number.strip(), e.individual_name.strip(), e.trace_number, len(e.addenda))
        for i, b in enumerate(file.batches) for e in b.entries
    ]
    return pl.DataFrame(rows, schema=ENTRY_COLUMNS, orient="row")


def _fallback(data: bytes) -> ColumnarRead:
    result = read_ach(data)
    f = result.file
    return ColumnarRead(f.header, [b.header for b in f.batches], [b.control for b in f.batches], f.control,
                        entries_frame(f), result.deviations)


def _is_canonical(data: bytes) -> bool:
    body = data[:-1] if data.endswith(b"\n") else data
    return (
        (len(body) + 1) % (RECORD_LENGTH + 1) == 0
        and not body.translate(None, PRINTABLE_AND_LF)
        and body[RECORD_LENGTH :: RECORD_LENGTH + 1].count(b"\n") == (len(body) + 1) // (RECORD_LENGTH + 1) - 1
        and STRUCTURE.fullmatch(body[:: RECORD_LENGTH + 1]) is not None
    )


def _check_digit_expr(rdfi: pl.Expr) -> pl.Expr:
    total = sum(((rdfi // 10 ** (7 - i)) % 10) * w for i, w in enumerate(WEIGHTS))
    return (10 - total % 10) % 10


def read_columns(data: bytes) -> ColumnarRead:
    """NACHA bytes (gzip accepted) -> ColumnarRead; column-wise when well-formed, else record by record."""
    data, broken = unpack(data)
    if broken is not None:
        return ColumnarRead(None, [], [], None, entries_frame(AchFile(None, (), None)), (broken,))
    if not _is_canonical(data):
        return _fallback(data)
    body = data[:-1] if data.endswith(b"\n") else data
    types = body[:: RECORD_LENGTH + 1].decode("ascii")
    control_at = types.index("9")  # 0-based line of the File Control
    lines = pl.read_csv(io.BytesIO(body), has_header=False, separator="\x1f", quote_char=None,
                        schema={"l": pl.String}).to_series()
    if lines.len() != len(types) or lines[control_at] == FILL or any(
            lines[i] != FILL for i in range(control_at + 1, len(types))):  # 9-fill for a File Control: missing
        return _fallback(data)
    dev: list[Deviation] = []
    small = {i: lines[i] for i, t in enumerate(types[: control_at + 1]) if t != "6"}  # headers, controls, addenda
    header = FileHeader.parse(small[0])
    dev += [_from(e, 1) for e in header.validate()]
    control = FileControl.parse(small[control_at])
    dev += [_from(e, control_at + 1) for e in control.validate()]
    batch_headers: list[BatchHeader] = []
    batch_controls: list[BatchControl] = []
    header_lines: list[int] = []
    control_lines: list[int] = []
    for i in sorted(small):
        t = types[i]
        if t == "5":
            batch_headers.append(BatchHeader.parse(small[i]))
            header_lines.append(i + 1)
            dev += [_from(e, i + 1) for e in batch_headers[-1].validate()]
        elif t == "8":
            batch_controls.append(BatchControl.parse(small[i]))
            control_lines.append(i + 1)
            dev += [_from(e, i + 1) for e in batch_controls[-1].validate()]
        elif t == "7":
            try:
                dev += [_from(e, i + 1) for e in parse_addenda(small[i]).validate()]
            except ValueError:
                dev.append(Deviation(i + 1, "Addenda", "addenda_type_code", "code", "error", small[i][1:3]))

    t = pl.col("l").str.slice(0, 1)
    frame = pl.DataFrame({"l": lines}).with_row_index("line", offset=1).with_columns(
        t=t,
        batch=((t == "5").cum_sum() - 1).cast(pl.UInt32),
        entry=(t == "6").cum_sum(),
        service=pl.when(t == "5").then(pl.col("l").str.slice(1, 3).str.to_integer(strict=False)).forward_fill(),
    )
    if "7" in types:
        addenda_per_entry = frame.filter(pl.col("t") == "7").group_by("entry").agg(addenda_count=pl.len().cast(pl.UInt32))
        frame = frame.join(addenda_per_entry, on="entry", how="left")
    else:
        frame = frame.with_columns(addenda_count=pl.lit(None, dtype=pl.UInt32))
    l = pl.col("l")
    rdfi = l.str.slice(3, 8).str.to_integer(strict=False)
    tc = l.str.slice(1, 2).str.to_integer(strict=False)
    ent = (
        frame.filter(pl.col("t") == "6")
        .select(
            "line", "batch", "l", "service",
            transaction_code=tc,
            routing_number=l.str.slice(3, 9),
            dfi_account_number=l.str.slice(12, 17).str.strip_chars_end(),
            amount_cents=l.str.slice(29, 10).str.to_integer(strict=False),
            individual_id=l.str.slice(39, 15).str.strip_chars_end(),
            individual_name=l.str.slice(54, 22).str.strip_chars_end(),
            trace_number=l.str.slice(79, 15),
            addenda_count=pl.col("addenda_count").fill_null(0),
            indicator=l.str.slice(78, 1),
            rdfi=rdfi,
            clean=l.str.contains(ENTRY_SHAPE)
            & tc.is_in(list(codes.TRANSACTION_CODES))
            & (_check_digit_expr(rdfi) == l.str.slice(11, 1).str.to_integer(strict=False))
            & (l.str.slice(12, 17).str.strip_chars() != ""),
        )
    )
    for n, raw in ent.filter(~pl.col("clean")).select("line", "l").iter_rows():
        dev += [_from(e, n) for e in EntryDetail.parse(raw).validate()]

    # Batch-level rules (validate.validate_batch), reported at the batch control's line.
    is_debit = pl.col("transaction_code") % 10 >= 5
    mismatched = ent.filter(pl.col("indicator").is_in(["0", "1"]) & ((pl.col("indicator") == "1") != (pl.col("addenda_count") > 0)))
    for b, trace in mismatched.select("batch", "trace_number").iter_rows():
        dev.append(_from(FieldError("EntryDetail", "addenda_record_indicator", "addenda_mismatch", trace), control_lines[b]))
    wrong_class = ent.filter(pl.col("transaction_code").is_not_null() & (
        ((pl.col("service") == codes.DEBITS_ONLY) & ~is_debit) | ((pl.col("service") == codes.CREDITS_ONLY) & is_debit)))
    for b, code in wrong_class.select("batch", l.str.slice(1, 2)).iter_rows():
        dev.append(_from(FieldError("EntryDetail", "transaction_code_text", "service_class", code), control_lines[b]))

    amount = pl.col("amount_cents").fill_null(0)
    valued = pl.col("transaction_code").is_not_null() & pl.col("amount_cents").is_not_null()
    per_batch = ent.group_by("batch").agg(
        count=pl.len() + pl.col("addenda_count").sum(),
        hash=pl.col("rdfi").fill_null(0).sum(),
        debit=pl.when(valued & is_debit).then(amount).otherwise(0).sum(),
        credit=pl.when(valued & ~is_debit).then(amount).otherwise(0).sum(),
    )
    sums = {b: (c, h, d, cr) for b, c, h, d, cr in per_batch.iter_rows()}
    file_count = file_hash = file_debit = file_credit = 0
    for b, (bh, bc) in enumerate(zip(batch_headers, batch_controls)):
        c, h, d, cr = sums.get(b, (0, 0, 0, 0))
        file_count, file_hash, file_debit, file_credit = file_count + c, file_hash + h, file_debit + d, file_credit + cr
        dev += [_from(e, control_lines[b]) for e in compare_batch_control(bh, bc, Totals(c, h % 10**10, d, cr))]
    dev += [_from(e, control_at + 1) for e in compare_file_control(
        control, len(batch_headers), control_at + 1, Totals(file_count, file_hash % 10**10, file_debit, file_credit))]
    if len(types) > control_at + 1 and (short := padding_deviation(len(types))) is not None:
        dev.append(short)
    entries = ent.select(list(ENTRY_COLUMNS)).cast(ENTRY_COLUMNS)
    return ColumnarRead(header, batch_headers, list(batch_controls), control, entries, tuple(dev))
