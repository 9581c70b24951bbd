"""`paygo ach inspect FILE [--json] [--tolerate NAMES]`: parse and validate any NACHA file (spec/cli.md).

Exit 0 when the file is valid (warnings allowed), 1 when it has errors, 2 for a usage error
(missing or unreadable file, an unknown tolerance). The file is read under the bank's tolerance
profile (`PAYGO_BANK_NACHA_TOLERANCES`, docs/nacha-tolerances.md; `--tolerate` overrides it, strict by
default): each tolerated deviation is printed as a warning and listed under `warnings`. The JSON is
built column-wise from the one reader's frames and written batch by batch (compact, one object), so
moov's 500,000-entry file is inspected in about 1.3 s (docs/benchmarks.md). Valid or not is `paygo.nacha.check.check_ach`'s verdict, the one
`paygo ach reconcile` acts on: what inspect calls invalid, reconcile refuses whole. `.gz` input is
accepted. Account numbers are shown masked to their last four characters, including NOC corrected
data that carries an account number (C01, C03, C06, C07).
"""

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from paygo.nacha.check import check_ach, describe
from paygo.nacha.fields import mask_account
from paygo.nacha.read import ReadResult, col, parse_tolerances
from paygo.nacha.records import Addenda98, BatchHeader, EntryDetail, FileHeader, parse_addenda, parse_corrected_data


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a NACHA file (.ach, .txt, or .gz)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--tolerate", default=None, metavar="NAMES",
                        help="comma-separated tolerances (docs/nacha-tolerances.md); default: the bank's profile "
                             "(PAYGO_BANK_NACHA_TOLERANCES), strict when none")


def masked_corrected_data(change_code: str, corrected_data: str) -> str:
    """Corrected data, sliced by its change code's layout (paygo.nacha.records), with any account masked."""
    layout = parse_corrected_data(change_code, corrected_data)
    if layout is None:
        return corrected_data.strip()
    parts = [mask_account(getattr(layout, name)) if name == "account" else getattr(layout, name).strip()
             for name, _, _, _ in layout.LAYOUT if not name.startswith("reserved")]
    return " ".join(parts)


def _masked(account: pl.Expr) -> pl.Expr:
    """fields.mask_account, column-wise: '****' + the last four characters of the trimmed account."""
    text = account.str.strip_chars()
    return pl.when(text.str.len_chars() > 4).then(pl.lit("****") + text.str.slice(-4)).otherwise(pl.lit("****"))


def _quoted(expr: pl.Expr) -> pl.Expr:
    return pl.lit('"') + expr + '"'


def _escaped(expr: pl.Expr) -> pl.Expr:
    """A JSON string of printable ASCII text (what a file without a 'not_allowed' character holds)."""
    return pl.lit('"') + expr.str.replace_all("\\", "\\\\", literal=True).str.replace_all('"', '\\"', literal=True) + '"'


def _entry_json(read: ReadResult) -> pl.DataFrame:
    """(batch, JSON text) of every entry, built column-wise; returns and NOCs get their addenda fields."""
    e = read.entries
    tc_text = col(EntryDetail, "transaction_code_text")
    printable = not any(d.rule == "not_allowed" for d in read.deviations)  # else let polars escape
    tc = pl.when(pl.col("transaction_code").is_not_null()).then(pl.col("transaction_code").cast(pl.String))
    if printable:
        # nothing to escape (the common case): skip two passes over every text column
        _js = _escaped if e.select(pl.col("l").str.contains_any(['"', "\\"]).any()).item() else _quoted
        account = _masked(pl.col("dfi_account_number"))
        body = pl.concat_str(
            pl.lit('{"transaction_code":'), tc.otherwise(_js(tc_text)),
            pl.lit(',"routing_number":'), _js(pl.col("routing_number")),
            pl.lit(',"account_number":'), _js(account),
            pl.lit(',"amount_cents":'), pl.col("amount_cents").cast(pl.String).fill_null("null"),
            pl.lit(',"individual_name":'), _js(pl.col("individual_name").str.strip_chars()),
            pl.lit(',"trace_number":'), _js(pl.col("trace_number")))
    else:  # characters NACHA does not allow (the file is invalid anyway): json.dumps escapes them
        rows = [json.dumps({"transaction_code": tc_ if tc_ is not None else EntryDetail.parse(raw).transaction_code_text,
                            "routing_number": routing,
                            "account_number": mask_account(account), "amount_cents": amount,
                            "individual_name": name.strip(), "trace_number": trace})[:-1]
                for tc_, raw, routing, account, amount, name, trace in e.select(
                    "transaction_code", "l", "routing_number", "dfi_account_number", "amount_cents",
                    "individual_name", "trace_number").iter_rows()]
        body = pl.Series(rows, dtype=pl.String)
    base = e.select("batch", "entry", json=body)
    extra = _addenda_json(read)
    if extra:
        base = base.join(pl.DataFrame({"entry": list(extra), "extra": list(extra.values())},
                                      schema={"entry": pl.Int64, "extra": pl.String}),
                         on="entry", how="left", maintain_order="left")
        return base.select("batch", json=pl.col("json") + pl.col("extra").fill_null("") + "}")
    return base.select("batch", json=pl.col("json") + "}")


def _addenda_json(read: ReadResult) -> dict[int, str]:
    """entry -> ',"return_code":...' for entries carrying addenda 99 or 98 (a few per file)."""
    add = read.addenda.filter(pl.col("key").is_in(["99", "99d", "99c", "98"]))
    by_entry: dict[int, list] = {}
    for entry, raw, key in add.select("entry", "l", "key").iter_rows():
        by_entry.setdefault(entry, []).append((key, raw))
    out = {}
    for entry, lines in by_entry.items():
        fields: dict[str, Any] = {}
        nines = [ln for key, ln in lines if key != "98"]
        if nines:
            returns = [parse_addenda(n) for n in nines]
            first = returns[0]
            fields["return_code"] = first.return_code
            fields["original_trace"] = first.original_trace
            if first.date_of_death.strip():
                fields["date_of_death"] = first.date_of_death
            fields["original_routing"] = first.original_rdfi
            fields["returns"] = [{"return_code": a.return_code, "original_trace": a.original_trace} for a in returns]
        eights = [ln for key, ln in lines if key == "98"]
        if eights:
            noc = Addenda98.parse(eights[0])
            fields.update(change_code=noc.change_code, original_trace=noc.original_trace,
                          original_routing=noc.original_rdfi,
                          corrected_data=masked_corrected_data(noc.change_code, noc.corrected_data))
        out[entry] = "," + json.dumps(fields)[1:-1] if fields else ""
    return out


def _header_json(h: FileHeader | None) -> dict[str, Any] | None:
    if h is None:
        return None
    return {"immediate_destination": h.immediate_destination.strip(), "immediate_origin": h.immediate_origin.strip(),
            "file_creation_date": h.file_creation_date, "file_creation_time": h.file_creation_time.strip(),
            "file_id_modifier": h.file_id_modifier, "immediate_destination_name": h.immediate_destination_name.strip(),
            "immediate_origin_name": h.immediate_origin_name.strip()}


def _batch_header_json(h: BatchHeader) -> dict[str, Any]:
    return {"service_class_code": h.service_class_code, "company_name": h.company_name.strip(),
            "company_identification": h.company_identification.strip(), "sec_code": h.standard_entry_class_code,
            "company_entry_description": h.company_entry_description.strip(),
            "effective_entry_date": h.effective_entry_date, "odfi_identification": h.odfi_identification,
            "batch_number": h.batch_number}


def _totals(read: ReadResult) -> dict[str, int]:
    t = read.totals
    return {"total_debit_cents": t.total_debit_cents, "total_credit_cents": t.total_credit_cents,
            "entry_hash": t.entry_hash}


CHUNK = 50_000  # entries turned into Python text at a time: the output is never one string in memory


def _batches_json(read: ReadResult) -> Iterator[str]:
    """The JSON text of every batch with its entries, batch by batch (the entries' JSON is built
    column-wise by polars and brought into Python CHUNK entries at a time)."""
    entries = _entry_json(read)["json"] if read.entry_count else pl.Series("json", [], dtype=pl.String)
    sizes = dict(read.entries.group_by("batch").len().iter_rows()) if read.entry_count else {}
    chunk: list[str] = []
    at = start = 0  # chunk[at] is entry number start + at
    for i, b in enumerate(read.batches):
        n = sizes.get(i, 0)
        if at + n > len(chunk):  # fetch the next entries (at least this batch's)
            start += at
            chunk, at = entries.slice(start, max(n, CHUNK)).to_list(), 0
        body = ",".join(chunk[at : at + n])
        at += n
        yield ("," if i else "") + json.dumps(_batch_header_json(b.header))[:-1] + ',"entries":[' + body + "]}"


def inspect_report(read: ReadResult) -> tuple[dict[str, Any], Iterator[str]]:
    """The report without its batches, and the batches' JSON text (entries built column-wise)."""
    errors = read.errors
    report = {
        "header": _header_json(read.header),
        "batch_count": len(read.batches),
        "entry_count": read.entry_count,
        **_totals(read),
        "valid": not errors,
        "errors": [_dev_json(d) for d in errors],
        "warnings": [_dev_json(d) for d in read.warnings],
    }
    batches = _batches_json(read)
    return report, batches


def _dev_json(d: Any) -> dict[str, Any]:
    # Values are omitted for account fields so an account number never reaches the output.
    value = "" if d.field in ("dfi_account_number", "corrected_data") else d.value
    return {"line": d.line, "record": d.record, "field": d.field, "rule": d.rule, "value": value,
            "message": describe(d)}


def _tolerances(args: argparse.Namespace) -> frozenset:
    if args.tolerate is not None:
        return parse_tolerances(args.tolerate)
    from paygo.config import load_settings

    return load_settings().bank.nacha_tolerances


def run(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        data = path.read_bytes()
        tolerances = _tolerances(args)
    except OSError as exc:
        print(f"paygo ach inspect: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    except ValueError as exc:  # an unknown tolerance name (ConfigError is a ValueError)
        print(f"paygo ach inspect: {exc}", file=sys.stderr)
        return 2
    checked = check_ach(data, tolerances=tolerances)  # the verdict `paygo ach reconcile` acts on
    read = checked.read
    del data
    report, batches = inspect_report(read)
    if args.json:
        head = json.dumps(report)
        out = sys.stdout
        out.write(head[:-1] + ',"batches":[')
        for chunk in batches:
            out.write(chunk)
        out.write("]}\n")
        return 0 if report["valid"] else 1
    if checked.not_nacha:
        print(f"{path.name}: INVALID; {describe(checked.errors[0]).removeprefix('file: ')}")
        return 1
    print(f"{path.name}: {'valid' if report['valid'] else 'INVALID'}; {report['batch_count']} batches, "
          f"{report['entry_count']} entries, debits {report['total_debit_cents']} cents, "
          f"credits {report['total_credit_cents']} cents")
    for b in (json.loads(text.removeprefix(",")) for text in batches):  # one batch in memory at a time
        print(f"  batch {b['batch_number']} {b['sec_code']} {b['company_name']} ({len(b['entries'])} entries)")
        for e in b["entries"]:
            extra = f" return {e['return_code']} of {e['original_trace']}" if "return_code" in e else ""
            extra += f" NOC {e['change_code']} -> {e['corrected_data']}" if "change_code" in e else ""
            print(f"    {e['trace_number']} tc {e['transaction_code']} {e['routing_number']} "
                  f"{e['account_number']} {e['amount_cents']} cents{extra}")
    for kind in ("errors", "warnings"):
        for d in report[kind]:
            print(f"  {kind[:-1]}: {d['message']}")
    return 0 if report["valid"] else 1
