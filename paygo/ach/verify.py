"""Does a recorded NACHA file balance to the invoices and entries it carries? (an asset check's core)

Rule (design.md "a NACHA file parsed back balances to the invoices it carries"): the stored bytes
must hash to the recorded sha256, parse and validate strictly (paygo.nacha.read, no tolerance: our
own outgoing files are never read leniently), and their File Control
must equal what the database recorded: entry count, entry hash (sum of the 8-digit RDFI ids of the
entry rows, last 10 digits), total debit and credit; each entry row's amount equals its invoice's
|total| and each trace in the file is an entry row with the same amount and routing.
Worked example: a file of invoices 2715 and 1234 (debits) -> total debit 3949, 2 entries: (True, {...}).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from paygo.db.models import AchEntry, AchFile, Invoice
from paygo.nacha import codes
from paygo.nacha.fields import is_digits
from paygo.nacha.read import read_ach


def _number(text: str) -> int | None:
    """A numeric field's value; None when it is not ASCII digits (reported by the reader)."""
    return int(text) if is_digits(text) else None


def file_balances_invoices(session: Session, ach_file_id: int) -> tuple[bool, dict]:
    """(passed, metadata): metadata holds the compared numbers and a list of problems (no account numbers)."""
    row = session.get(AchFile, ach_file_id)
    problems: list[str] = []
    data = Path(row.path).read_bytes()
    if hashlib.sha256(data).hexdigest() != row.sha256:
        problems.append("stored bytes do not match the recorded sha256")
    parsed = read_ach(data)  # STRICT: no bank tolerance applies to what we send
    problems += [str(d) for d in parsed.errors]
    entries = session.execute(
        select(AchEntry, Invoice).join(Invoice, Invoice.id == AchEntry.invoice_id).where(AchEntry.ach_file_id == row.id)
    ).all()
    db_debit = sum(e.amount_cents for e, _ in entries if codes.is_debit(e.transaction_code))
    db_credit = sum(e.amount_cents for e, _ in entries if not codes.is_debit(e.transaction_code))
    invoice_debit = sum(i.total_cents for _, i in entries if i.total_cents > 0)
    invoice_credit = sum(-i.total_cents for _, i in entries if i.total_cents < 0)
    db_hash = sum(int(e.routing[:8]) for e, _ in entries) % 10**10
    control = parsed.control
    file_numbers = {
        "entry_count": _number(control.entry_addenda_count) if control else None,
        "entry_hash": _number(control.entry_hash) if control else None,
        "total_debit_cents": _number(control.total_debit) if control else None,
        "total_credit_cents": _number(control.total_credit) if control else None,
    }
    expected = {"entry_count": len(entries), "entry_hash": db_hash,
                "total_debit_cents": db_debit, "total_credit_cents": db_credit}
    for key, value in expected.items():
        if file_numbers[key] != value:
            problems.append(f"{key}: file says {file_numbers[key]}, database {value}")
    if (invoice_debit, invoice_credit) != (db_debit, db_credit):
        problems.append(f"invoices total debit {invoice_debit} credit {invoice_credit}, entries {db_debit}/{db_credit}")
    if (row.total_debit_cents, row.total_credit_cents, row.entry_count) != (db_debit, db_credit, len(entries)):
        problems.append("ach_files totals disagree with its entry rows")
    by_trace = {e.trace_number: e for e, _ in entries}
    for trace, amount, routing, tc in parsed.entries.select(
            "trace_number", "amount_cents", "routing_number", "transaction_code").iter_rows():
        e = by_trace.get(trace)
        if e is None or e.amount_cents != amount or e.routing != routing or e.transaction_code != tc:
            problems.append(f"trace {trace} does not match an entry row")
    return not problems, {"file": Path(row.path).name, "file_numbers": file_numbers, "database": expected,
                          "invoice_debit_cents": invoice_debit, "invoice_credit_cents": invoice_credit,
                          "problems": problems}
