"""A deterministic simulation of the whole money path (issue 11, "The simulation (the proof)").

What is simulated, and why:
- OUR side is never simulated: every action calls the real product functions (ingest, pre-debit
  notices + origination, reconcile, settle, remit bills, reference loading) on a real database
  (SQLite or PostgreSQL, migrated with paygo.db.migrate.upgrade, loaded with the sample reference
  data). All of those calls sit in ONE adapter class, `World`, one method per command, so a change
  of signature in the core is adapted in one place.
- The BANK is outside our walls, so it is scripted (`ScriptedBank`): it reads the NACHA debit files
  we upload into its folder (paygo.ach.bank.DirectoryBank layout) with paygo.nacha.read.read_ach,
  and answers each entry with an outcome drawn from a seeded generator keyed by the entry's
  content: it pays; R01/R09 (may be re-presented); R02/R03 (fail, new bank details); R10 five
  banking days after the effective date (after settlement: a late return); a C01/C05 NOC. It
  writes its answers as NACHA return files (built with the sandbox bank's writer), and sometimes
  delivers the same file twice (identical bytes, or the same returns in a rebuilt file), or first
  a damaged copy whose control totals are wrong.
- The payroll companies are scripted too: payroll files are generated from the sample files in
  paygo/sample_data/payroll (wages scaled, employees dropped or added, new run ids, pay dates
  following the business date), plus corrections (up, down, to zero premium, identical) and bad
  files that must be refused.
- Time is the business date, advanced by banking days (paygo.calendar) as an action.

A plan is a list of `Step`s drawn from `random.Random(seed)`; each step carries its own seed `r`
for every choice it makes, and its `index` in the seed's plan (run ids derive from it), so a
shortened plan (shrinking) replays the remaining steps the same way. After every step `Checker`
asserts the invariants (see `Checker`'s docstring); the first failure stops the run. `shrink`
then drops steps while the same invariant still breaks, and `format_failure` prints the seed and
the numbered steps. Entry points: `run_seed`, `run_plan`, `shrink`, `SqliteDatabases`.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import inspect
import io
import random
import re
import shutil
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from datetime import time as dtime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import paygo.ach.originate as originate_module
import paygo.ingest as ingest_module
from paygo.ach.bank import DirectoryBank
from paygo.ach.reconcile import reconcile_return_file
from paygo.ach.sandbox_bank import SandboxBank
from paygo.ach.schedule import schedule_debits
from paygo.ach.settle import settle
from paygo.billing.fees import percentage_fee_cents
from paygo.calendar import add_banking_days
from paygo.config import BankSettings
from paygo.db import models as m
from paygo.db.crypto import AccountCipher
from paygo.db.migrate import upgrade
from paygo.db.session import make_engine
from paygo.invoicing.remit import issue_remit_bills, list_remit_bills
from paygo.invoicing.write_off import write_off
from paygo.ach.represent import represent
from paygo.bank_details import renew_authorization
from paygo.payments import balances
from paygo.payments.allocate import premium_part
from paygo.payments.record import bill_balance, record_payment
from paygo.dunning import run_dunning
import paygo.payouts.run as payouts_module
from paygo.ledger import repo as ledger
from paygo.nacha import codes
from paygo.nacha.fields import numeric
from paygo.nacha.read import read_ach
from paygo.reference import load_reference

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "paygo" / "sample_data"
REFERENCE = SAMPLE / "reference"
START = date(2025, 6, 16)  # a Monday two weeks before June ends (remit bills need a month to end)
# A fixed Fernet key: the simulation is deterministic down to the ciphertexts' plaintexts.
ACCOUNT_KEY = base64.urlsafe_b64encode(b"paygo-lifecycle-simulation-key!!")


# ---------------------------------------------------------------------------------------------
# The adapter: the only place that calls the product's commands.
# ---------------------------------------------------------------------------------------------

class Crash(RuntimeError):
    """An injected crash: the process died at a named step (raised from originate's `fail_at`)."""


@dataclass
class Outcome:
    """What one command did: its result, or the exception it raised (and its traceback)."""

    result: object = None
    error: BaseException | None = None
    trace: str = ""
    crashed: bool = False  # the error is the crash we injected

    @property
    def ok(self) -> bool:
        return self.error is None


def _accepts(fn: Callable, name: str) -> bool:
    return name in inspect.signature(fn).parameters


def allowed_invoice_transitions() -> frozenset[tuple[str | None, str]]:
    """(from status, to status) pairs the lifecycle allows, from the module that owns them.

    Adapt HERE when the owner moves. Today's owner is `paygo.states.INVOICE_TRANSITIONS` (pairs,
    None = a new invoice); the older `paygo.billing.invoice.TRANSITIONS` (a dict) is the fallback,
    with creation as `issued` and the documented re-notice `scheduled -> scheduled` (schedule.py)."""
    try:
        from paygo.states import INVOICE_TRANSITIONS

        return frozenset(INVOICE_TRANSITIONS)
    except ImportError:
        from paygo.billing.invoice import TRANSITIONS

        pairs = {(frm, to) for frm, tos in TRANSITIONS.items() for to in tos}
        return frozenset(pairs | {(None, "issued"), ("scheduled", "scheduled")})


def closed_invoice_statuses() -> frozenset[str]:
    """Statuses after which no money moves for an invoice (adapt with the state owner)."""
    try:
        from paygo.states import CLOSED

        return frozenset(CLOSED) | {"written_off"}
    except ImportError:
        return frozenset({"paid", "failed", "void", "written_off"})


EXEMPT_STATUSES = frozenset({"failed", "written_off"})  # a run that may end below its bill


def is_refusal(exc: BaseException) -> bool:
    """A clean refusal of bad input: one of our own ValueError subclasses (it carries the message
    the command prints). Anything else escaping a command is a crash."""
    return isinstance(exc, ValueError) and type(exc).__module__.startswith("paygo")


def refused_whole(result: object) -> bool:
    """A reconcile result refusing the whole file (adapt with paygo.ach.reconcile)."""
    try:
        from paygo.ach.reconcile import RefusedFile
    except ImportError:
        return False
    return isinstance(result, RefusedFile)


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) // 100:,}.{abs(cents) % 100:02d}"


class World:
    """Our side of the wall: a database, PAYGO_HOME, the bank connection, the business date.

    One method per command, each returning an `Outcome` and committing as the command does; a
    crash (injected) or an error drops the session and opens a new one, as a restarted process.
    """

    def __init__(self, url: str, home: Path):
        self.url, self.home = url, Path(home)
        self.engine = make_engine(url)
        self.session = Session(self.engine, expire_on_commit=False)
        self.cipher = AccountCipher([ACCOUNT_KEY])
        self.settings = BankSettings()
        self.today = START
        self.bank = DirectoryBank(self.home / "bank")  # the folder the scripted bank works in
        load_reference(self.session, REFERENCE, self.cipher)
        self.session.commit()

    def close(self) -> None:
        self.session.close()
        self.engine.dispose()

    def restart(self) -> None:
        """The process died: what was not committed is gone; a new process opens a new session."""
        try:
            self.session.rollback()
        finally:
            self.session.close()
        self.session = Session(self.engine, expire_on_commit=False)

    def _call(self, fn: Callable[[], object]) -> Outcome:
        try:
            result = fn()
            self.session.commit()
            return Outcome(result)
        except (Crash, ingest_module.InjectedFailure) as exc:
            self.restart()
            return Outcome(error=exc, crashed=True)
        except Exception as exc:  # noqa: BLE001 - every other exception is a finding (invariant 7)
            trace = traceback.format_exc()
            self.restart()
            return Outcome(error=exc, trace=trace)

    # --- the commands
    def ingest(self, data: bytes, name: str, company: str, fail_at: str | None = None) -> Outcome:
        """`paygo ingest FILE --company C` received on the business date (noon UTC)."""
        kw = dict(company_id=company, original_name=name, home=self.home,
                  received_at=datetime.combine(self.today, dtime(12), timezone.utc), fail_at=fail_at)
        if _accepts(ingest_module.ingest_payroll_file, "business_date"):
            kw["business_date"] = self.today
        return self._call(lambda: ingest_module.ingest_payroll_file(self.session, data, **kw))

    def originate(self, bank_up: bool, crash_at: str | None = None) -> Outcome:
        """`paygo ach originate --date D`: pre-debit notices, then the debit file (uploaded when
        the bank is up, else recorded only). `crash_at` kills the process at that originate step."""

        def fail_at(step: str) -> None:
            if step == crash_at:
                raise Crash(f"injected crash at originate step {step}")

        def run():
            notices = schedule_debits(self.session, today=self.today, settings=self.settings)
            self.session.commit()
            result = originate_module.originate(
                self.session, today=self.today, bank=self.bank if bank_up else None, home=self.home,
                settings=self.settings, cipher=self.cipher, now=datetime.combine(self.today, dtime(9)),
                fail_at=fail_at if crash_at else None)
            return notices, result

        return self._call(run)

    def reconcile(self, data: bytes, name: str) -> Outcome:
        """`paygo ach reconcile FILE --date D`."""
        return self._call(lambda: reconcile_return_file(self.session, data, name=name, received_on=self.today,
                                                        cipher=self.cipher))

    def settle(self) -> Outcome:
        """`paygo ach settle --date D`."""
        return self._call(lambda: settle(self.session, today=self.today))

    def remit_bills(self) -> Outcome:
        """`paygo remit-bills --date D` (without the PDFs)."""
        return self._call(lambda: issue_remit_bills(self.session, today=self.today))

    def record_payment(self, amount_cents: int, reference: str, *, bill: str | None = None,
                       invoice: str | None = None, method: str = "check") -> Outcome:
        """`paygo payments record --bill B | --invoice I --amount A --reference R --date D`."""
        return self._call(lambda: record_payment(self.session, amount_cents=amount_cents, on=self.today,
                                                 reference=reference, method=method, bill_number=bill,
                                                 invoice_number=invoice))

    def payouts(self, bank_up: bool, crash_at: str | None = None) -> Outcome:
        """`paygo payouts --date D` (the payout file uploaded when the bank is up, else recorded only)."""
        def fail_at(step: str) -> None:
            if step == crash_at:
                raise Crash(f"injected crash at payouts step {step}")

        return self._call(lambda: payouts_module.pay_carriers(
            self.session, today=self.today, bank=self.bank if bank_up else None, home=self.home,
            settings=self.settings, cipher=self.cipher, now=datetime.combine(self.today, dtime(10)),
            fail_at=fail_at if crash_at else None))

    def dunning(self) -> Outcome:
        """`paygo dunning --date D`."""
        return self._call(lambda: run_dunning(self.session, today=self.today))

    def represent(self, number: str) -> Outcome:
        """`paygo invoices represent INV --date D`."""
        return self._call(lambda: represent(self.session, number, on=self.today))

    def write_off(self, number: str, reason: str) -> Outcome:
        """`paygo invoices write-off INV --reason R --date D`."""
        return self._call(lambda: write_off(self.session, number, reason=reason, on=self.today))

    def authorize(self, fein: str) -> Outcome:
        """`paygo employers authorize FEIN --date D` (the employer signed a new authorization)."""
        return self._call(lambda: renew_authorization(
            self.session.scalar(select(m.Employer).where(m.Employer.fein == fein))))

    def new_bank_details(self, fein: str, account: str) -> Outcome:
        """`paygo load-reference DIR` with one employer's new account (what ops do after R02/R03)."""
        folder = self.home / "reference"
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(REFERENCE, folder)
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["employer_fein", "name", "payroll_company_id", "pay_frequency", "payment_method", "email",
                    "bank_routing", "bank_account", "bank_account_type"])
        for e in self.session.scalars(select(m.Employer).order_by(m.Employer.id)):
            acct = self.cipher.decrypt(e.bank_account_ciphertext) if e.bank_account_ciphertext else ""
            if e.fein == fein:
                acct = account
            w.writerow([e.fein, e.name, e.payroll_company_id, e.pay_frequency, e.payment_method or "",
                        e.email or "", e.bank_routing or "", acct, (e.bank_account_type or "") if acct else ""])
        (folder / "employers.csv").write_text(out.getvalue())
        self.session.rollback()
        return self._call(lambda: load_reference(self.session, folder, self.cipher))

    # --- the bank connection (paygo.ach.bank)
    def waiting_returns(self) -> list[str]:
        return self.bank.list_returns()

    def fetch_return(self, name: str) -> bytes:
        return self.bank.fetch_return(name)

    def archive_return(self, name: str) -> None:
        self.bank.archive_return(name)


# ---------------------------------------------------------------------------------------------
# The bank, scripted (outside our walls).
# ---------------------------------------------------------------------------------------------

RETURN_TC = {codes.CHECKING_DEBIT: codes.CHECKING_RETURN_DEBIT, codes.SAVINGS_DEBIT: codes.SAVINGS_RETURN_DEBIT,
             codes.CHECKING_CREDIT: codes.CHECKING_RETURN_CREDIT, codes.SAVINGS_CREDIT: codes.SAVINGS_RETURN_CREDIT}
# (outcome, weight): "pays", a return code, or a NOC code (the entry still pays).
# R02/R03/R10 are rare: the employer stops being debited until new bank details arrive (R10: for good).
DEBIT_OUTCOMES = (("pays", 62), ("R01", 11), ("R09", 4), ("R02", 1), ("R03", 2), ("R10", 2), ("C01", 10),
                  ("C05", 6))
CREDIT_OUTCOMES = (("pays", 90), ("R03", 5), ("C01", 5))


class _ReturnWriter(SandboxBank):
    """The sandbox bank's NACHA return/NOC writer, with the return transaction code of credits too."""

    def _entry(self, p: dict, trace: str):
        entry = super()._entry(p, trace)
        return dataclasses.replace(entry, transaction_code_text=numeric(RETURN_TC[p["tc"]], 2))


@dataclass
class BankEntry:
    """One entry of a debit file the bank received."""

    file: str
    trace: str
    tc: int
    amount_cents: int
    account: str
    invoice: str  # individual id: our invoice number
    name: str
    effective: date

    @property
    def is_debit(self) -> bool:
        return codes.is_debit(self.tc)

    @property
    def is_payout(self) -> bool:
        return self.file.startswith("PAYGO-PAYOUT-")


class ScriptedBank:
    """Reads what we upload, decides each entry's fate from the seed, writes return files when asked."""

    def __init__(self, root: Path, seed: int):
        self.root, self.seed = Path(root), seed
        self.inbound = self.root / "inbound"
        self.returns = self.root / "returns"
        self.writer = _ReturnWriter(self.root.parent / "bank-writer")
        self.seen: set[str] = set()
        self.received: list[BankEntry] = []
        self.pending: list[dict] = []  # answers not written yet
        self.returned: dict[str, str] = {}  # trace -> return code, for returns written in a good file
        self.presentments: Counter = Counter()
        self.files_written = 0

    def intake(self) -> list[BankEntry]:
        """Read the debit files that arrived since the last look; decide an answer for each entry."""
        new: list[BankEntry] = []
        if not self.inbound.exists():
            return new
        for path in sorted(p for p in self.inbound.iterdir() if p.is_file() and not p.name.startswith(".")):
            if path.name in self.seen:
                continue
            self.seen.add(path.name)
            for batch in read_ach(path.read_bytes()).file.batches:
                effective = datetime.strptime(batch.header.effective_entry_date, "%y%m%d").date()
                for e in batch.entries:
                    be = BankEntry(path.name, e.trace_number, e.transaction_code, e.amount_cents,
                                   e.dfi_account_number.strip(), e.individual_identification_number.strip(),
                                   e.individual_name.strip(), effective)
                    new.append(be)
                    self._decide(be, e.rdfi_identification)
        self.received.extend(new)
        return new

    def _decide(self, e: BankEntry, rdfi: str) -> None:
        key = (e.name, e.amount_cents, e.tc)
        self.presentments[key] += 1
        rng = random.Random(f"{self.seed}|{e.name}|{e.amount_cents}|{e.tc}|{self.presentments[key]}")
        table = DEBIT_OUTCOMES if e.is_debit else CREDIT_OUTCOMES
        outcome = rng.choices([o for o, _ in table], [w for _, w in table])[0]
        if outcome == "pays":
            return
        delay = 5 if outcome == "R10" else (1 if rng.random() < 0.8 else 2)
        p = {"code": outcome, "due": add_banking_days(e.effective, delay), "trace": e.trace,
             "amount": e.amount_cents, "account": e.account, "tc": e.tc, "rdfi": rdfi, "name": e.name,
             "invoice": e.invoice}
        if outcome == "C01":
            p["corrected"] = "7" + "".join(rng.choice("0123456789") for _ in range(9))
        elif outcome == "C05":
            p["corrected"] = "37" if e.tc in (codes.CHECKING_DEBIT, codes.CHECKING_CREDIT) else "27"
        self.pending.append(p)

    def answer(self, today: date, rng: random.Random) -> list[tuple[str, str]]:
        """Write the answers due by `today` into a return file; sometimes twice, or after a damaged
        copy. Returns (file name, what it is) in the order written."""
        due = [p for p in self.pending if p["due"] <= today]
        if not due:
            return []
        self.pending = [p for p in self.pending if p["due"] > today]
        self.files_written += 1
        n = self.files_written
        name = f"RET-{today:%Y%m%d}-{n:03d}"
        data = self.writer.return_file(due, today, n)
        written: list[tuple[str, str]] = []
        if rng.random() < 0.08:
            self._write(f"{name}-bad.ach", damaged(data))
            written.append((f"{name}-bad.ach", "damaged"))
        self._write(f"{name}.ach", data)
        written.append((f"{name}.ach", "good"))
        for p in due:
            if not p["code"].startswith("C"):
                self.returned[p["trace"]] = p["code"]
        roll = rng.random()
        if roll < 0.10:
            self._write(f"{name}-again.ach", data)
            written.append((f"{name}-again.ach", "identical copy"))
        elif roll < 0.18:
            self._write(f"{name}-dup.ach", self.writer.return_file(due, today, n + 1))
            written.append((f"{name}-dup.ach", "rebuilt copy"))
        return written

    def _write(self, name: str, data: bytes) -> None:
        self.returns.mkdir(parents=True, exist_ok=True)
        (self.returns / name).write_bytes(data)

    def payouts_moved(self) -> dict[str, int]:
        """Payout credits per carrier account (last four) as the bank sees them, returns undone."""
        out: dict[str, int] = defaultdict(int)
        for e in self.received:
            if e.is_payout and e.trace not in self.returned:
                out[e.account[-4:]] += e.amount_cents
        return out

    def due_summary(self, today: date) -> str:
        due = [p for p in self.pending if p["due"] <= today]
        return ", ".join(f"{p['code']} {p['invoice']} {money(p['amount'])}" for p in due)

    def moved(self) -> dict[str, int]:
        """Net money per invoice as the bank sees it: debits in, credits out, returns undone."""
        out: dict[str, int] = defaultdict(int)
        for e in self.received:
            if e.is_payout:
                continue
            sign = 1 if e.is_debit else -1
            out[e.invoice] += sign * e.amount_cents
            if e.trace in self.returned:
                out[e.invoice] -= sign * e.amount_cents
        return out


def damaged(data: bytes) -> bytes:
    """The same file with a wrong total debit in the file control record (`ach inspect` refuses it)."""
    lines = data.split(b"\n")
    for i, line in enumerate(lines):
        if line.startswith(b"9") and not line.startswith(b"9999999999"):
            total = int(line[31:43])
            lines[i] = line[:31] + numeric(total + 100, 12).encode() + line[43:]
            break
    return b"\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Payroll files, generated from the sample files (spec: ../shared/spec/payroll-file.md).
# ---------------------------------------------------------------------------------------------

MONEY = ("regular_pay", "overtime_pay", "double_time_pay", "overtime_premium", "bonus_pay", "commission_pay",
         "pto_pay", "tips", "severance_pay", "expense_reimbursement", "uniform_allowance", "other_included_pay")


@dataclass(frozen=True)
class EmployerSpec:
    fein: str  # 9 digits
    company: str
    prefix: str
    name: str
    rows: tuple[dict, ...]  # the sample rows (header -> cell)


def _read_sample(name: str) -> tuple[list[str], list[dict]]:
    with open(SAMPLE / "payroll" / name, newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


HEADER, _ACME = _read_sample("acme_2025-06-06.csv")
_, _SUMMIT = _read_sample("summit_2025-06-06.csv")


def _employers() -> dict[str, EmployerSpec]:
    out: dict[str, list] = {}
    for company, rows in (("acme-payroll", _ACME), ("summit-payroll", _SUMMIT)):
        for r in rows:
            fein = r["employer_fein"].replace("-", "")
            full = {h: r.get(h, "") or "" for h in HEADER}
            out.setdefault(fein, [company, r["payroll_run_id"].split("-")[0], []])[2].append(full)
    names = {"BAB": "Bay Area Bakery", "SSB": "Silver State Builders", "LSS": "Lone Star Staffing (remit)",
             "KL": "Keystone Logistics", "HS": "Hoosier Software"}
    return {f: EmployerSpec(f, c, p, names.get(p, p), tuple(rows)) for f, (c, p, rows) in out.items()}


EMPLOYERS = _employers()
COMPANIES = sorted({e.company for e in EMPLOYERS.values()})


def _cents(text: str) -> int:
    if not text:
        return 0
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def _dollars(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def scale(rows: list[dict], pct: int) -> list[dict]:
    """Every money cell times pct/100, rounded down to the cent (empty cells stay empty)."""
    return [{k: (_dollars(_cents(v) * pct // 100) if k in MONEY and v else v) for k, v in r.items()} for r in rows]


def zeroed(rows: list[dict]) -> list[dict]:
    return [{k: ("0" if k == "regular_pay" else "" if k in MONEY else v) for k, v in r.items()} for r in rows]


@dataclass
class Run:
    """A payroll run as the payroll company last sent it."""

    spec: EmployerSpec
    run_id: str
    pay_date: date
    rows: list[dict]


def render(runs: list[tuple[Run, str]]) -> bytes:
    """A payroll file with the given (run, run_type)s."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(HEADER)
    for run, run_type in runs:
        for r in run.rows:
            cells = dict(r, payroll_run_id=run.run_id, run_type=run_type, pay_date=run.pay_date.isoformat(),
                         period_start=add_days(run.pay_date, -13).isoformat(), period_end=run.pay_date.isoformat())
            w.writerow([cells.get(h, "") for h in HEADER])
    return out.getvalue().encode()


def add_days(d: date, n: int) -> date:
    return date.fromordinal(d.toordinal() + n)


def new_rows(spec: EmployerSpec, rng: random.Random) -> list[dict]:
    rows = [dict(r) for r in spec.rows if rng.random() > 0.15] or [dict(spec.rows[0])]
    if rng.random() < 0.2:
        extra = dict(rng.choice(spec.rows))
        extra["employee_id"] = f"{spec.prefix}-X{rng.randrange(1000):03d}"
        if all(r["employee_id"] != extra["employee_id"] for r in rows):
            rows.append(extra)
    return scale(rows, rng.randint(50, 150))


# ---------------------------------------------------------------------------------------------
# The invariants.
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Violation:
    key: str  # the invariant (and its part): what shrinking keeps
    message: str

    def __str__(self) -> str:
        return f"invariant {self.key}: {self.message}"


SNAPSHOT_TABLES = (m.Invoice, m.InvoiceLine, m.InvoiceStatusChange, m.AchFile, m.AchEntry, m.AchReturn,
                   m.LedgerTransaction, m.LedgerEntry, m.Notification, m.RemitBill, m.ExceptionItem, m.PayrollRun,
                   m.Payment, m.PaymentApplication, m.Payout)


def snapshot(s: Session, *, refusal: bool = False) -> dict:
    """What a command that changes nothing leaves as it was (the money state, not receipts). For a
    refusal, an item in the ops exception queue saying what was refused is allowed."""
    tables = [t for t in SNAPSHOT_TABLES if not (refusal and t is m.ExceptionItem)]
    out: dict = {t.__tablename__: s.scalar(select(func.count()).select_from(t)) for t in tables}
    out["invoice statuses"] = sorted(s.execute(select(m.Invoice.number, m.Invoice.status)).all())
    out["remit bill statuses"] = sorted(s.execute(select(m.RemitBill.number, m.RemitBill.status)).all())
    out["entry statuses"] = sorted(s.execute(select(m.AchEntry.id, m.AchEntry.status)).all())
    out["employers"] = sorted(s.execute(select(m.Employer.fein, m.Employer.bank_details_version,
                                               m.Employer.authorization_status)).all())
    s.commit()
    return out


def diff(before: dict, after: dict) -> str:
    parts = []
    for k in before:
        if before[k] != after[k]:
            if isinstance(before[k], list):
                changed = sorted(set(map(tuple, after[k])) ^ set(map(tuple, before[k])))[:6]
                parts.append(f"{k} changed {changed}")
            else:
                parts.append(f"{k} {before[k]} -> {after[k]}")
    return "; ".join(parts)


class Checker:
    """The invariants, checked after every step (issue 11 "The simulation").

    1  ledger: every transaction has >= 2 entries summing to 0 (and the product's own
       `unbalanced_transactions` agrees); every account's balance (`ledger.balances`) is the sum
       of its entries.
    2  per payroll run (employer, payroll_run_id), paid by ACH debit; collected = settled debits,
       refunded = settled refund credits, billed = totals of the run's non-void invoices
       (adjustments included), owed back = credits (negative invoices) not void/paid/netted:
       2a collected - refunded - owed back never exceeds billed (nothing is taken twice);
       2b when a refund credit first appears in a NACHA file, the run's settled debits cover
          every refund credit of the run sent so far (no refund of money never collected);
       2c once nothing of the run is open (every invoice closed, no entry in flight), collected
          - refunded equals billed, unless an invoice of the run is failed or written off;
       2r remit (after each remit-bills run): what the payroll company owes across its remit bills
          (balance_cents when bills have one, else their totals) equals the latest billed totals
          of its remit runs whose month has ended.
    3  money per employer, read back from the debit files the bank received and the return files
       it sent, equals the ledger's (debit_sent - debit_returned - refund_sent + refund_returned),
       whenever every recorded file is confirmed and every return file was reconciled;
       3s no entry is settled that the bank never received (a file recorded but not uploaded).
    4  no voided invoice appears in a NACHA file built, or received by the bank, after the void.
    5  every invoice_status_history row is an allowed transition (`allowed_invoice_transitions`).
    6  carrier wallet = settled premium - percentage fees on it - carrier fees (setup, flat)
       - refunds taken from the wallet, each net of the fee given back on it.
    7  no command raises (other than the injected crash); bad input is refused and changes
       nothing; an ingest crash leaves nothing; re-running a command that completed, with the same
       inputs, changes nothing. (Checked by `Simulation` around the commands.)
    8  a pre-debit notice for presentment n > 1 follows a return of presentment n - 1, and every
       entry sent had its notice (no notice for a debit that is not happening).
    3p payouts per carrier account (ours, not returned) = the payout credits the bank received less
       those it returned (when every file is confirmed and every return file reconciled).
    10 (around `dunning`) no reminder is queued for an invoice or bill that owes nothing.
    9  money in (debits settled + remit payments received) = refunds (settled, in transit, owed) +
       carrier payouts (settled, in transit) + carrier wallets + platform fees + payers' unapplied
       credit, to the cent, after every step (issue 12). Remit payments count as collected in 2a-2c;
       2r subtracts what was paid and written off; 6 adds remit receipts (the premium share of what
       was applied, less the carrier's fee on it) and subtracts payouts not returned.
    """

    def __init__(self, world: World, bank: ScriptedBank):
        self.world, self.bank = world, bank
        self.history_seen = 0
        self.files_seen = 0
        self.entries_seen = 0
        self.void_before: set[str] = set()
        self.transitions = allowed_invoice_transitions()
        self.closed = closed_invoice_statuses()
        self.stats: Counter = Counter()  # how often each check had something to check

    def check(self, new_bank_entries: list[BankEntry], remit_day: date | None) -> list[Violation]:
        s = self.world.session
        s.commit()
        out: list[Violation] = []
        inv = {r.id: r for r in s.execute(select(
            m.Invoice.id, m.Invoice.number, m.Invoice.kind, m.Invoice.status, m.Invoice.total_cents,
            m.Invoice.premium_cents, m.Invoice.employer_id, m.Invoice.payroll_run_id, m.Invoice.payment_method,
            m.Invoice.policy_id, m.Invoice.payroll_run_pk))}
        by_number = {r.number: r for r in inv.values()}
        entries = s.execute(select(m.AchEntry.id, m.AchEntry.invoice_id, m.AchEntry.presentment,
                                   m.AchEntry.amount_cents, m.AchEntry.transaction_code, m.AchEntry.status,
                                   m.AchEntry.ach_file_id).order_by(m.AchEntry.id)).all()
        out += self._ledger(s)
        out += self._runs(s, inv, entries, remit_day)
        out += self._bank_vs_ledger(s, by_number)
        out += self._void_not_sent(s, inv, entries, new_bank_entries)
        out += self._transitions(s)
        out += self._wallets(s, inv, entries)
        out += self._notices(s, inv, entries)
        out += self._money(s, entries)
        self.void_before = {r.number for r in inv.values() if r.status == "void"}
        self.entries_seen = max([e.id for e in entries], default=self.entries_seen)
        s.commit()
        return out

    # 1
    def _ledger(self, s: Session) -> list[Violation]:
        out = []
        sums = s.execute(select(m.LedgerEntry.transaction_id, func.sum(m.LedgerEntry.amount_cents), func.count())
                         .group_by(m.LedgerEntry.transaction_id)).all()
        bad = [(t, int(total), n) for t, total, n in sums if total != 0 or n < 2]
        txns = s.scalar(select(func.count()).select_from(m.LedgerTransaction))
        if bad or len(sums) != txns:
            out.append(Violation("1", f"unbalanced or empty ledger transactions {bad[:5]} ({len(sums)} with "
                                      f"entries of {txns})"))
        if ledger.unbalanced_transactions(s):
            out.append(Violation("1", f"ledger.unbalanced_transactions: {ledger.unbalanced_transactions(s)[:5]}"))
        mine = {code: int(total) for code, total in s.execute(
            select(m.LedgerAccount.code, func.sum(m.LedgerEntry.amount_cents))
            .join(m.LedgerEntry, m.LedgerEntry.account_id == m.LedgerAccount.id).group_by(m.LedgerAccount.code))}
        theirs = ledger.balances(s)
        if mine != theirs:
            wrong = {k: (mine.get(k), theirs.get(k)) for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k)}
            out.append(Violation("1", f"balances differ from the sum of entries: {wrong}"))
        return out

    # 2
    def _runs(self, s: Session, inv: dict, entries, remit_day: date | None) -> list[Violation]:
        out = []
        runs: dict[tuple[int, str], list] = defaultdict(list)
        for r in inv.values():
            if r.payroll_run_id is not None:
                runs[(r.employer_id, r.payroll_run_id)].append(r)
        run_of = {r.id: (r.employer_id, r.payroll_run_id) for r in inv.values()}
        by_run: dict[tuple[int, str], list] = defaultdict(list)
        for e in entries:
            by_run[run_of[e.invoice_id]].append(e)
        feins = dict(s.execute(select(m.Employer.id, m.Employer.fein)).all())
        applied = balances.applied_cents(s)
        # a netted credit whose run was overpaid leaves the excess to ops (kind refund_by_hand, the
        # cents in its text): money owed back by hand, not collected twice
        by_hand: dict[tuple[int, str], int] = defaultdict(int)
        for subject, detail in s.execute(select(m.ExceptionItem.subject, m.ExceptionItem.detail).where(
                m.ExceptionItem.kind == "refund_by_hand", m.ExceptionItem.resolved_at.is_(None))):
            found = re.search(r"has paid (\d+) cents more", detail)
            invoice_id = int(subject.split(":")[1])
            if found and invoice_id in run_of:
                by_hand[run_of[invoice_id]] += int(found[1])
        for key, invoices in sorted(runs.items()):
            if any(r.payment_method != "ach_debit" for r in invoices):
                continue
            es = by_run.get(key, [])
            collected = sum(e.amount_cents for e in es if codes.is_debit(e.transaction_code) and e.status == "settled")
            collected += sum(applied.get(r.id, 0) for r in invoices)  # paid by wire or check (issue 12)
            refunded = sum(e.amount_cents for e in es if not codes.is_debit(e.transaction_code) and e.status == "settled")
            billed = sum(r.total_cents for r in invoices if r.status != "void")
            owed_back = sum(-r.total_cents for r in invoices if r.total_cents < 0
                            and r.status not in ("void", "paid", "netted")) + by_hand[key]
            name = f"run {key[1]} of employer {feins[key[0]]}"
            detail = (f"collected {money(collected)}, refunded {money(refunded)}, owed back {money(owed_back)}, "
                      f"billed {money(billed)}; invoices " + ", ".join(
                          f"{r.number} {r.status} {money(r.total_cents)}" for r in invoices)
                      + "; entries " + ", ".join(
                          f"{inv[e.invoice_id].number}#{e.presentment} tc{e.transaction_code} {money(e.amount_cents)} "
                          f"{e.status}" for e in es))
            if collected - refunded - owed_back > billed:
                out.append(Violation("2a", f"{name}: more collected than billed: {detail}"))
            new_credits = [e for e in es if e.id > self.entries_seen and not codes.is_debit(e.transaction_code)]
            sent_credits = sum(e.amount_cents for e in es if not codes.is_debit(e.transaction_code)
                               and e.status in ("in_flight", "settled"))
            self.stats["2b credits sent"] += len(new_credits)
            if new_credits and sent_credits > collected:
                out.append(Violation("2b", f"{name}: refund credit sent for money not collected: {detail}"))
            open_ = [r for r in invoices if r.status not in self.closed] or [e for e in es if e.status == "in_flight"]
            exempt = any(r.status in EXEMPT_STATUSES for r in invoices)
            self.stats["2a runs"] += 1
            self.stats["2c settled runs"] += not open_ and not exempt
            if not open_ and not exempt and collected - refunded - by_hand[key] != billed:
                out.append(Violation("2c", f"{name}: everything settled but the money is not the bill: {detail}"))
        if remit_day is not None:
            self.stats["2r remit"] += 1
            out += self._remit(s, inv, runs, remit_day)
        return out

    def _remit(self, s: Session, inv: dict, runs: dict, today: date) -> list[Violation]:
        out = []
        pay_dates = dict(s.execute(select(m.PayrollRun.id, m.PayrollRun.pay_date)).all())
        applied = balances.applied_cents(s)
        written_off = {key.split(":", 1)[1]: -int(cents) for key, code, cents in s.execute(
            select(m.LedgerTransaction.idempotency_key, m.LedgerAccount.code, m.LedgerEntry.amount_cents)
            .join(m.LedgerEntry, m.LedgerEntry.transaction_id == m.LedgerTransaction.id)
            .join(m.LedgerAccount, m.LedgerAccount.id == m.LedgerEntry.account_id)
            .where(m.LedgerTransaction.kind == "bad_debt", m.LedgerAccount.code.startswith("employer_receivable:")))}
        companies = dict(s.execute(select(m.Employer.id, m.Employer.payroll_company_id)).all())
        expected: dict[str, int] = defaultdict(int)
        for (emp, _run), invoices in runs.items():
            if not all(r.payment_method == "remit" for r in invoices):
                continue
            pay = pay_dates[invoices[0].payroll_run_pk]
            month_end = add_days(date(pay.year + pay.month // 12, pay.month % 12 + 1, 1), -1)
            if month_end < today:
                owed = sum(r.total_cents - applied.get(r.id, 0) for r in invoices if r.status != "void")
                given_up = sum(written_off.get(r.number, 0) for r in invoices)
                owed -= given_up
                if given_up and owed < 0:  # a later credit first cancels debt given up, then is owed back
                    owed = min(0, owed + given_up)
                expected[companies[emp]] += owed
        owed: dict[str, int] = defaultdict(int)
        bills: dict[str, list[str]] = defaultdict(list)
        for b in list_remit_bills(s):
            if b["status"] == "void":
                continue
            balance = b["balance_cents"]
            owed[b["payroll_company_id"]] += balance
            bills[b["payroll_company_id"]].append(f"{b['number']} {b['status']} {money(b['total_cents'])} "
                                                  f"balance {money(balance)}")
        for company in sorted(set(expected) | set(owed)):
            if owed[company] != expected[company]:
                out.append(Violation("2r", f"{company} owes {money(owed[company])} across its remit bills "
                                           f"({', '.join(bills[company])}) but its ended months' remit runs total "
                                           f"{money(expected[company])}"))
        return out

    # 3
    def _bank_vs_ledger(self, s: Session, by_number: dict) -> list[Violation]:
        out = self._settled_unsent(s)
        unconfirmed = s.scalar(select(func.count()).select_from(m.AchFile).where(m.AchFile.status != "confirmed"))
        if unconfirmed or self.world.waiting_returns():
            return out
        self.stats["3 bank vs ledger"] += 1
        feins = dict(s.execute(select(m.Employer.id, m.Employer.fein)).all())
        bank: dict[str, int] = defaultdict(int)
        for number, cents in self.bank.moved().items():
            bank[feins[by_number[number].employer_id]] += cents
        ours: dict[str, int] = defaultdict(int)
        rows = s.execute(
            select(m.LedgerTransaction.kind, m.LedgerAccount.code, m.LedgerEntry.amount_cents)
            .join(m.LedgerEntry, m.LedgerEntry.transaction_id == m.LedgerTransaction.id)
            .join(m.LedgerAccount, m.LedgerAccount.id == m.LedgerEntry.account_id)
            .where(m.LedgerTransaction.kind.in_(("debit_sent", "debit_returned", "refund_sent", "refund_returned"))))
        for kind, code, cents in rows:
            prefix, _, fein = code.partition(":")
            if prefix in ("employer_receivable", "refunds_payable"):
                ours[fein] -= cents
        paid = defaultdict(int)
        for last4, cents, status in s.execute(select(m.Payout.account_last4, m.Payout.amount_cents, m.Payout.status)):
            if status != "returned":
                paid[last4] += cents
        theirs = self.bank.payouts_moved()
        self.stats["3p payouts vs bank"] += bool(paid or theirs)
        if dict(paid) != {k: v for k, v in theirs.items() if v}:
            out.append(Violation("3p", f"payouts per account, ours {dict(paid)} vs what the bank received "
                                       f"{dict(theirs)}"))
        wrong = {f: (bank.get(f, 0), ours.get(f, 0)) for f in set(bank) | set(ours) if bank.get(f, 0) != ours.get(f, 0)}
        if wrong:
            out.append(Violation("3", "money moved per employer, bank vs ledger: " + ", ".join(
                f"{f}: bank {money(b)}, ledger {money(o)}" for f, (b, o) in sorted(wrong.items()))))
        return out

    def _settled_unsent(self, s: Session) -> list[Violation]:
        """3s: an entry settles (its money counted as ours, the carrier credited) only once the bank
        has received it: settling what sits in a file never uploaded counts money not collected."""
        received = {e.trace for e in self.bank.received}
        rows = s.execute(select(m.AchEntry.trace_number, m.AchEntry.amount_cents, m.AchEntry.effective_date,
                                m.Invoice.number, m.AchFile.path, m.AchFile.status)
                         .join(m.Invoice, m.Invoice.id == m.AchEntry.invoice_id)
                         .join(m.AchFile, m.AchFile.id == m.AchEntry.ach_file_id)
                         .where(m.AchEntry.status == "settled")).all()
        return [Violation("3s", f"{r.number} entry {r.trace_number} of {money(r.amount_cents)} (effective "
                                f"{r.effective_date}) settled while its file {Path(r.path).name} is {r.status}: the "
                                f"bank never received it") for r in rows if r.trace_number not in received]

    # 4
    def _void_not_sent(self, s: Session, inv: dict, entries, new_bank_entries: list[BankEntry]) -> list[Violation]:
        out = []
        files = dict(s.execute(select(m.AchFile.id, m.AchFile.path)).all())
        for e in entries:
            if e.ach_file_id > self.files_seen and inv[e.invoice_id].number in self.void_before:
                out.append(Violation("4", f"void invoice {inv[e.invoice_id].number} put in NACHA file "
                                          f"{Path(files[e.ach_file_id]).name} built after the void"))
        self.stats["4 entries received by the bank"] += len(new_bank_entries)
        for b in new_bank_entries:
            if b.invoice in self.void_before:
                out.append(Violation("4", f"the bank received void invoice {b.invoice} ({money(b.amount_cents)}, "
                                          f"tc {b.tc}) in {b.file}, uploaded after the void"))
        self.files_seen = max(files, default=self.files_seen)
        return out

    # 5
    def _transitions(self, s: Session) -> list[Violation]:
        rows = s.execute(select(m.InvoiceStatusChange.id, m.InvoiceStatusChange.invoice_id,
                                m.InvoiceStatusChange.from_status, m.InvoiceStatusChange.to_status,
                                m.InvoiceStatusChange.changed_by)
                         .where(m.InvoiceStatusChange.id > self.history_seen).order_by(m.InvoiceStatusChange.id)).all()
        out = []
        numbers = dict(s.execute(select(m.Invoice.id, m.Invoice.number)).all())
        for r in rows:
            if (r.from_status, r.to_status) not in self.transitions:
                out.append(Violation("5", f"{numbers[r.invoice_id]}: {r.from_status} -> {r.to_status} by "
                                          f"{r.changed_by} is not an allowed transition"))
            self.history_seen = r.id
        return out

    # 6
    def _wallets(self, s: Session, inv: dict, entries) -> list[Violation]:
        settings = s.scalars(select(m.BillingSetting)).all()
        per_policy = {b.policy_id: b for b in settings if b.policy_id is not None}
        per_carrier = {b.carrier_id: b for b in settings if b.policy_id is None}
        carriers = dict(s.execute(select(m.Policy.id, m.Policy.carrier_id)).all())

        def fee(policy_id: int, premium: int) -> int:
            b = per_policy.get(policy_id) or per_carrier.get(carriers[policy_id])
            if b is None or b.fee_type != "percentage" or not b.fee_rate:
                return 0
            return percentage_fee_cents(premium, b.fee_rate)

        expected: dict[str, int] = defaultdict(int)
        parts: dict[str, list[str]] = defaultdict(list)
        for e in entries:
            r = inv[e.invoice_id]
            if codes.is_debit(e.transaction_code) and e.status == "settled" and r.premium_cents > 0:
                c = carriers[r.policy_id]
                expected[c] += r.premium_cents - fee(r.policy_id, r.premium_cents)
        for invoice_id, paid in balances.applied_cents(s).items():  # remit receipts, as settled debits
            r = inv[invoice_id]
            p = premium_part(paid, r.total_cents, r.premium_cents)
            expected[carriers[r.policy_id]] += p - fee(r.policy_id, p)
            self.stats["6 remit receipts"] += 1
        payouts = defaultdict(int)
        for carrier, cents, status in s.execute(  # a payout leaves the wallet once the bank confirmed its file
                select(m.Payout.carrier_id, m.Payout.amount_cents, m.Payout.status)
                .join(m.AchFile, m.AchFile.id == m.Payout.ach_file_id).where(m.AchFile.status == "confirmed")):
            if status != "returned":
                payouts[carrier] += cents
                expected[carrier] -= cents
                self.stats["6 payouts"] += 1
        wallet_rows = s.execute(
            select(m.LedgerTransaction.idempotency_key, m.LedgerTransaction.kind, m.LedgerAccount.code,
                   m.LedgerEntry.amount_cents)
            .join(m.LedgerEntry, m.LedgerEntry.transaction_id == m.LedgerTransaction.id)
            .join(m.LedgerAccount, m.LedgerAccount.id == m.LedgerEntry.account_id)
            .where(m.LedgerAccount.code.startswith("carrier_wallet:"))).all()
        actual: dict[str, int] = defaultdict(int)
        by_refund: dict[str, int] = defaultdict(int)
        refunds = {r.number: r for r in inv.values() if r.total_cents < 0}
        for key, kind, code, cents in wallet_rows:
            carrier = code.partition(":")[2]
            actual[carrier] -= cents  # a liability: what the wallet holds is minus its balance
            if kind == "carrier_fee":
                expected[carrier] -= cents
                continue
            if kind in ("carrier_payout", "payout_returned"):
                continue  # checked against the payouts table above
            for part in key.split(":"):
                if part in refunds:
                    by_refund[part] += cents
        for number, taken in by_refund.items():
            if taken:
                self.stats["6 refunds from a wallet"] += 1
                r = refunds[number]
                c = carriers[r.policy_id]
                due = -r.premium_cents - fee(r.policy_id, -r.premium_cents)
                expected[c] -= due
                if taken != due:
                    parts[c].append(f"refund {number} of {money(-r.premium_cents)} took {money(taken)} from the "
                                    f"wallet, expected {money(due)} (the fee on it given back)")
        out = []
        self.stats["6 wallets"] += len(actual)
        for c in sorted(set(expected) | set(actual)):
            if expected[c] != actual[c]:
                out.append(Violation("6", f"carrier wallet {c} holds {money(actual[c])}, expected {money(expected[c])}"
                                          + (": " + "; ".join(parts[c]) if parts[c] else "")))
        return out

    # 9
    def _money(self, s: Session, entries) -> list[Violation]:
        """Money in (debits settled + remit received) = refunds (paid, in transit, owed) + payouts
        (settled, in transit) + wallets + platform fees + payers' unapplied credit, to the cent: the
        facts (entries, payments, payouts tables) against the ledger's balances."""
        debits = sum(e.amount_cents for e in entries if codes.is_debit(e.transaction_code) and e.status == "settled")
        refunds_settled = sum(e.amount_cents for e in entries
                              if not codes.is_debit(e.transaction_code) and e.status == "settled")
        remit = int(s.scalar(select(func.coalesce(func.sum(m.Payment.amount_cents), 0))))
        payouts_settled = int(s.scalar(select(func.coalesce(func.sum(m.Payout.amount_cents), 0))
                                       .where(m.Payout.status == "settled")))
        bal = ledger.balances(s)

        def held(*prefixes: str) -> int:
            return -sum(v for k, v in bal.items() if k.partition(":")[0] in prefixes)

        refunds_owed = held("refunds_payable", "refunds_in_transit")
        payouts_in_transit = held("payouts_in_transit")
        wallets, fees, credit = held("carrier_wallet"), held("platform_fees"), held("payer_credit")
        self.stats["9 money"] += 1
        money_in = debits + remit
        accounted = refunds_settled + refunds_owed + payouts_settled + payouts_in_transit + wallets + fees + credit
        if money_in != accounted:
            return [Violation("9", f"money in {money(money_in)} (debits settled {money(debits)} + remit "
                                   f"{money(remit)}) but refunds {money(refunds_settled)} paid + {money(refunds_owed)} "
                                   f"owed, payouts {money(payouts_settled)} + {money(payouts_in_transit)} in transit, "
                                   f"wallets {money(wallets)}, platform fees {money(fees)}, payer credit "
                                   f"{money(credit)} = {money(accounted)}")]
        return []

    # 8
    def _notices(self, s: Session, inv: dict, entries) -> list[Violation]:
        keys = s.scalars(select(m.Notification.idempotency_key)
                         .where(m.Notification.idempotency_key.startswith("pre_debit_notice:"))).all()
        notices = set()
        for k in keys:  # pre_debit_notice:<invoice>:<presentment>[:w<k>] (a notice again after a withdrawal)
            _, number, n = k.split(":")[:3]
            notices.add((number, int(n)))
        status = {(inv[e.invoice_id].number, e.presentment): e.status for e in entries}
        out = []
        for number, n in sorted(notices):
            if n > 1 and status.get((number, n - 1)) != "returned":
                out.append(Violation("8", f"pre-debit notice of {number} presentment {n} while presentment {n - 1} "
                                          f"is {status.get((number, n - 1), 'not sent')}"))
        for (number, n) in sorted(status):
            if (number, n) not in notices:
                out.append(Violation("8", f"{number} presentment {n} was sent without a pre-debit notice"))
        return out


# ---------------------------------------------------------------------------------------------
# Steps, the walk, shrinking.
# ---------------------------------------------------------------------------------------------

# (kind, weight). ingest: a new regular run for 1-3 employers of one payroll company; correct_up /
# _down / _zero / _same: a correction of a run (more wages or an employee added; less or one
# removed; every wage 0; identical content); correct_failed: a correction of a run whose invoice
# failed; bad_file: a payroll file that must be refused; originate: `paygo ach originate` (uploads
# while the bank is reachable, else only records); bank_down / bank_up: an outage starts / ends;
# crash_originate / crash_ingest: the process dies at a named step, then the command is run again;
# bank: the bank writes the return files due; reconcile: we fetch and apply them; settle; remit:
# `paygo remit-bills`; advance: 1-3 banking days; rerun: the previous command, same inputs;
# new_bank_details: an employer stopped by R02/R03 sends new bank details (`paygo load-reference`).
ACTIONS = (
    ("ingest", 14), ("correct_up", 3), ("correct_down", 4), ("correct_zero", 1), ("correct_same", 1),
    ("correct_failed", 2), ("bad_file", 2), ("originate", 15), ("bank_down", 2), ("bank_up", 4), ("crash_originate", 3),
    ("crash_ingest", 2), ("bank", 9), ("reconcile", 9), ("settle", 7), ("remit", 3), ("advance", 11),
    ("rerun", 5), ("new_bank_details", 2),
    # issue 12: a remit payment against a bill (in full, in part, over, the same reference again, the
    # same reference with another amount); a failed invoice paid by wire; ops re-present a failed
    # invoice, write one off; an employer renews its authorization
    ("remit_pay", 4), ("pay_failed", 2), ("represent", 3), ("write_off", 1), ("authorize", 1),
    # `paygo payouts` (a crash at one of its steps, then the run again); `paygo dunning`
    ("payouts", 3), ("crash_payouts", 1), ("dunning", 2),
)


@dataclass(frozen=True)
class Step:
    index: int  # position in the seed's plan: stable when shrinking drops other steps
    kind: str
    r: int  # this step's own seed


def make_plan(seed: int, steps: int) -> list[Step]:
    rng = random.Random(seed)
    kinds, weights = [k for k, _ in ACTIONS], [w for _, w in ACTIONS]
    return [Step(i, rng.choices(kinds, weights)[0], rng.getrandbits(32)) for i in range(steps)]


class Simulation:
    """Executes steps against a World and a ScriptedBank, checking invariant 7 around commands."""

    def __init__(self, seed: int, url: str, home: Path):
        self.seed = seed
        self.world = World(url, home)
        self.bank = ScriptedBank(self.world.bank.root, seed)
        self.checker = Checker(self.world, self.bank)
        self.runs: dict[tuple[str, str], Run] = {}
        self.sent: set[bytes] = set()  # payroll files sent so far
        self.violations: list[Violation] = []
        self.rerun: Callable[[], str] | None = None  # the previous step's command, if it completed
        self.bank_reachable = True  # bank outages last until a `bank_up` step
        self.remit_day: date | None = None
        self.payments: list[tuple] = []  # (reference, amount, bill, invoice, method) recorded so far

    def close(self) -> None:
        self.world.close()

    # --- helpers
    def _raised(self, what: str, o: Outcome) -> None:
        self.violations.append(Violation(f"7:{type(o.error).__name__}", f"{what} raised {type(o.error).__name__}: "
                                                                         f"{o.error}\n{o.trace}"))

    def _ingest_desc(self, o: Outcome) -> str:
        if not o.ok:
            return f"RAISED {type(o.error).__name__}: {o.error}"
        r = o.result
        inv = self.world.session.execute(select(m.Invoice.number, m.Invoice.total_cents, m.Invoice.payroll_run_id,
                                                m.Invoice.kind).where(m.Invoice.number.in_(r.invoices))).all()
        made = ", ".join(f"{n} {money(t)} ({run}{', adjustment' if kind == 'adjustment' else ''})"
                         for n, t, run, kind in sorted(inv))
        extra = f", voided {', '.join(r.voided)}" if r.voided else ""
        errs = "; ".join(str(e) for e in r.errors[:3])
        return f"{r.status}" + (f": {made}" if made else "") + extra + (f" [{errs}]" if errs else "") + (
            " (identical, ignored)" if r.status == "accepted" and r.runs_ignored and not r.runs_added else "")

    def _ingest_runs(self, runs: list[tuple[Run, str]], what: str, *, fail_at: str | None = None,
                     expect: str = "accepted") -> str:
        data = render(runs)
        company = runs[0][0].spec.company
        name = f"{company}-{runs[0][0].run_id}-{len(self.runs)}.csv"
        sent_before = data in self.sent  # the same bytes again (an identical correction twice): a duplicate
        self.sent.add(data)
        if fail_at is not None:
            before = snapshot(self.world.session)
            crashed = self.world.ingest(data, name, company, fail_at=fail_at)
            if not crashed.crashed:
                if not crashed.ok:
                    self._raised(f"ingest ({what}, fail_at {fail_at})", crashed)
                    return f"{what}: crash at {fail_at} -> RAISED {crashed.error!r}"
            else:
                after = snapshot(self.world.session)
                if before != after:
                    self.violations.append(Violation("7-crash", f"an ingest crashed at {fail_at} left changes: "
                                                                f"{diff(before, after)}"))
            what = f"{what}: crash at {fail_at}, re-run"
        o = self.world.ingest(data, name, company)
        desc = f"{what} -> {self._ingest_desc(o)}"
        if not o.ok:
            self._raised(f"ingest ({what})", o)
            return desc
        if o.result.status == "accepted":
            for run, _ in runs:
                self.runs[(run.spec.fein, run.run_id)] = run
        elif o.result.status != expect and not (sent_before and o.result.status == "duplicate"):
            self.violations.append(Violation("7-refused", f"a valid payroll file was {o.result.status}: "
                                                          f"{[str(e) for e in o.result.errors[:5]]}"))
        self.rerun = lambda: self._same(lambda: self.world.ingest(data, name, company), f"ingest {name}")
        return desc

    def _same(self, call: Callable[[], Outcome], what: str) -> str:
        before = snapshot(self.world.session)
        o = call()
        if not o.ok:
            self._raised(f"re-run of {what}", o)
            return f"re-run {what} -> RAISED {o.error!r}"
        after = snapshot(self.world.session)
        if before != after:
            self.violations.append(Violation("7-rerun", f"re-running {what} with the same inputs changed "
                                                        f"{diff(before, after)}"))
            return f"re-run {what} -> CHANGED {diff(before, after)}"
        return f"re-run {what} -> nothing changed"

    def _pick_run(self, rng: random.Random, keys: list[tuple[str, str]] | None = None) -> Run | None:
        keys = sorted(self.runs) if keys is None else sorted(k for k in keys if k in self.runs)
        return self.runs[rng.choice(keys)] if keys else None

    def _new_runs(self, step: Step, rng: random.Random) -> list[Run]:
        company = rng.choice(COMPANIES)
        specs = [e for e in EMPLOYERS.values() if e.company == company]
        chosen = sorted(rng.sample(specs, rng.randint(1, len(specs))), key=lambda e: e.fein)
        return [Run(e, f"{e.prefix}-{step.index:05d}", self.world.today, new_rows(e, rng)) for e in chosen]

    def _corrected(self, run: Run, how: str, rng: random.Random) -> tuple[Run, str]:
        rows = [dict(r) for r in run.rows]
        if how == "up":
            if rng.random() < 0.3:
                extra = dict(rng.choice(run.spec.rows))
                extra["employee_id"] = f"{run.spec.prefix}-Y{rng.randrange(1000):03d}"
                rows = rows + [extra] if all(r["employee_id"] != extra["employee_id"] for r in rows) else rows
                note = "employee added"
            else:
                pct = rng.randint(105, 150)
                rows, note = scale(rows, pct), f"wages x{pct / 100:.2f}"
        elif how == "down":
            if len(rows) > 1 and rng.random() < 0.4:
                gone = rows.pop(rng.randrange(len(rows)))
                note = f"employee {gone['employee_id']} removed"
            else:
                pct = rng.randint(50, 95)
                rows, note = scale(rows, pct), f"wages x{pct / 100:.2f}"
        elif how == "zero":
            rows, note = zeroed(rows), "all wages 0"
        else:
            note = "identical content"
        return Run(run.spec, run.run_id, run.pay_date, rows), note

    # --- the actions
    def do(self, step: Step) -> str:
        rng = random.Random(step.r)
        w = self.world
        rerun, self.rerun = self.rerun, None
        self.remit_day = None
        k = step.kind
        if k == "ingest":
            runs = self._new_runs(step, rng)
            return self._ingest_runs([(r, "regular") for r in runs],
                                     f"ingest {runs[0].spec.company}: " + ", ".join(
                                         f"{r.run_id} ({r.spec.name}, {len(r.rows)} rows)" for r in runs))
        if k.startswith("correct_"):
            how = k.split("_")[1]
            keys = None
            if how == "failed":
                failed = w.session.execute(
                    select(m.Employer.fein, m.Invoice.payroll_run_id).join(m.Employer, m.Employer.id == m.Invoice.employer_id)
                    .where(m.Invoice.status == "failed")).all()
                keys = [tuple(x) for x in failed]
                how = rng.choice(("up", "down"))
                if not any(k_ in self.runs for k_ in keys):
                    return "correction after a failure: no failed run"
            run = self._pick_run(rng, keys)
            if run is None:
                return f"correction {how}: no run yet"
            new, note = self._corrected(run, how, rng)
            label = "correction after failure" if k == "correct_failed" else "correction"
            return self._ingest_runs([(new, "correction")], f"{label} {how} of {run.run_id} ({run.spec.name}, {note})")
        if k == "bad_file":
            return self._bad_file(step, rng)
        if k == "originate":
            return self._originate(self.bank_reachable)
        if k in ("bank_down", "bank_up"):
            was, self.bank_reachable = self.bank_reachable, k == "bank_up"
            return (f"the bank {'is' if was == self.bank_reachable else 'becomes'} "
                    f"{'reachable' if self.bank_reachable else 'unreachable'}")
        if k == "crash_originate":
            return self._crash("originate", originate_module.STEPS, w.originate, self._originate, self._orig_desc, rng)
        if k == "crash_ingest":
            at = rng.choice(ingest_module.STEPS)
            run = self._pick_run(rng) if rng.random() < 0.4 else None
            if run is not None:
                new, note = self._corrected(run, rng.choice(("up", "down")), rng)
                return self._ingest_runs([(new, "correction")], f"correction of {run.run_id} ({note})", fail_at=at)
            runs = self._new_runs(step, rng)
            return self._ingest_runs([(r, "regular") for r in runs],
                                     "ingest " + ", ".join(r.run_id for r in runs), fail_at=at)
        if k == "bank":
            due = self.bank.due_summary(w.today)
            written = self.bank.answer(w.today, rng)
            if not written:
                return "the bank has nothing to answer"
            return "the bank answers: " + due + " -> " + ", ".join(f"{n} ({what})" for n, what in written)
        if k == "reconcile":
            return self._reconcile()
        if k == "settle":
            o = w.settle()
            if not o.ok:
                self._raised("settle", o)
                return f"settle -> RAISED {type(o.error).__name__}: {o.error}"
            self.rerun = lambda: self._same(w.settle, f"settle {w.today}")
            return f"settle -> {o.result.settled} entries, {money(o.result.total_cents)}"
        if k == "remit":
            o = w.remit_bills()
            if not o.ok:
                self._raised("remit-bills", o)
                return f"remit-bills -> RAISED {o.error!r}"
            self.remit_day = w.today
            self.rerun = lambda: self._same(w.remit_bills, f"remit-bills {w.today}")
            bills = w.session.execute(select(m.RemitBill.number, m.RemitBill.total_cents)
                                      .where(m.RemitBill.number.in_(o.result))).all()
            return "remit-bills -> " + (", ".join(f"{n} {money(t)}" for n, t in bills) or "none due")
        if k == "advance":
            n = rng.randint(1, 3)
            w.today = add_banking_days(w.today, n)
            return f"advance {n} banking day(s)"
        if k == "rerun":
            if rerun is None:
                return "re-run: the previous step was no completed command"
            return rerun()
        if k == "payouts":
            return self._payouts(self.bank_reachable)
        if k == "crash_payouts":
            return self._crash("payouts", payouts_module.STEPS, w.payouts, self._payouts, lambda o: "", rng)
        if k == "dunning":
            o = w.dunning()
            if not o.ok:
                self._raised("dunning", o)
                return f"dunning -> RAISED {type(o.error).__name__}: {o.error}"
            owing = self._owing()
            closed = [key for key, *_ in o.result.queued if owing.get(key.split(":")[1], 0) <= 0]
            if closed:
                self.violations.append(Violation("10", f"reminders for what owes nothing: {closed}"))
            self.rerun = lambda: self._same(w.dunning, f"dunning {w.today}")
            return f"dunning -> {len(o.result.queued)} reminder(s) " + ", ".join(k for k, *_ in o.result.queued)
        if k == "remit_pay":
            return self._remit_pay(step, rng)
        if k == "pay_failed":
            failed = w.session.execute(select(m.Invoice.id, m.Invoice.number).where(
                m.Invoice.status == "failed", m.Invoice.total_cents > 0).order_by(m.Invoice.id)).all()
            owed = balances.open_cents(w.session, [f.id for f in failed])
            w.session.commit()
            candidates = [f for f in failed if owed.get(f.id)]
            if not candidates:
                return "wire for a failed invoice: none owes anything"
            f = rng.choice(candidates)
            amount = owed[f.id] if rng.random() < 0.5 else rng.randint(1, owed[f.id])
            return self._pay(f"WIRE-{step.index}", amount, invoice=f.number, method="wire",
                             what=f"wire for failed {f.number} (owes {money(owed[f.id])})")
        if k == "represent":
            failed = w.session.scalars(select(m.Invoice.number).where(
                m.Invoice.status == "failed", m.Invoice.payment_method == "ach_debit").order_by(m.Invoice.id)).all()
            w.session.commit()
            if not failed:
                return "re-present: no failed invoice"
            number = rng.choice(failed)
            return self._refusable(lambda: w.represent(number), f"re-present {number}",
                                   lambda r: f"presentment {r}")
        if k == "write_off":
            rows = w.session.execute(select(m.Invoice.id, m.Invoice.number).where(
                m.Invoice.status.in_(("failed", "issued")), m.Invoice.total_cents > 0).order_by(m.Invoice.id)).all()
            owed = balances.open_cents(w.session, [r.id for r in rows])
            w.session.commit()
            rows = [r for r in rows if owed.get(r.id)]
            if not rows:
                return "write-off: nothing to write off"
            r = rng.choice(rows)
            return self._refusable(lambda: w.write_off(r.number, "uncollectable (simulated)"),
                                   f"write off {r.number}", lambda c: f"{money(c)} to bad debt")
        if k == "authorize":
            feins = w.session.scalars(select(m.Employer.fein).where(
                m.Employer.authorization_status == "needs_reauthorization").order_by(m.Employer.fein)).all()
            w.session.commit()
            if not feins:
                return "authorization: nobody needs one"
            fein = rng.choice(feins)
            o = w.authorize(fein)
            if not o.ok:
                self._raised("employers authorize", o)
            return f"employer {fein} renews its authorization -> " + ("active" if o.ok else "RAISED")
        if k == "new_bank_details":
            feins = w.session.scalars(select(m.Employer.fein).where(
                m.Employer.authorization_status == "needs_new_bank_details").order_by(m.Employer.fein)).all()
            w.session.commit()
            if not feins:
                return "new bank details: nobody needs them"
            fein = rng.choice(feins)
            account = "6" + "".join(rng.choice("0123456789") for _ in range(9))
            o = w.new_bank_details(fein, account)
            if not o.ok:
                self._raised("load-reference", o)
            return f"employer {fein} sends new bank details (****{account[-4:]}) -> " + ("loaded" if o.ok else "RAISED")
        raise ValueError(f"unknown step kind {k}")

    def _crash(self, label: str, steps: tuple[str, ...], command: Callable[..., Outcome],
               again: Callable[[bool], str], describe: Callable[[Outcome], str], rng: random.Random) -> str:
        """The process dies at one of the command's steps (the first alone when the bank is down: no
        upload, no later step), then the command runs again."""
        up = self.bank_reachable
        at = rng.choice(steps) if up else steps[0]
        o = command(up, crash_at=at)
        where = f"{label} (bank {'up' if up else 'down'})"
        if not o.crashed:
            if not o.ok:
                self._raised(f"{label} (crash at {at})", o)
                return f"{where} crash at {at} -> RAISED {o.error!r}"
            first = f"{where} crash at {at} -> not reached: {describe(o)}"
        else:
            first = f"{where} -> CRASH at {at}"
        return first + "; re-run: " + again(up)

    def _owing(self) -> dict[str, int]:
        """What each invoice and remit bill owes now, by number (the product's definition)."""
        s = self.world.session
        numbers = dict(s.execute(select(m.Invoice.id, m.Invoice.number)).all())
        out = {numbers[i]: c for i, c in balances.open_cents(s).items()}
        for bill_id, number in s.execute(select(m.RemitBill.id, m.RemitBill.number)).all():
            out[number] = bill_balance(s, bill_id)
        s.commit()
        return out

    def _payouts(self, up: bool) -> str:
        o = self.world.payouts(up)
        label = f"payouts (bank {'up' if up else 'down'})"
        if not o.ok:
            self._raised(label, o)
            return f"{label} -> RAISED {type(o.error).__name__}: {o.error}"
        self.rerun = lambda: self._same(lambda: self.world.payouts(up), f"{label} {self.world.today}")
        r = o.result
        parts = [f"finished {n}" for n in r.finished] + [f"waiting {n}" for n in r.pending]
        if r.file_name:
            parts.append(f"{r.file_name} {r.status}: " + ", ".join(
                f"{p.carrier_id} {money(p.amount_cents)}" for p in r.payouts))
        return f"{label} -> " + ("; ".join(parts) or "nothing to pay")

    def _refusable(self, call: Callable[[], Outcome], what: str, describe: Callable[[object], str]) -> str:
        """A command ops may be refused: a refusal must be clean (a paygo ValueError) and change nothing."""
        before = snapshot(self.world.session, refusal=True)
        o = call()
        if o.ok:
            self.rerun = lambda: self._refused_again(call, what)
            return f"{what} -> {describe(o.result)}"
        if not is_refusal(o.error):
            self._raised(what, o)
            return f"{what} -> RAISED {type(o.error).__name__}: {o.error}"
        after = snapshot(self.world.session, refusal=True)
        if before != after:
            self.violations.append(Violation("7-refusal", f"refused {what} changed {diff(before, after)}"))
        return f"{what} -> refused: {o.error}"

    def _refused_again(self, call: Callable[[], Outcome], what: str) -> str:
        """Re-presenting or writing off the same invoice again is refused and changes nothing."""
        before = snapshot(self.world.session, refusal=True)
        o = call()
        after = snapshot(self.world.session, refusal=True)
        if o.ok or not is_refusal(o.error) or before != after:
            self.violations.append(Violation("7-rerun", f"{what} again was not a clean refusal: "
                                                        f"{'accepted' if o.ok else repr(o.error)}; {diff(before, after)}"))
            return f"re-run {what} -> NOT REFUSED"
        return f"re-run {what} -> refused: {o.error}"

    def _pay(self, reference: str, amount: int, *, what: str, bill: str | None = None, invoice: str | None = None,
             method: str = "check") -> str:
        o = self.world.record_payment(amount, reference, bill=bill, invoice=invoice, method=method)
        if not o.ok:
            if is_refusal(o.error):
                return f"{what}: {money(amount)} {reference} -> refused: {o.error}"
            self._raised(what, o)
            return f"{what} -> RAISED {type(o.error).__name__}: {o.error}"
        self.payments.append((reference, amount, bill, invoice, method))
        self.rerun = lambda: self._same(lambda: self.world.record_payment(amount, reference, bill=bill,
                                                                          invoice=invoice, method=method),
                                        f"payment {reference}")
        r = o.result
        return (f"{what}: {money(amount)} {reference} -> {r.number} applied "
                + (", ".join(f"{n} {money(c)}" for n, c in r.applied.items()) or "nothing")
                + (f"; paid {', '.join(r.paid_invoices + r.paid_bills)}" if r.paid_invoices or r.paid_bills else "")
                + (f"; payer credit {money(r.credit_left_cents)}" if r.credit_left_cents else ""))

    def _remit_pay(self, step: Step, rng: random.Random) -> str:
        w = self.world
        how = rng.choice(("full", "partial", "over", "again", "conflict"))
        if how in ("again", "conflict") and self.payments:
            reference, amount, bill, invoice, method = rng.choice(self.payments)
            if how == "again":
                return self._same(lambda: w.record_payment(amount, reference, bill=bill, invoice=invoice,
                                                           method=method), f"payment {reference} sent again")
            return self._refusable(lambda: w.record_payment(amount + 100, reference, bill=bill, invoice=invoice,
                                                            method=method),
                                   f"payment {reference} again for {money(amount + 100)}", lambda r: r.number)
        bills = [b for b in list_remit_bills(w.session) if b["status"] == "issued" and b["balance_cents"] > 0]
        w.session.commit()
        if not bills:
            return "remit payment: no bill owes anything"
        b = rng.choice(bills)
        owed = b["balance_cents"]
        amount = {"partial": rng.randint(1, owed), "over": owed + rng.randint(1, 5000)}.get(how, owed)
        return self._pay(f"CHK-{step.index}", amount, bill=b["number"],
                         what=f"remit payment ({how}) of {b['number']} (owes {money(owed)})")

    def _orig_desc(self, o: Outcome) -> str:
        notices, r = o.result
        parts = []
        if notices:
            parts.append("notices " + ", ".join(f"{n.invoice_number}#{n.presentment}" for n in notices))
        parts += [f"finished {n}" for n in r.finished] + [f"waiting {n}" for n in r.pending]
        if r.file_name:
            parts.append(f"{r.file_name} {r.status}: " + ", ".join(
                f"{e.invoice_number}#{e.presentment} {money(e.amount_cents)}" for e in r.entries))
        parts += [f"zero {n}" for n in r.zero_paid] + [f"held {n}" for n, _ in r.held]
        return "; ".join(parts) or "nothing"

    def _originate(self, up: bool) -> str:
        o = self.world.originate(up)
        label = f"originate (bank {'up' if up else 'down'})"
        if not o.ok:
            self._raised(label, o)
            return f"{label} -> RAISED {type(o.error).__name__}: {o.error}"
        self.rerun = lambda: self._same(lambda: self.world.originate(up), f"{label} {self.world.today}")
        return f"{label} -> {self._orig_desc(o)}"

    def _reconcile(self) -> str:
        w = self.world
        names = w.waiting_returns()
        if not names:
            return "reconcile: no return file waiting"
        parts, done = [], []
        for name in names:
            data = w.fetch_return(name)
            bad = name.endswith("-bad.ach")
            before = snapshot(w.session, refusal=True) if bad else None
            o = w.reconcile(data, name)
            if bad:
                after = snapshot(w.session, refusal=True)
                if not o.ok and not is_refusal(o.error):
                    self._raised(f"reconcile of damaged {name}", o)
                elif before != after:
                    self.violations.append(Violation("7-refusal", f"reconcile applied {name}, whose control totals "
                                                                  f"are wrong: {diff(before, after)}"))
                parts.append(f"{name} (damaged) -> " + ("refused" if before == after else "APPLIED"))
                w.archive_return(name)
                continue
            if not o.ok:
                self._raised(f"reconcile {name}", o)
                parts.append(f"{name} -> RAISED {type(o.error).__name__}: {o.error}")
                break
            r = o.result
            if refused_whole(r):
                self.violations.append(Violation("7-refused", f"the bank's well-formed return file {name} was "
                                                              f"refused: {r.parse_errors[:5]}"))
            parts.append(f"{name} -> " + ("already reconciled" if r.already_reconciled else
                                          "REFUSED" if refused_whole(r) else
                                          f"applied {r.applied}, duplicates {r.duplicates}, exceptions {r.exceptions}, "
                                          f"retries {r.retries_scheduled}, failures {r.failures}, "
                                          f"clawbacks {r.clawbacks}"))
            w.archive_return(name)
            done.append((name, data))
        if done and len(done) == len(names):
            def again() -> str:
                return "; ".join(self._same(lambda n=n, d=d: w.reconcile(d, n), f"reconcile {n}") for n, d in done)
            self.rerun = again
        return "reconcile: " + "; ".join(parts)

    def _bad_file(self, step: Step, rng: random.Random) -> str:
        variants = ["unknown_policy", "negative_wage", "not_a_client", "monopolistic_state"]
        if self.runs:
            variants.append("regular_again")
        how = rng.choice(variants)
        if how == "regular_again":
            run = self._pick_run(rng)
            rows = [dict(r) for r in run.rows]
            rows[0]["regular_pay"] = _dollars(_cents(rows[0]["regular_pay"]) + 100)  # other content, same run id
            runs = [(Run(run.spec, run.run_id, run.pay_date, rows), "regular")]
            company = run.spec.company
        else:
            run = self._new_runs(step, rng)[0]
            row = dict(run.rows[0])
            company = run.spec.company
            if how == "unknown_policy":
                row["policy_number"] = "WC-XX-9999"
            elif how == "negative_wage":
                row["regular_pay"] = "-5.00"
            elif how == "monopolistic_state":
                row["state"] = "OH"
            else:
                company = next(c for c in COMPANIES if c != company)
            runs = [(Run(run.spec, run.run_id, run.pay_date, run.rows[1:] + [row] if how != "not_a_client"
                         else run.rows), "regular")]
        data = render(runs)
        name = f"bad-{step.index}.csv"
        before = snapshot(self.world.session, refusal=True)
        o = self.world.ingest(data, name, company)
        after = snapshot(self.world.session, refusal=True)
        if not o.ok and not is_refusal(o.error):
            self._raised(f"ingest of a bad file ({how})", o)
            return f"bad file ({how}) -> RAISED {o.error!r}"
        if before != after:
            self.violations.append(Violation("7-refusal", f"a bad payroll file ({how}) changed {diff(before, after)}"))
        if o.ok and o.result.status != "rejected":
            self.violations.append(Violation("7-refusal", f"a bad payroll file ({how}) was {o.result.status}"))
        self.rerun = lambda: self._same(lambda: self.world.ingest(data, name, company), f"ingest {name}")
        return f"bad file ({how}) -> " + (self._ingest_desc(o) if o.ok else f"refused: {o.error}")

    def check(self) -> list[Violation]:
        new_entries = self.bank.intake()
        found, self.violations = self.violations + self.checker.check(new_entries, self.remit_day), []
        return found


@dataclass
class Failure:
    seed: int
    steps: list[Step]  # the plan up to and including the failing step
    log: list[str]
    violations: list[Violation]
    ignore: frozenset[str] = frozenset()  # invariants passed over while finding it

    @property
    def key(self) -> str:
        return self.violations[0].key


def run_plan(seed: int, plan: list[Step], databases, workdir: Path, *, ignore: frozenset[str] = frozenset(),
             echo: Callable[[str], None] | None = None, stats: Counter | None = None
             ) -> tuple[Failure | None, int]:
    """Play `plan` on a fresh database; (the first failure or None, steps executed). Violations of
    the invariants in `ignore` (keys such as "5" or "7:IntegrityError") are passed over: a survey
    for further findings behind a known one."""
    home = Path(tempfile.mkdtemp(prefix="run-", dir=workdir))
    url = databases.new()
    sim = Simulation(seed, url, home)
    log: list[str] = []
    try:
        for n, step in enumerate(plan):
            desc = sim.do(step)
            log.append(f"{n + 1:4d}. [{sim.world.today}] {desc}")
            found = [v for v in sim.check() if v.key not in ignore and v.key.split(":")[0] not in ignore]
            if echo is not None:
                echo(log[-1])
            if found:
                return Failure(seed, plan[: n + 1], log, found, ignore), n + 1
        return None, len(plan)
    finally:
        if stats is not None:
            stats.update(sim.checker.stats)
            stats.update(f"step {k}" for k in (s.kind for s in plan[: len(log)]))
        sim.close()
        shutil.rmtree(home, ignore_errors=True)
        databases.release(url)


def shrink(failure: Failure, databases, workdir: Path, *, budget_seconds: float = 30.0,
           ignore: frozenset[str] = frozenset(), match: str | None = None) -> Failure:
    """Drop steps (halves, quarters, ... single steps) while the same invariant still breaks first
    (and, with `match`, its message still contains that text)."""
    deadline = time.monotonic() + budget_seconds
    best = failure

    def same(found: Failure | None) -> bool:
        return (found is not None and found.key == best.key
                and (match is None or match in str(found.violations[0])))

    for kind in sorted({s.kind for s in best.steps}):  # first every step of one kind at once
        if time.monotonic() >= deadline:
            break
        candidate = [s for s in best.steps if s.kind != kind]
        if candidate and len(candidate) < len(best.steps):
            found, _ = run_plan(best.seed, candidate, databases, workdir, ignore=ignore)
            if same(found):
                best = found
    chunk = max(1, len(best.steps) // 2)
    while time.monotonic() < deadline:
        i, changed = 0, False
        while i < len(best.steps) and time.monotonic() < deadline:
            candidate = best.steps[:i] + best.steps[i + chunk:]
            if not candidate:
                i += chunk
                continue
            found, _ = run_plan(best.seed, candidate, databases, workdir, ignore=ignore)
            if same(found):
                best, changed = found, True
            else:
                i += chunk
        if chunk == 1 and not changed:
            break
        chunk = max(1, chunk // 2) if not changed else chunk
    return best


def run_seed(seed: int, steps: int, databases, workdir: Path, *, ignore: frozenset[str] = frozenset()
             ) -> Failure | None:
    return run_plan(seed, make_plan(seed, steps), databases, workdir, ignore=ignore)[0]


def format_failure(f: Failure, *, original: Failure | None = None, steps: int | None = None) -> str:
    lines = [f"money simulation, seed {f.seed}: invariant {f.key} broke after step {len(f.steps)}"
             + (f" (shrunk from {len(original.steps)} steps)" if original and original is not f else "")]
    for v in f.violations:
        lines.append(f"  {v}")
    lines.append("  steps:")
    lines += ["  " + line for line in f.log]
    only = ",".join(str(s.index) for s in f.steps)
    lines.append(f"  replay: uv run python bench/lifecycle_soak.py --seed {f.seed} --steps "
                 f"{steps or (max(s.index for s in f.steps) + 1)} --only {only}"
                 + (f" --ignore {','.join(sorted(f.ignore))}" if f.ignore else ""))
    return "\n".join(lines)


class SqliteDatabases:
    """Fresh SQLite databases, each a copy of one migrated template."""

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.template = self.workdir / "template.db"
        upgrade(f"sqlite:///{self.template}")
        self.n = 0

    def new(self) -> str:
        self.n += 1
        path = self.workdir / f"sim-{self.n}.db"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def release(self, url: str) -> None:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)


class PostgresDatabases:
    """Fresh PostgreSQL databases on a running cluster (tests/pg.py), copies of a migrated template."""

    def __init__(self, cluster, template: str | None = None):
        self.cluster = cluster
        if template is None:
            template = "paygo_sim_template"
            cluster.run_sql(f"CREATE DATABASE {template}")
            upgrade(cluster.url(template))
        self.template = template

    def new(self) -> str:
        return self.cluster.create_database(template=self.template)

    def release(self, url: str) -> None:
        self.cluster.run_sql(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]}")
