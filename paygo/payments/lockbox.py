"""A bank's lockbox / incoming-credit report (CSV) matched to remit bills and invoices.

Format (docs/payments.md): a header row with exactly these columns, any order:
  received_on   the business date the money arrived, YYYY-MM-DD
  reference     the bank's reference of the credit (check number, wire IMAD, ACH trace): unique per payer
  amount        dollars and cents, e.g. 1290.08 (no sign, no currency symbol)
  remittance    the payer's remittance text, which names the bill (REMIT-000123) or invoice (INV-000045)
  method        check, wire, ach_credit or lockbox
A line is matched when its remittance names exactly one known bill or invoice and its amount is what
that bill or invoice still owes; anything else (no number, two numbers, unknown number, another
amount, a bad cell) goes to the exception queue for a person, who records it with `paygo payments
record`. Nothing is dropped and nothing is guessed.
Example: `2026-12-04,CHK-1042,563.11,Acme payroll REMIT-000003,check` pays REMIT-000003 if it owes $563.11.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date

from paygo.billing.money import MoneyError, format_cents, parse_cents
from paygo.db.models import PAYMENT_METHODS_RECEIVED

COLUMNS = ("received_on", "reference", "amount", "remittance", "method")
NUMBER = re.compile(r"\b(REMIT-\d{6}|INV-\d{6})\b")


@dataclass(frozen=True)
class Line:
    row: int  # 1-based data row (header is row 0)
    received_on: date | None
    reference: str
    amount_cents: int | None
    remittance: str
    method: str
    problem: str | None  # a bad cell: the line goes to the exception queue as it is

    def target(self) -> tuple[str | None, str | None]:
        """(the one bill or invoice number the remittance names, or None; why not)."""
        found = sorted(set(NUMBER.findall(self.remittance.upper())))
        if len(found) == 1:
            return found[0], None
        return None, "the remittance names no bill or invoice" if not found else f"it names {', '.join(found)}"


class LockboxError(ValueError):
    """The file as a whole cannot be read (not CSV text, wrong header)."""


def read_lockbox(data: bytes) -> list[Line]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LockboxError(f"not UTF-8 text (byte {exc.start})") from exc
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        raise LockboxError("the file is empty")
    header = [h.strip().lower() for h in rows[0]]
    if sorted(header) != sorted(COLUMNS):
        raise LockboxError(f"columns must be {', '.join(COLUMNS)}; got {', '.join(header)}")
    out = []
    for i, record in enumerate(rows[1:], start=1):
        cells = [c.strip() for c in record]
        if not any(cells):
            continue
        if len(cells) != len(header):
            out.append(Line(i, None, "", None, ",".join(cells)[:200], "", f"{len(cells)} cells, expected {len(header)}"))
            continue
        r = dict(zip(header, cells))
        problems = []
        try:
            received = date.fromisoformat(r["received_on"])
        except ValueError:
            received, _ = None, problems.append(f"received_on {r['received_on']!r} is not YYYY-MM-DD")
        try:
            amount = parse_cents(r["amount"])
            if amount <= 0:
                problems.append(f"amount {r['amount']!r} is not positive")
        except MoneyError as exc:
            amount, _ = None, problems.append(f"amount {r['amount']!r}: {exc}")
        if not r["reference"]:
            problems.append("reference is empty")
        if r["method"] not in PAYMENT_METHODS_RECEIVED:
            problems.append(f"method must be one of {', '.join(PAYMENT_METHODS_RECEIVED)}")
        out.append(Line(i, received, r["reference"], amount, r["remittance"], r["method"],
                        "; ".join(problems) or None))
    return out


@dataclass
class ImportResult:
    recorded: list[str]  # payment numbers created
    already: list[str]  # lines whose reference was recorded before (nothing changed)
    exceptions: list[str]  # "row N: why" sent to the exception queue
    lines: int


def import_lockbox(session, data: bytes, *, on: date, by: str = "paygo payments import") -> ImportResult:
    """Match and record every line in the caller's transaction (one commit for the file: a crash
    records nothing, and a re-run finds every reference it recorded). Unmatched lines become
    exception items (once per file and row)."""
    import hashlib

    from sqlalchemy import select

    from paygo.db import models as m
    from paygo.payments import balances
    from paygo.payments.record import PaymentError, bill_balance, record_payment

    sha = hashlib.sha256(data).hexdigest()
    lines = read_lockbox(data)
    result = ImportResult([], [], [], len(lines))

    def refuse(line: Line, why: str) -> None:
        subject = f"payment_import:{sha[:16]}:{line.row}"
        result.exceptions.append(f"row {line.row}: {why}")
        if session.scalar(select(m.ExceptionItem.id).where(m.ExceptionItem.subject == subject)) is None:
            amount = "?" if line.amount_cents is None else f"${format_cents(line.amount_cents)}"
            session.add(m.ExceptionItem(kind="unmatched_payment", subject=subject, detail=(
                f"lockbox file {sha[:12]} row {line.row}: {amount} ref {line.reference!r} "
                f"remittance {line.remittance!r}: {why}; record it with `paygo payments record`")))

    for line in lines:
        if line.problem:
            refuse(line, line.problem)
            continue
        number, why = line.target()
        if number is None:
            refuse(line, why)
            continue
        if number.startswith("REMIT-"):
            bill = session.scalar(select(m.RemitBill).where(m.RemitBill.number == number))
            owed = None if bill is None else bill_balance(session, bill.id)
        else:
            inv = session.scalar(select(m.Invoice).where(m.Invoice.number == number))
            owed = None if inv is None else balances.open_cents(session, [inv.id]).get(inv.id, 0)
        if owed is None:
            refuse(line, f"no {number}")
            continue
        known = session.scalar(select(m.Payment.number).where(m.Payment.reference == line.reference,
                                                              m.Payment.amount_cents == line.amount_cents))
        if owed != line.amount_cents and known is None:
            refuse(line, f"{number} owes ${format_cents(owed)}, the line is for another amount")
            continue
        try:
            with session.begin_nested():
                done = record_payment(session, amount_cents=line.amount_cents, on=on, reference=line.reference,
                                      method=line.method, source=f"import:{sha}:{line.row}", by=by,
                                      **({"bill_number": number} if number.startswith("REMIT-")
                                         else {"invoice_number": number}))
        except PaymentError as exc:
            refuse(line, str(exc))
            continue
        (result.recorded if done.created else result.already).append(done.number)
    return result
