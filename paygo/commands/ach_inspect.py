"""`paygo ach inspect FILE [--json]`: parse and validate any NACHA file (spec/cli.md).

Exit 0 when the file is valid (warnings allowed), 1 when it has errors, 2 for a usage error
(missing or unreadable file). Valid or not is `paygo.nacha.check.check_ach`'s verdict, the one
`paygo ach reconcile` acts on: what inspect calls invalid, reconcile refuses whole. `.gz` input is
accepted. Account numbers are shown masked to their last four characters, including NOC corrected
data that carries an account number (C01, C03, C06, C07).
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from paygo.nacha.check import check_ach, describe
from paygo.nacha.fields import mask_account
from paygo.nacha.records import AchFile, Addenda98, BatchHeader, EntryDetail, FileHeader
from paygo.nacha.validate import entry_totals


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a NACHA file (.ach, .txt, or .gz)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def masked_corrected_data(addenda: Addenda98) -> str:
    """Corrected data with any account number masked: C01 account; C03 routing(9)+account; C06 account+code; C07 routing+account+code."""
    data, code = addenda.corrected_data, addenda.change_code
    if code == "C01":
        return mask_account(data[:17])
    if code == "C03":
        return data[:9] + " " + mask_account(data[9:29])
    if code == "C06":
        return mask_account(data[:17]) + " " + data[17:29].strip()
    if code == "C07":
        return data[:9] + " " + mask_account(data[9:26]) + " " + data[26:29].strip()
    return data.strip()


def entry_json(e: EntryDetail) -> dict[str, Any]:
    out: dict[str, Any] = {
        "transaction_code": int(e.transaction_code_text) if e.transaction_code_text.isdigit() else e.transaction_code_text,
        "routing_number": e.routing_number,
        "account_number": mask_account(e.dfi_account_number),
        "amount_cents": int(e.amount) if e.amount.isdigit() else None,
        "individual_name": e.individual_name.strip(),
        "trace_number": e.trace_number,
    }
    ret = e.return_addenda
    if ret is not None:
        out["return_code"] = ret.return_code
        out["original_trace"] = ret.original_trace
        if ret.date_of_death.strip():
            out["date_of_death"] = ret.date_of_death
        out["original_routing"] = ret.original_rdfi
        out["returns"] = [{"return_code": a.return_code, "original_trace": a.original_trace}
                          for a in e.addenda if a.addenda_type_code == "99"]
    noc = e.noc_addenda
    if noc is not None:
        out["change_code"] = noc.change_code
        out["original_trace"] = noc.original_trace
        out["original_routing"] = noc.original_rdfi
        out["corrected_data"] = masked_corrected_data(noc)
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


def inspect_json(file: AchFile, deviations: tuple) -> dict[str, Any]:
    totals = entry_totals(file.entries)
    errors = [d for d in deviations if d.severity == "error"]
    return {
        "header": _header_json(file.header),
        "batch_count": len(file.batches),
        "entry_count": len(file.entries),
        "total_debit_cents": totals.total_debit_cents,
        "total_credit_cents": totals.total_credit_cents,
        "entry_hash": totals.entry_hash,
        "valid": not errors,
        "errors": [_dev_json(d) for d in errors],
        "warnings": [_dev_json(d) for d in deviations if d.severity != "error"],
        "batches": [{**_batch_header_json(b.header), "entries": [entry_json(e) for e in b.entries]} for b in file.batches],
    }


def _dev_json(d: Any) -> dict[str, Any]:
    # Values are omitted for account fields so an account number never reaches the output.
    value = "" if d.field == "dfi_account_number" else d.value
    return {"line": d.line, "record": d.record, "field": d.field, "rule": d.rule, "value": value}


def run(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"paygo ach inspect: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    checked = check_ach(data, records=True)  # the verdict `paygo ach reconcile` acts on
    report = inspect_json(checked.file or AchFile(None, (), None), checked.deviations)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        if checked.not_nacha:
            print(f"{path.name}: INVALID; {describe(checked.errors[0]).removeprefix('file: ')}")
            return 1
        print(f"{path.name}: {'valid' if report['valid'] else 'INVALID'}; {report['batch_count']} batches, "
              f"{report['entry_count']} entries, debits {report['total_debit_cents']} cents, "
              f"credits {report['total_credit_cents']} cents")
        for b in report["batches"]:
            print(f"  batch {b['batch_number']} {b['sec_code']} {b['company_name']} ({len(b['entries'])} entries)")
            for e in b["entries"]:
                extra = f" return {e['return_code']} of {e['original_trace']}" if "return_code" in e else ""
                extra += f" NOC {e['change_code']} -> {e['corrected_data']}" if "change_code" in e else ""
                print(f"    {e['trace_number']} tc {e['transaction_code']} {e['routing_number']} "
                      f"{e['account_number']} {e['amount_cents']} cents{extra}")
        for kind in ("errors", "warnings"):
            for d in report[kind]:
                where = f"line {d['line']}" if d["line"] is not None else "file"
                print(f"  {kind[:-1]}: {where} {d['record']}.{d['field']} {d['rule']}")
    return 0 if report["valid"] else 1
