"""Pay carriers their wallets exactly once: record the payout file, then upload, then confirm.

Rule (issue 12; NACHA CCD credits tc 22 checking / 32 savings; design.md "a NACHA file is recorded
before it is uploaded and an upload is confirmed by reading it back"): `pay_carriers(today=D)`
  1. under the ORIGINATE lock (debit and payout files share file id modifiers and traces,
     paygo.ach.files) finishes any payout file recorded earlier and not yet confirmed, and builds
     nothing new while one waits for the bank;
  2. decides (paygo.payouts.decide, pure) from the wallets' ledger balances, read in one snapshot
     (on PostgreSQL the ledger is share-locked for that transaction, so no transaction posted
     concurrently below the cutoff is missed by the statements), and in ONE transaction writes the
     file mode 0600 under PAYGO_HOME/ach/outgoing/ and records it (`ach_files`, `built`) with one
     `payouts` row per carrier (`in_flight`, UNIQUE(carrier, payout date): at most once a day);
  3. writes each payout's statement (PDF and CSV under PAYGO_HOME/payouts/, re-created when missing);
  4. uploads (temp name, rename, read back, sha256 compared), commits `uploaded`, then in one
     transaction `confirmed` with `carrier_payout:<carrier>:<payout date>` per payout (Dr wallet /
     Cr payouts in transit).
A crash after 2 leaves a recorded file the next run (any day) uploads as recorded; after the
upload, the bank already has it and the re-run's upload confirms the same bytes; after `uploaded`,
the re-run confirms once (the conditional UPDATE decides who posts). The day's rows make a re-run
of the same day pay nobody twice; a payout not yet confirmed is deducted from the wallet it came
from, so no other day pays it again either. Bank down (`bank=None` or an upload that fails): the
file stays recorded and is uploaded by a later run.
Worked example: granite-mutual owes 257,900 cents with a 10,000 reserve, harbor-casualty 4,000 with
5,000: on 2026-11-25, PAYGO-PAYOUT-20261125-A.ach holds one CCD credit (tc 22) of 247,900 to
****2233, effective Friday 2026-11-27 (Thanksgiving skipped), company entry description PAYOUT;
harbor is not paid.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from paygo.ach import files
from paygo.ach.bank import Bank
from paygo.calendar import next_banking_day
from paygo.config import BankSettings
from paygo.db import locks
from paygo.db.crypto import AccountCipher
from paygo.db.models import AchFile, Carrier, LedgerAccount, LedgerEntry, LedgerTransaction, Payout
from paygo.ledger import posting, repo
from paygo.nacha import codes
from paygo.nacha.build import BatchSpec, EntrySpec, FileSpec, build_file
from paygo.nacha.write import write_ach
from paygo.payouts.decide import PAY, Decision, Wallet, decide_payouts
from paygo.payouts.statement import write_missing_statements
from paygo.states import file_transition, payout_transition

DESCRIPTION = "PAYOUT"  # company entry description of the payout batch
STEPS = ("built", "statements", "upload_returned", "uploaded", "confirming")


def ledger_key(carrier_id: str, payout_date: date) -> str:
    """`<carrier>:<payout date>`: the key of carrier_payout / payout_settled / payout_returned."""
    return f"{carrier_id}:{payout_date.isoformat()}"


@dataclass(frozen=True)
class PayoutLine:
    carrier_id: str
    carrier_name: str
    amount_cents: int
    account_last4: str
    transaction_code: int
    trace_number: str
    effective_date: date
    status: str
    statement_pdf: str | None
    statement_csv: str | None


@dataclass(frozen=True)
class PayoutRun:
    payout_date: date
    file_name: str | None = None
    file_path: Path | None = None
    sha256: str | None = None
    status: str | None = None  # built (no bank), confirmed
    payouts: tuple[PayoutLine, ...] = ()
    decisions: tuple[Decision, ...] = ()
    finished: tuple[str, ...] = ()  # earlier payout files completed by this run
    pending: tuple[str, ...] = ()  # recorded payout files still waiting for a bank
    notes: tuple[str, ...] = ()

    @property
    def total_credit_cents(self) -> int:
        return sum(p.amount_cents for p in self.payouts)


def _snapshot(session: Session) -> None:
    """PostgreSQL: wait for transactions that are posting to the ledger and keep new ones out until
    our commit, so every id up to the cutoff is visible now (SQLite: the write lock we hold does it)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE ledger_transactions IN SHARE MODE"))


def _wallets(session: Session, today: date) -> tuple[list[Wallet], int]:
    cutoff = int(session.scalar(select(func.coalesce(func.max(LedgerTransaction.id), 0))))
    owed = dict(session.execute(
        select(LedgerAccount.code, -func.sum(LedgerEntry.amount_cents))
        .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
        .where(LedgerAccount.code.like("carrier_wallet:%"), LedgerEntry.transaction_id <= cutoff)
        .group_by(LedgerAccount.code)).all())
    unconfirmed = dict(session.execute(  # recorded, not yet posted: still in the ledger's wallet
        select(Payout.carrier_id, func.sum(Payout.amount_cents)).join(AchFile, AchFile.id == Payout.ach_file_id)
        .where(AchFile.status != "confirmed").group_by(Payout.carrier_id)).all())
    paid_today = set(session.scalars(select(Payout.carrier_id).where(Payout.payout_date == today)))
    wallets = []
    for c in session.scalars(select(Carrier).order_by(Carrier.id)):
        last = session.scalar(select(Payout).where(Payout.carrier_id == c.id)
                              .order_by(Payout.payout_date.desc()).limit(1))
        returned = None
        if (last is not None and last.status == "returned" and last.routing == c.bank_routing
                and last.account_last4 == c.bank_account_last4):
            returned = f"****{last.account_last4} ({last.return_code or 'returned'})"
        wallets.append(Wallet(c.id, c.name, int(owed.get(f"carrier_wallet:{c.id}", 0)) - int(unconfirmed.get(c.id, 0)),
                              c.payout_minimum_cents, c.bank_routing is not None, c.id in paid_today, returned))
    return wallets, cutoff


def _record(session: Session, pay: list[tuple[Decision, Wallet]], cutoff: int, today: date, now: datetime,
            settings: BankSettings, cipher: AccountCipher, home: Path) -> AchFile:
    """Build the payout file and record it with its payouts (the caller commits)."""
    modifier = files.file_id_modifier(session, today)
    effective = next_banking_day(today)
    carriers = {c.id: c for c in session.scalars(select(Carrier).where(Carrier.id.in_([d.carrier_id for d, _ in pay])))}
    specs = []
    for d, _ in pay:
        c = carriers[d.carrier_id]
        tc = codes.SAVINGS_CREDIT if c.bank_account_type == "savings" else codes.CHECKING_CREDIT
        specs.append(EntrySpec(transaction_code=tc, routing_number=c.bank_routing,
                               account_number=cipher.decrypt(c.bank_account_ciphertext),  # in memory only
                               amount_cents=d.amount_cents, individual_id=f"PO{today:%y%m%d}",
                               individual_name=c.name[:22].upper()))
    spec = FileSpec(settings.immediate_destination, settings.immediate_destination_name, settings.immediate_origin,
                    settings.immediate_origin_name, settings.odfi_routing_prefix + "0",
                    datetime.combine(today, now.time()), file_id_modifier=modifier)
    batch = BatchSpec(settings.company_name, settings.company_id, DESCRIPTION, effective, specs)
    numbered, traces = files.number_traces(session, build_file(spec, [batch]), settings.odfi_routing_prefix)
    data = write_ach(numbered)
    path = files.outgoing(home) / f"PAYGO-PAYOUT-{today:%Y%m%d}-{modifier}.ach"
    files.write_0600(path, data)
    row = AchFile(creation_date=today, file_id_modifier=modifier, sha256=hashlib.sha256(data).hexdigest(),
                  path=str(path), status=file_transition(None, "recorded"), batch_count=1, entry_count=len(specs),
                  total_debit_cents=0, total_credit_cents=sum(d.amount_cents for d, _ in pay))
    session.add(row)
    session.flush()
    for (d, w), s, trace in zip(pay, specs, traces):
        c = carriers[d.carrier_id]
        session.add(Payout(carrier_id=c.id, payout_date=today, amount_cents=d.amount_cents,
                           status=payout_transition(None, "recorded"), ach_file_id=row.id, trace_number=trace,
                           transaction_code=s.transaction_code, effective_date=effective, routing=c.bank_routing,
                           account_last4=c.bank_account_last4, wallet_balance_cents=w.balance_cents,
                           reserve_cents=w.reserve_cents, ledger_cutoff_id=cutoff))
    session.flush()
    return row


def _finish(session: Session, file_id: int, bank: Bank, today: date, fail_at) -> None:
    """Upload a recorded payout file (paygo.ach.files), then confirm it and post its payouts once."""
    files.upload_recorded(session, file_id, bank, fail_at)
    if files.mark_confirmed(session, file_id):
        for p in session.scalars(select(Payout).where(Payout.ach_file_id == file_id).order_by(Payout.id)):
            repo.post(session, posting.carrier_payout(ledger_key(p.carrier_id, p.payout_date), p.carrier_id,
                                                      p.amount_cents, today))
        session.flush()
        files.hook(fail_at, "confirming")
    session.commit()


def _lines(session: Session, file_id: int) -> tuple[PayoutLine, ...]:
    rows = session.execute(select(Payout, Carrier.name).join(Carrier, Carrier.id == Payout.carrier_id)
                           .where(Payout.ach_file_id == file_id).order_by(Payout.trace_number)).all()
    return tuple(PayoutLine(p.carrier_id, name, p.amount_cents, p.account_last4, p.transaction_code, p.trace_number,
                            p.effective_date, p.status, p.statement_pdf_path, p.statement_csv_path)
                 for p, name in rows)


def _name(session: Session, file_id: int) -> str:
    return Path(session.scalar(select(AchFile.path).where(AchFile.id == file_id))).name


def pay_carriers(session: Session, *, today: date, bank: Bank | None, home: Path,
                 settings: BankSettings | None = None, cipher: AccountCipher | None = None,
                 now: datetime | None = None, fail_at: Callable[[str], None] | None = None) -> PayoutRun:
    """Finish recorded payout files, then decide, record, upload and confirm today's payouts.

    `fail_at(step)` is called at each of STEPS (tests raise from it to simulate a crash)."""
    if settings is None or cipher is None:
        from paygo.config import load_settings

        loaded = load_settings()
        settings = settings or loaded.bank
        cipher = cipher or AccountCipher(loaded.account_keys())
    now = now or datetime.now()
    session.commit()  # the lock below must be the transaction's first write
    locks.hold(session, locks.ORIGINATE)
    pending = files.pending_files(session, payouts=True)
    session.commit()
    write_missing_statements(session, home)  # a run killed between its record and its statements
    session.commit()
    finished: list[str] = []
    if pending:
        names = [_name(session, i) for i in pending]
        if bank is None:
            return PayoutRun(today, pending=tuple(names),
                             notes=("recorded payout files wait for a bank; nothing new decided",))
        for file_id, name in zip(pending, names):
            _finish(session, file_id, bank, today, fail_at)
            finished.append(name)
    locks.hold(session, locks.ORIGINATE)
    if files.pending_files(session, payouts=True):  # another run recorded one meanwhile
        session.commit()
        return PayoutRun(today, finished=tuple(finished), notes=("another payout run is in progress",))
    _snapshot(session)
    wallets, cutoff = _wallets(session, today)
    decisions = decide_payouts(wallets, per_entry_limit_cents=settings.per_entry_limit_cents)
    by_id = {w.carrier_id: w for w in wallets}
    pay = [(d, by_id[d.carrier_id]) for d in decisions if d.verdict == PAY]
    if not pay:
        session.commit()
        return PayoutRun(today, decisions=decisions, finished=tuple(finished))
    row = _record(session, pay, cutoff, today, now, settings, cipher, home)
    file_id, path, sha = row.id, Path(row.path), row.sha256
    session.commit()
    files.hook(fail_at, "built")
    write_missing_statements(session, home)
    session.commit()
    files.hook(fail_at, "statements")
    if bank is not None:
        _finish(session, file_id, bank, today, fail_at)
    status = session.scalar(select(AchFile.status).where(AchFile.id == file_id))
    return PayoutRun(today, file_name=path.name, file_path=path, sha256=sha, status=status,
                     payouts=_lines(session, file_id), decisions=decisions, finished=tuple(finished))


def recorded_payout_files(session: Session) -> list[tuple[str, str]]:
    """(file name, status) of every payout file, oldest first (the Dagster partitions)."""
    rows = session.execute(select(AchFile.path, AchFile.status).where(AchFile.id.in_(files.payout_file_ids()))
                           .order_by(AchFile.id)).all()
    return [(Path(p).name, s) for p, s in rows]

