"""Write a NACHA file to bytes: one 94-character record per line, LF line ends, 9-filled blocks.

Rule (NACHA Operating Rules, Appendix One): records are written in order (file header, each
batch's header, entries each followed by its addenda, batch control, file control) and the file
is padded with records of ninety-four 9s up to a multiple of ten records (the blocking factor).
Worked example: ccd-debit.ach holds 6 records, so 4 fill records follow: 10 lines, 949 bytes
(10 x 94 + 9 line feeds, no final line feed).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from paygo.nacha.fields import BLOCKING_FACTOR, RECORD_LENGTH
from paygo.nacha.records import AchFile

FILL = "9" * RECORD_LENGTH

if TYPE_CHECKING:
    import polars as pl

    from paygo.nacha.build import BatchSpec, FileSpec


def iter_lines(file: AchFile) -> Iterator[str]:
    """The records of a file in order, without 9-fill."""
    if file.header is not None:
        yield file.header.to_line()
    for batch in file.batches:
        yield batch.header.to_line()
        for entry in batch.entries:
            yield entry.to_line()
            for addenda in entry.addenda:
                yield addenda.to_line()
        if batch.control is not None:
            yield batch.control.to_line()
    if file.control is not None:
        yield file.control.to_line()


def blocked(lines: list[str]) -> list[str]:
    """Lines 9-filled to a multiple of ten."""
    return lines + [FILL] * (-len(lines) % BLOCKING_FACTOR)


def write_ach(file: AchFile, *, final_newline: bool = True) -> bytes:
    """File -> bytes. Raises ValueError if a record is not 94 characters (we never write one)."""
    lines = blocked(list(iter_lines(file)))
    bad = next((i for i, line in enumerate(lines, 1) if len(line) != RECORD_LENGTH), None)
    if bad is not None:
        raise ValueError(f"record {bad} is {len(lines[bad - 1])} characters, not 94")
    text = "\n".join(lines) + ("\n" if final_newline else "")
    return text.encode("ascii")


# --- Column-wise fast path: a big debit file from a polars frame, without a Python object per entry.

def write_columns(spec: FileSpec, batches: Sequence[BatchSpec], entries: pl.DataFrame) -> bytes:
    """Build and write a file from a frame of entries, byte-identical to build_file + write_ach.

    `entries` has columns batch (0-based index into `batches`, whose own `entries` are ignored),
    transaction_code, routing_number (9 digits), account_number, amount_cents (Int64),
    individual_id, individual_name; rows stay in their order within a batch. No addenda.
    Raises ValueError for a bad routing check digit or a value too wide for its field.
    """
    import polars as pl

    from paygo.nacha import codes
    from paygo.nacha.build import build_file
    from paygo.nacha.fields import WEIGHTS, numeric
    from paygo.nacha.records import BatchControl, FileControl

    df = entries.with_row_index("_row").sort(["batch", "_row"])
    routing = pl.col("routing_number")
    rdfi = routing.str.slice(0, 8).str.to_integer(strict=False)
    total = sum(((rdfi // 10 ** (7 - i)) % 10) * w for i, w in enumerate(WEIGHTS))
    problems = df.select(
        bad_routing=(~routing.str.contains(r"^[0-9]{9}$") | ((10 - total % 10) % 10 != routing.str.slice(8, 1).str.to_integer(strict=False))).any(),
        too_wide=((pl.col("account_number").str.len_chars() > 17) | (pl.col("individual_id").str.len_chars() > 15)
                  | (pl.col("individual_name").str.len_chars() > 22) | (pl.col("amount_cents") >= 10**10)
                  | (pl.col("amount_cents") < 0)).any(),
        bad_code=(~pl.col("transaction_code").is_in(list(codes.TRANSACTION_CODES))).any(),
        bad_batch=((pl.col("batch") < 0) | (pl.col("batch") >= len(batches))).any(),
    ).row(0)
    for name, bad in zip(("routing check digit", "field width", "transaction code", "batch index"), problems):
        if bad:
            raise ValueError(f"entries frame has a bad {name}")
    if df.height > 9_999_999:
        raise ValueError("more than 9,999,999 entries in one file: trace sequence exhausted")
    # Headers and the file header come from the per-record builder on an empty copy of each batch,
    # so both paths share every header rule; service class depends on the entries, so recompute it.
    per_batch = df.group_by("batch").agg(
        n=pl.len(),
        debits=(pl.col("transaction_code") % 10 >= 5).sum(),
        hash=rdfi.sum(),
        debit=pl.when(pl.col("transaction_code") % 10 >= 5).then(pl.col("amount_cents")).otherwise(0).sum(),
        credit=pl.when(pl.col("transaction_code") % 10 < 5).then(pl.col("amount_cents")).otherwise(0).sum(),
    ).sort("batch")
    stats = {b: (n, d, h, deb, cr) for b, n, d, h, deb, cr in per_batch.iter_rows()}
    skeleton = build_file(spec, [type(b)(**{**b.__dict__, "entries": ()}) for b in batches])
    odfi = spec.odfi_routing[:8]
    entry_lines = df.with_row_index("_seq", offset=1).select(
        pl.concat_str([
            pl.lit("6"), pl.col("transaction_code").cast(pl.String).str.zfill(2), routing,
            pl.col("account_number").str.pad_end(17), pl.col("amount_cents").cast(pl.String).str.zfill(10),
            pl.col("individual_id").str.pad_end(15), pl.col("individual_name").str.pad_end(22),
            pl.lit("  0"), pl.lit(odfi), pl.col("_seq").cast(pl.String).str.zfill(7),
        ])
    ).to_series().to_list()
    lines = [skeleton.header.to_line()]
    start = 0
    f_count = f_hash = f_debit = f_credit = 0
    for i, batch in enumerate(skeleton.batches):
        n, debits, hash_, debit, credit = stats.get(i, (0, 0, 0, 0, 0))
        service = codes.MIXED if 0 < debits < n else codes.DEBITS_ONLY if debits == n and n else codes.CREDITS_ONLY if n else int(batch.header.service_class_code)
        header = type(batch.header)(**{**batch.header.__dict__, "service_class_code": numeric(service, 3)})
        control = BatchControl("8", header.service_class_code, numeric(n, 6), numeric(hash_ % 10**10, 10),
                               numeric(debit, 12), numeric(credit, 12), header.company_identification,
                               " " * 19, " " * 6, header.odfi_identification, header.batch_number)
        lines.append(header.to_line())
        lines.extend(entry_lines[start : start + n])
        lines.append(control.to_line())
        start += n
        f_count, f_hash, f_debit, f_credit = f_count + n, f_hash + hash_, f_debit + debit, f_credit + credit
    records = len(lines) + 1
    lines.append(FileControl("9", numeric(len(skeleton.batches), 6), numeric(-(-records // BLOCKING_FACTOR), 6),
                             numeric(f_count, 8), numeric(f_hash % 10**10, 10), numeric(f_debit, 12),
                             numeric(f_credit, 12), " " * 39).to_line())
    return ("\n".join(blocked(lines)) + "\n").encode("ascii")
