"""Originate premium debits exactly once: record the NACHA file, then upload, then confirm.

Rule (domain.md "Money-losing bugs", invariants 3 and 4; NACHA CCD): every scheduled ach_debit
invoice whose debit date is on or before the next banking day becomes one CCD entry (27/37 debit,
22/32 refund credit, amount in cents; `PREMIUM`, or `RETRY PYMT` for presentment 2-3 after R01/R09,
each in its own batch). The order is what makes it exactly once:
  1. under a lock row (`counters.ach_originate_lock`), build the file, write it mode 0600 under
     PAYGO_HOME/ach/outgoing/, and commit the file (`built`) with its entries (`in_flight`; the
     partial UNIQUE index allows one in flight per invoice) and their invoices `in_flight` (event
     `recorded`: money in a file is in flight, uploaded or not, so nothing voids it any more);
  2. upload (temp name, rename, read back) and compare the sha256 read back with the recorded one;
  3. mark it `uploaded`, then, in one transaction, `confirmed` with the ledger `debit_sent:<inv>:<presentment>` (a refund credit:
     `refund_sent:<inv>:<presentment>`, docs/ledger.md).
A re-run first finishes any `built`/`uploaded` file (same bytes, same name) before building
anything new, so a crash anywhere yields the same file again or nothing, never a second entry.
Worked example: invoices of 2715 (checking) and 1234 (savings) due on 2026-11-27, run on Wednesday
2026-11-25 -> PAYGO-20261125-A.ach, one PREMIUM batch, traces 01100001 0000001/0000002, total
debit 3949, effective date Friday 2026-11-27 (Thanksgiving skipped).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from paygo.ach import files
from paygo.ach.bank import Bank
from paygo.ach.files import FILE_ID_MODIFIERS, TRACE_COUNTER, OriginationError  # noqa: F401  (re-exported)
from paygo.ach.schedule import next_presentment
from paygo.calendar import next_banking_day
from paygo.config import BankSettings
from paygo.db import locks
from paygo.db.crypto import AccountCipher
from paygo.db.models import (
    AchEntry,
    AchFile,
    AchReturn,
    Employer,
    ExceptionItem,
    Invoice,
)
from paygo.invoicing.status import record
from paygo.states import entry_transition, file_transition
from paygo.ledger import posting, repo
from paygo.nacha import codes
from paygo.nacha.build import BatchSpec, EntrySpec, FileSpec, build_file
from paygo.nacha.write import write_ach

ACTOR = "paygo.ach.originate"
PREMIUM, RETRY = "PREMIUM", "RETRY PYMT"
RETRYABLE = ("R01", "R09")
# Steps where a test may inject a crash: after the build is committed, after the bank confirmed the
# upload but before we recorded it, after `uploaded` is recorded, inside the confirm transaction.
STEPS = ("built", "upload_returned", "uploaded", "confirming")


@dataclass(frozen=True)
class EntryLine:
    employer: str
    invoice_number: str
    amount_cents: int  # signed: negative is a refund credit
    account_last4: str
    effective_date: date
    transaction_code: int
    presentment: int
    trace_number: str


@dataclass(frozen=True)
class OriginationResult:
    file_name: str | None = None
    file_path: Path | None = None
    sha256: str | None = None
    status: str | None = None  # built (no bank), confirmed
    entries: tuple[EntryLine, ...] = ()
    total_debit_cents: int = 0
    total_credit_cents: int = 0
    held: tuple[tuple[str, str], ...] = ()  # (invoice number, reason)
    zero_paid: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    finished: tuple[str, ...] = ()  # earlier files completed by this run
    pending: tuple[str, ...] = ()  # recorded files still waiting for a bank

    @property
    def entry_count(self) -> int:
        return len(self.entries)


@dataclass
class _Draft:
    entries: list[tuple[Invoice, Employer, int, str, EntrySpec]] = field(default_factory=list)
    held: list[tuple[str, str]] = field(default_factory=list)
    zero: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _transaction_code(account_type: str, amount_cents: int) -> int:
    savings = account_type == "savings"
    if amount_cents > 0:
        return codes.SAVINGS_DEBIT if savings else codes.CHECKING_DEBIT
    return codes.SAVINGS_CREDIT if savings else codes.CHECKING_CREDIT


def _is_retry(session: Session, invoice_id: int, presentment: int) -> bool:
    if presentment == 1:
        return False
    code = session.scalar(
        select(AchReturn.code).join(AchEntry, AchEntry.id == AchReturn.ach_entry_id)
        .where(AchEntry.invoice_id == invoice_id, AchEntry.presentment == presentment - 1,
               AchReturn.kind == "return", AchReturn.status == "applied")
    )
    return code in RETRYABLE


def _hold_once(session: Session, invoice: Invoice, reason: str) -> None:
    subject = f"invoices:{invoice.id}"
    exists = session.scalar(select(ExceptionItem.id).where(ExceptionItem.kind == "ach_over_limit",
                                                           ExceptionItem.subject == subject))
    if exists is None:
        session.add(ExceptionItem(kind="ach_over_limit", subject=subject, detail=f"{invoice.number}: {reason}"))


def _draft(session: Session, today: date, settings: BankSettings, cipher: AccountCipher) -> _Draft:
    draft = _Draft()
    horizon = next_banking_day(today)
    in_flight = select(AchEntry.invoice_id).where(AchEntry.status == "in_flight")
    rows = session.execute(
        select(Invoice, Employer).join(Employer, Employer.id == Invoice.employer_id)
        .where(Invoice.payment_method == "ach_debit", Invoice.status.in_(("issued", "scheduled")),
               Invoice.id.not_in(in_flight))
        .order_by(Invoice.id)
    ).all()
    for invoice, employer in rows:
        presentment = next_presentment(session, invoice.id) if invoice.status == "scheduled" else 1
        verdict, reason = debit_verdict(
            status=invoice.status, total_cents=invoice.total_cents, noticed_presentment=invoice.debit_presentment,
            debit_date=invoice.debit_date, presentment=presentment, horizon=horizon,
            authorization_status=employer.authorization_status, has_bank=employer.bank_routing is not None,
            per_entry_limit_cents=settings.per_entry_limit_cents)
        if verdict == NOTHING_DUE:
            record(session, invoice, "nothing_due", on=today, by=ACTOR, why=reason)
            draft.zero.append(invoice.number)
            continue
        if verdict == SKIP:
            continue
        if verdict in (HOLD, OVER_LIMIT):
            if verdict == OVER_LIMIT:
                _hold_once(session, invoice, reason)
            draft.held.append((invoice.number, reason))
            continue
        if employer.bank_details_version != invoice.debit_bank_details_version:
            draft.notes.append(f"{invoice.number}: bank details changed since the notice (version "
                               f"{invoice.debit_bank_details_version} -> {employer.bank_details_version}); debiting the "
                               f"current account ****{employer.bank_account_last4}")
        description = RETRY if _is_retry(session, invoice.id, presentment) else PREMIUM
        spec = EntrySpec(
            transaction_code=_transaction_code(employer.bank_account_type, invoice.total_cents),
            routing_number=employer.bank_routing,
            account_number=cipher.decrypt(employer.bank_account_ciphertext),  # in memory only
            amount_cents=abs(invoice.total_cents),
            individual_id=invoice.number[:15],
            individual_name=employer.name[:22].upper(),
        )
        draft.entries.append((invoice, employer, presentment, description, spec))
    return draft


SEND, SKIP, NOTHING_DUE, HOLD, OVER_LIMIT = "send", "skip", "nothing_due", "hold", "over_limit"


def debit_verdict(*, status: str, total_cents: int, noticed_presentment: int | None, debit_date: date | None,
                  presentment: int, horizon: date, authorization_status: str, has_bank: bool,
                  per_entry_limit_cents: int) -> tuple[str, str]:
    """What origination does with one issued or scheduled ach_debit invoice, and why (pure):
    SEND an entry; SKIP (not noticed for this presentment, or not due by `horizon`); NOTHING_DUE
    (a zero total: paid); HOLD (no valid authorization or bank details); OVER_LIMIT (held for review)."""
    if total_cents == 0:
        return NOTHING_DUE, "zero amount: nothing to debit"
    if status != "scheduled" or noticed_presentment != presentment or debit_date is None or debit_date > horizon:
        return SKIP, "no notice for this presentment yet, or not due"
    if authorization_status != "active" or not has_bank:
        return HOLD, f"employer authorization is {authorization_status}"
    if abs(total_cents) > per_entry_limit_cents:
        return OVER_LIMIT, (f"amount {abs(total_cents)} cents is above the per-entry limit of "
                            f"{per_entry_limit_cents} cents: held for review")
    return SEND, ""


def _build(session: Session, draft: _Draft, today: date, now: datetime, settings: BankSettings,
           home: Path) -> AchFile:
    modifier = files.file_id_modifier(session, today)
    effective = next_banking_day(today)
    batches = []
    groups = [(d, [e for e in draft.entries if e[3] == d]) for d in (PREMIUM, RETRY)]
    groups = [(d, es) for d, es in groups if es]
    for description, entries in groups:
        batches.append(BatchSpec(settings.company_name, settings.company_id, description, effective,
                                 [e[4] for e in entries]))
    spec = FileSpec(settings.immediate_destination, settings.immediate_destination_name, settings.immediate_origin,
                    settings.immediate_origin_name, settings.odfi_routing_prefix + "0", datetime.combine(today, now.time()),
                    file_id_modifier=modifier)
    # traces come from the counter, so they never repeat across files
    numbered, traces = files.number_traces(session, build_file(spec, batches), settings.odfi_routing_prefix)
    data = write_ach(numbered)
    name = f"PAYGO-{today:%Y%m%d}-{modifier}.ach"
    path = files.outgoing(home) / name
    files.write_0600(path, data)
    ordered = [e for _, es in groups for e in es]
    debit = sum(abs(e[0].total_cents) for e in ordered if e[0].total_cents > 0)
    credit = sum(abs(e[0].total_cents) for e in ordered if e[0].total_cents < 0)
    row = AchFile(creation_date=today, file_id_modifier=modifier, sha256=hashlib.sha256(data).hexdigest(),
                  path=str(path), status=file_transition(None, "recorded"), batch_count=len(batches), entry_count=len(ordered),
                  total_debit_cents=debit, total_credit_cents=credit)
    session.add(row)
    session.flush()
    for (invoice, employer, presentment, _, spec_), trace in zip(ordered, traces):
        session.add(AchEntry(ach_file_id=row.id, invoice_id=invoice.id, presentment=presentment, trace_number=trace,
                             amount_cents=spec_.amount_cents, transaction_code=spec_.transaction_code,
                             effective_date=effective, routing=spec_.routing_number,
                             account_last4=employer.bank_account_last4, bank_details_version=employer.bank_details_version,
                             status=entry_transition(None, "recorded")))
        # In a file is in flight, uploaded or not: a correction now adjusts instead of voiding.
        record(session, invoice, "recorded", on=today, by=ACTOR,
               why=f"{name} trace {trace}, presentment {presentment}: recorded before upload")
    session.flush()
    return row


def _entry_lines(session: Session, file_id: int) -> tuple[EntryLine, ...]:
    rows = session.execute(
        select(AchEntry, Invoice, Employer).join(Invoice, Invoice.id == AchEntry.invoice_id)
        .join(Employer, Employer.id == Invoice.employer_id).where(AchEntry.ach_file_id == file_id)
        .order_by(AchEntry.trace_number)
    ).all()
    return tuple(
        EntryLine(emp.name, inv.number, e.amount_cents if codes.is_debit(e.transaction_code) else -e.amount_cents,
                  e.account_last4, e.effective_date, e.transaction_code, e.presentment, e.trace_number)
        for e, inv, emp in rows
    )


def _finish(session: Session, file_id: int, bank: Bank, today: date, fail_at) -> None:
    """Upload a recorded file (same bytes, same name), then confirm it and its entries once."""
    path = files.upload_recorded(session, file_id, bank, fail_at)
    if files.mark_confirmed(session, file_id):  # only the run that confirms moves the invoices and posts the ledger
        rows = session.execute(
            select(AchEntry, Invoice, Employer).join(Invoice, Invoice.id == AchEntry.invoice_id)
            .join(Employer, Employer.id == Invoice.employer_id).where(AchEntry.ach_file_id == file_id)
        ).all()
        for entry, invoice, employer in rows:
            if invoice.status == "scheduled":  # a file recorded by a version that moved invoices on upload
                record(session, invoice, "recorded", on=today, by=ACTOR,
                       why=f"{path.name} trace {entry.trace_number}, presentment {entry.presentment} confirmed")
            if codes.is_debit(entry.transaction_code):
                repo.post(session, posting.debit_sent(invoice.number, entry.presentment, employer.fein,
                                                      entry.amount_cents, today))
            else:  # a refund credit: the refund payable is settled, the money is in transit
                repo.post(session, posting.refund_sent(invoice.number, entry.presentment, employer.fein,
                                                       entry.amount_cents, today))
        session.flush()
        files.hook(fail_at, "confirming")
    session.commit()


def _pending(session: Session) -> list[int]:
    return files.pending_files(session, payouts=False)  # carrier payout files are paygo.payouts'


def originate(session: Session, *, today: date, bank: Bank | None, home: Path,
              settings: BankSettings | None = None, cipher: AccountCipher | None = None,
              now: datetime | None = None, fail_at: Callable[[str], None] | None = None) -> OriginationResult:
    """Finish recorded files, then build, record, upload and confirm one file of what is due.

    `settings`/`cipher` default to the environment's (paygo.config); `now` gives the header's
    HHMM; `fail_at(step)` is called at each of STEPS (tests raise from it to simulate a crash).
    """
    if settings is None or cipher is None:
        from paygo.config import load_settings

        loaded = load_settings()
        settings = settings or loaded.bank
        cipher = cipher or AccountCipher(loaded.account_keys())
    now = now or datetime.now()
    session.commit()  # start from a clean transaction: the lock below must be its first write
    finished: list[str] = []
    locks.hold(session, locks.ORIGINATE)  # serialises originations and the notices before them
    pending = _pending(session)
    session.commit()
    if pending:
        names = [Path(session.get(AchFile, i).path).name for i in pending]
        if bank is None:
            return OriginationResult(pending=tuple(names), notes=("recorded files wait for a bank; nothing new built",))
        for file_id, name in zip(pending, names):
            _finish(session, file_id, bank, today, fail_at)
            finished.append(name)
    locks.hold(session, locks.ORIGINATE)  # serialises originations and the notices before them
    if _pending(session):  # another run built one meanwhile: it (or our next run) finishes it
        session.commit()
        return OriginationResult(finished=tuple(finished), notes=("another origination is in progress",))
    draft = _draft(session, today, settings, cipher)
    if not draft.entries:
        session.commit()
        return OriginationResult(held=tuple(draft.held), zero_paid=tuple(draft.zero), notes=tuple(draft.notes),
                                 finished=tuple(finished))
    row = _build(session, draft, today, now, settings, home)
    file_id, path, sha = row.id, Path(row.path), row.sha256
    session.commit()
    files.hook(fail_at, "built")
    if bank is not None:
        _finish(session, file_id, bank, today, fail_at)
    status = session.scalar(select(AchFile.status).where(AchFile.id == file_id))
    lines = _entry_lines(session, file_id)
    return OriginationResult(
        file_name=path.name, file_path=path, sha256=sha, status=status, entries=lines,
        total_debit_cents=sum(e.amount_cents for e in lines if e.amount_cents > 0),
        total_credit_cents=sum(-e.amount_cents for e in lines if e.amount_cents < 0),
        held=tuple(draft.held), zero_paid=tuple(draft.zero), notes=tuple(draft.notes), finished=tuple(finished),
    )
