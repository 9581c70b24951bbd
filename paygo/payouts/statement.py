"""The payout statement: what one payout pays for, read from the ledger (PDF and CSV).

Rule (issue 12; docs/ledger.md): a payout records the wallet balance it saw (`wallet_balance_cents`,
owed to the carrier) counting every ledger transaction up to `ledger_cutoff_id`. Its statement lists
the wallet's movements after the previous payout's cutoff up to its own: settled invoices
(`premium_to_carrier`: premium less the carrier's fee), remit receipts (`payment_applied`),
clawbacks, refunds given back to employers (`refund_payable`), platform fees charged to the wallet
(`carrier_fee`), payouts that came back (`payout_returned`). The previous payout itself
(`carrier_payout`) is not a movement: it is in the opening balance.

    opening (what the previous payout kept) + movements = balance; balance - paid = kept (the reserve)

Worked example: the previous payout saw 30,000 and paid 20,000 (opening 10,000 kept); then a clawback
of -12,000 (opening is now -2,000 in effect) and a settled invoice of 25,790 -> balance 23,790,
reserve 10,000, paid 13,790, kept 10,000: the clawback was recovered from this payout.
Amounts are dollars with cents on the PDF; the CSV has the dollars and explicit `_cents` columns.
Only the last four digits of the account are shown.
"""

from __future__ import annotations

import csv
import io
import os
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reportlab.lib.units import inch
from reportlab.platypus import Flowable, Spacer
from sqlalchemy import select
from sqlalchemy.orm import Session

from paygo.db.models import (
    Carrier,
    Employer,
    Invoice,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payout,
)
from paygo.documents import layout
from paygo.documents.layout import dollars, plain_dollars

CATEGORIES = {  # ledger kind -> statement category, in the order the summary lists them
    "premium_to_carrier": "Settled invoices (premium less fees)",
    "payment_applied": "Remit receipts (premium less fees)",
    "clawback": "Clawbacks (returns after settlement)",
    "refund_payable": "Refunds to employers",
    "carrier_fee": "Platform fees charged to the wallet",
    "payout_returned": "Payouts returned by the carrier's bank",
}
OTHER = "Other movements"


@dataclass(frozen=True)
class Movement:
    on: date
    kind: str  # the ledger kind
    reference: str  # an invoice number, a payment, a fee key
    employer: str
    description: str
    premium_cents: int  # premium settled (negative when taken back)
    carrier_fee_cents: int  # the platform fee the carrier paid on it (negative when given back)
    wallet_cents: int  # the change of what the wallet owes the carrier

    @property
    def category(self) -> str:
        return CATEGORIES.get(self.kind, OTHER)


@dataclass(frozen=True)
class PayoutStatement:
    carrier_id: str
    carrier_name: str
    payout_date: date
    effective_date: date
    previous_payout_date: date | None
    opening_cents: int  # what the previous payout left in the wallet (negative: a clawback since)
    movements: tuple[Movement, ...]
    balance_cents: int  # what the payout decision saw
    reserve_cents: int
    paid_cents: int
    account_last4: str
    transaction_code: int
    trace_number: str

    @property
    def movements_cents(self) -> int:
        return sum(m.wallet_cents for m in self.movements)

    @property
    def kept_cents(self) -> int:
        return self.balance_cents - self.paid_cents

    @property
    def account_text(self) -> str:
        kind = "savings" if self.transaction_code == 32 else "checking"
        return f"{kind} ****{self.account_last4}"

    def by_category(self) -> list[tuple[str, int]]:
        totals: dict[str, int] = defaultdict(int)
        for m in self.movements:
            totals[m.category] += m.wallet_cents
        order = [*CATEGORIES.values(), OTHER]
        return [(c, totals[c]) for c in order if c in totals]


def _reference(kind: str, key: str) -> tuple[str, str | None]:
    """(reference shown, invoice number or None) from a transaction's key (docs/ledger.md)."""
    parts = key.split(":")
    if parts[0] == "reverse":
        ref, invoice = _reference(parts[1], ":".join(parts[1:]))
        return f"reversal of {ref}", invoice
    if kind in ("premium_to_carrier", "clawback", "refund_payable") and len(parts) > 1:
        return parts[1], parts[1]
    if kind == "payment_applied" and len(parts) > 2:
        return f"{parts[1]} on {parts[2]}", parts[2]
    if kind == "payout_returned" and len(parts) > 2:
        return f"payout {parts[-1]}", None
    return ":".join(parts[1:]) or key, None


def _describe(kind: str, description: str) -> str:
    return {"premium_to_carrier": "invoice settled", "payment_applied": "remit payment received",
            "clawback": "late return, taken back", "refund_payable": "credit refunded to the employer"}.get(
        kind, description)


def movements(session: Session, carrier_id: str, after_id: int, through_id: int) -> tuple[Movement, ...]:
    """The wallet's movements in (after_id, through_id], previous payouts (`carrier_payout`) left out."""
    wallet, premium_acct = f"carrier_wallet:{carrier_id}", f"premium_unsettled:{carrier_id}"
    touching = (select(LedgerEntry.transaction_id).join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
                .where(LedgerAccount.code == wallet, LedgerEntry.transaction_id > after_id,
                       LedgerEntry.transaction_id <= through_id))
    rows = session.execute(
        select(LedgerTransaction.id, LedgerTransaction.idempotency_key, LedgerTransaction.kind,
               LedgerTransaction.description, LedgerTransaction.effective_date, LedgerAccount.code,
               LedgerEntry.amount_cents)
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerTransaction.id.in_(touching), LedgerTransaction.kind != "carrier_payout")
        .order_by(LedgerTransaction.id, LedgerEntry.id)
    ).all()
    txns: dict[int, dict] = {}
    for tid, key, kind, description, on, code, cents in rows:
        t = txns.setdefault(tid, {"key": key, "kind": kind, "description": description, "on": on,
                                  "entries": defaultdict(int)})
        t["entries"][code] += cents
    refs = {tid: _reference(t["kind"], t["key"]) for tid, t in txns.items()}
    invoices = sorted({inv for _, inv in refs.values() if inv})
    names = dict(session.execute(select(Invoice.number, Employer.name).join(Employer, Employer.id == Invoice.employer_id)
                                 .where(Invoice.number.in_(invoices))).all()) if invoices else {}
    out = []
    for tid, t in txns.items():
        e = t["entries"]
        to_wallet = -e.get(wallet, 0)
        premium = e.get(premium_acct, 0)
        if premium:
            fee = premium - to_wallet
        elif "platform_fees" in e:
            fee = -to_wallet
        else:
            fee = 0
        ref, invoice = refs[tid]
        kind = t["kind"]
        out.append(Movement(t["on"], kind, ref, names.get(invoice, ""), _describe(kind, t["description"]),
                            premium, fee, to_wallet))
    return tuple(out)


def build_payout_statement(session: Session, payout: Payout) -> PayoutStatement:
    """The statement of one recorded payout (the same every time: it reads up to the payout's cutoff)."""
    carrier = session.get(Carrier, payout.carrier_id)
    previous = session.scalar(select(Payout).where(Payout.carrier_id == payout.carrier_id,
                                                   Payout.payout_date < payout.payout_date)
                              .order_by(Payout.payout_date.desc()).limit(1))
    after = previous.ledger_cutoff_id if previous else 0
    opening = previous.wallet_balance_cents - previous.amount_cents if previous else 0
    moves = movements(session, payout.carrier_id, after, payout.ledger_cutoff_id)
    return PayoutStatement(
        carrier_id=payout.carrier_id, carrier_name=carrier.name, payout_date=payout.payout_date,
        effective_date=payout.effective_date, previous_payout_date=previous.payout_date if previous else None,
        opening_cents=opening, movements=moves, balance_cents=payout.wallet_balance_cents,
        reserve_cents=payout.reserve_cents, paid_cents=payout.amount_cents, account_last4=payout.account_last4,
        transaction_code=payout.transaction_code, trace_number=payout.trace_number)


def render_payout_statement_pdf(s: PayoutStatement) -> bytes:
    """The statement as deterministic PDF bytes (reportlab invariant=1, paygo.documents.layout)."""
    since = (f"since the payout of {layout.date_text(s.previous_payout_date)}" if s.previous_payout_date
             else "since the wallet was opened")
    summary = [("Previous balance (kept after the last payout)" if s.previous_payout_date else "Previous balance",
                dollars(s.opening_cents))]
    summary += [(label, dollars(cents)) for label, cents in s.by_category()]
    difference = s.balance_cents - s.opening_cents - s.movements_cents
    if difference:  # never expected: shown rather than hidden
        summary.append(("Unreconciled difference", dollars(difference)))
    summary += [("Wallet balance before this payout", dollars(s.balance_cents)),
                ("Reserve kept in the wallet (payout minimum)", dollars(-s.reserve_cents))]
    if s.kept_cents != s.reserve_cents:  # the per-entry limit capped the payout: the rest waits
        summary.append(("Waiting for the next payout", dollars(-(s.kept_cents - s.reserve_cents))))
    summary.append((f"PAID TO {s.account_text.upper()}", dollars(s.paid_cents)))
    story: list[Flowable] = [
        layout.para("CARRIER PAYOUT STATEMENT", layout.TITLE),
        layout.para(f"{s.carrier_name}  |  payout of {layout.date_text(s.payout_date)}  |  ACH credit effective "
                    f"{layout.date_text(s.effective_date)}  |  {s.account_text}  |  trace {s.trace_number}",
                    layout.BODY),
        Spacer(1, 10),
        layout.rich("<b>Summary</b>", layout.HEADING),
        layout.totals_box(summary),
        Spacer(1, 4),
    ]
    if s.opening_cents < 0 or any(m.kind == "clawback" for m in s.movements):
        story.append(layout.para("A clawback is settled money taken back from the wallet (a return after "
                                 "settlement); one that came after the last payout is recovered from this payout.",
                                 layout.SMALL))
    widths = [0.8 * inch, 1.55 * inch, 1.2 * inch, 1.35 * inch, 0.8 * inch, 0.75 * inch]
    widths.append(layout.CONTENT_WIDTH - sum(widths))
    rows = [[layout.date_text(m.on), layout.para(m.category.split(" (")[0], layout.CELL),
             layout.para(m.reference, layout.CELL), layout.para(m.employer or m.description, layout.CELL),
             dollars(m.premium_cents), dollars(m.carrier_fee_cents), dollars(m.wallet_cents)] for m in s.movements]
    story += [
        layout.rich(f"<b>Wallet movements {since}</b>", layout.HEADING),
        layout.data_table(
            ["Date", "Movement", "Reference", "Employer / detail", "Premium", "Fee", "To wallet"], rows, widths,
            right_cols=(4, 5, 6),
            total_rows=[["Total", "", "", "", dollars(sum(m.premium_cents for m in s.movements)),
                         dollars(sum(m.carrier_fee_cents for m in s.movements)), dollars(s.movements_cents)]]),
        Spacer(1, 4),
        layout.para("Premium is what the employer paid for the carrier; the fee is the platform fee the carrier "
                    "pays on it (percentage of collected premium) or a fee charged to the wallet; To wallet is "
                    "the change of what the wallet owes the carrier. Amounts taken back are negative.",
                    layout.SMALL),
    ]
    return layout.render_pdf(
        story, title=f"Payout statement {s.carrier_name} {s.payout_date.isoformat()}",
        running_header=f"Carrier payout statement  |  {s.carrier_name}  |  {s.payout_date.isoformat()}",
        footer_note="Amounts in US dollars. Account numbers show their last four digits only.")


CSV_COLUMNS = ["line", "carrier_id", "payout_date", "date", "category", "kind", "reference", "employer",
               "description", "premium", "premium_cents", "carrier_fee", "carrier_fee_cents", "amount",
               "amount_cents"]


def payout_statement_csv(s: PayoutStatement) -> str:
    """One `opening` line, one `movement` line per wallet movement, then `balance`, `reserve`,
    `payout` and `kept`; `amount` is the change of the wallet (movements) or the line's amount."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    day = s.payout_date.isoformat()

    def summary(line: str, description: str, cents: int, on: date | None = None) -> None:
        w.writerow([line, s.carrier_id, day, (on or s.payout_date).isoformat(), "", "", "", "", description,
                    "", "", "", "", plain_dollars(cents), cents])

    summary("opening", "kept after the previous payout" if s.previous_payout_date else "no previous payout",
            s.opening_cents, s.previous_payout_date)
    for m in s.movements:
        w.writerow(["movement", s.carrier_id, day, m.on.isoformat(), m.category, m.kind, m.reference, m.employer,
                    m.description, plain_dollars(m.premium_cents), m.premium_cents, plain_dollars(m.carrier_fee_cents),
                    m.carrier_fee_cents, plain_dollars(m.wallet_cents), m.wallet_cents])
    summary("balance", "wallet balance before this payout", s.balance_cents)
    summary("reserve", "reserve kept in the wallet (payout minimum)", s.reserve_cents)
    summary("payout", f"ACH credit to {s.account_text}, trace {s.trace_number}, effective "
                      f"{s.effective_date.isoformat()}", s.paid_cents)
    summary("kept", "kept in the wallet after this payout", s.kept_cents)
    return out.getvalue()


def _write(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_bytes(data)
    os.replace(temp, path)


def write_payout_statement(session: Session, payout: Payout, home: Path) -> tuple[Path, Path]:
    """Write `<home>/payouts/<carrier>-<date>.pdf` and `.csv` and record the paths (the caller commits).
    The bytes depend on the database only, so writing again (a missing file) gives the same file."""
    statement = build_payout_statement(session, payout)
    folder = Path(home) / "payouts"
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{payout.carrier_id}-{payout.payout_date.isoformat()}"
    pdf, csv_path = folder / f"{stem}.pdf", folder / f"{stem}.csv"
    _write(pdf, render_payout_statement_pdf(statement))
    _write(csv_path, payout_statement_csv(statement).encode())
    payout.statement_pdf_path, payout.statement_csv_path = str(pdf), str(csv_path)
    return pdf, csv_path


def write_missing_statements(session: Session, home: Path) -> list[Path]:
    """Every payout whose statement was never written or has gone (a run killed after its commit)."""
    written = []
    for payout in session.scalars(select(Payout).order_by(Payout.id)):
        paths = (payout.statement_pdf_path, payout.statement_csv_path)
        if all(p and Path(p).exists() for p in paths):
            continue
        written.append(write_payout_statement(session, payout, home)[0])
    return written
