"""Apply a bank's return / notification-of-change file: match each item to exactly one debit we sent.

Rule (NACHA Operating Rules; domain.md "ACH facts", invariants 4, 5 and 7): a file is processed
once whatever its name (`return_files.sha256` UNIQUE; a second time changes nothing). Each return
(addenda 99, dishonored and contested ones included; for an entry carrying several addenda 99 the
LAST one is the latest word and is the one applied) and each NOC (addenda 98) is matched on the
original trace number PLUS the amount (returns; a NOC carries 0) PLUS the date: the original
entry's effective date within RETURN_WINDOW_BANKING_DAYS banking days before the day the file is
received. Never on the trace alone: banks reuse traces, so two candidates are `ambiguous` and go to
the exception queue (except that a return of money skips candidates already returned when exactly
one live one is left: our own trace sequences restart in every file), as does what matches nothing. A second copy of the same return (same code,
trace, amount and matched entry date) is recorded as `duplicate` and ignored. What a return does is
the table in `actions.py`; a return of an entry already settled (a late R10) claws the money back
from the carrier's wallet (`clawback`) before `debit_returned`. NOCs C01/C02/C03/C05/C06/C07 change
the employer's bank details (account encrypted, routing check digit validated, type from the
transaction code) and bump `bank_details_version`; C09 is recorded; other change codes, and any
NOC whose corrected data is invalid, go to the exception queue. A zero-entry ("heartbeat") file is
"no returns today". Work is done in bulk (candidates loaded by trace in chunks), not per item.
Worked example: return-WEB.ach's R01 of original trace 091400600000001 for 12,354 cents, received
2025-03-20, matches our entry 091400600000001 of 12,354 cents effective 2025-03-18 -> entry
returned, `debit_returned`, presentment 1 < 3 -> invoice back to `scheduled` with its debit columns
(`debit_date`, ...) cleared until the pre-debit notice of presentment 2.
"""

from __future__ import annotations

import gc
import hashlib
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paygo.ach.actions import may_retry, policy_for
from paygo.ach.settle import premium_to_carrier_key, update_by_id
from paygo.calendar import add_banking_days
from paygo.db.bulk import bind_values, raw_insert, select_in, update_in
from paygo.db.crypto import AccountCipher, AccountNumberError, last4, validate_account_number
from paygo.db.models import AchEntry, AchReturn, Employer, ExceptionItem, Invoice, InvoiceStatusChange, ReturnFile
from paygo.ledger import posting, repo
from paygo.ledger.repo import post_many
from paygo.nacha import codes
from paygo.nacha.fields import is_valid_routing
from paygo.nacha.read import maybe_gunzip, read_ach
from paygo.nacha.read_columns import STRUCTURE
from paygo.notifications.messages import Facts, compose
from paygo.notifications.outbox import enqueue

RETURN_WINDOW_BANKING_DAYS = 65  # unauthorized returns up to 60 banking days, + 5 for dishonored/contested
CHUNK = 5000
APPLIED_NOC_CODES = frozenset({"C01", "C02", "C03", "C05", "C06", "C07", "C09"})
CHANGED_BY = "paygo ach reconcile"
DEDUPE_KEY = 7  # RETURN_COLUMNS.index("dedupe_key")
RETURN_COLUMNS = ("return_file_id", "kind", "ach_entry_id", "code", "original_trace", "amount_cents", "entry_date",
                  "dedupe_key", "status", "corrected_data", "corrected_account_ciphertext", "corrected_account_last4")


@dataclass(frozen=True)
class ReceivedItem:
    """One return or NOC as the bank sent it (the account number is never kept)."""

    kind: str  # "return" | "noc"
    code: str
    original_trace: str
    amount_cents: int
    transaction_code: int
    corrected_data: str = ""


@dataclass
class ReconcileResult:
    already_reconciled: bool = False
    items: int = 0
    applied: int = 0
    duplicates: int = 0
    exceptions: int = 0
    retries_scheduled: int = 0
    failures: int = 0
    clawbacks: int = 0
    nocs_applied: int = 0
    masked_accounts: list[str] = field(default_factory=list)  # ****1234 of the entries touched
    parse_errors: list[str] = field(default_factory=list)


def _slice_items(text: str) -> list[ReceivedItem] | None:
    """Fast path for a well-formed file (LF, 94-character lines): slice the fields we need.

    Positions as in paygo.nacha.records: Entry Detail tc 2-3, amount 30-39; Addenda 99 code 4-6,
    original trace 7-21; Addenda 98 code 4-6, original trace 7-21, corrected data 36-64.
    None when the file is not in that shape (the record reader handles it)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if "\r" in text or any(len(line) != 94 for line in lines):
        return None
    items: list[ReceivedItem] = []
    entry: tuple[int, int] | None = None
    last99: tuple[str, str] | None = None
    first98: tuple[str, str, str] | None = None

    def close() -> None:
        if entry is not None and last99 is not None:
            items.append(ReceivedItem("return", last99[0], last99[1], entry[1], entry[0]))
        elif entry is not None and first98 is not None:
            items.append(ReceivedItem("noc", first98[0], first98[1], entry[1], entry[0], first98[2]))

    for line in lines:
        kind = line[0]
        if kind == "7" and entry is not None:
            if line[1:3] == "99":
                last99 = (line[3:6], line[6:21])
            elif line[1:3] == "98" and first98 is None:
                first98 = (line[3:6], line[6:21], line[35:64].strip())
            continue
        close()
        entry, last99, first98 = None, None, None
        if kind == "6":
            if not (line[1:3].isdigit() and line[29:39].isdigit()):
                return None
            entry = (int(line[1:3]), int(line[29:39]))
    close()
    return items


def received_items(data: bytes) -> tuple[list[ReceivedItem], list[str]]:
    """The returns and NOCs of a file, plus the reader's errors (as text).

    A well-formed file (LF-terminated 94-character lines in the order 1 (5 (6 7*)* 8)* 9+) is sliced
    straight from its lines: what matters for matching is checked here (digits in amounts, codes
    against the action table, unknown ones go to the exception queue); field-by-field validation is
    `paygo ach inspect`'s job (1.7 s of the 100,000-return benchmark). Any other shape goes through
    the record reader, whose errors are returned."""
    data = maybe_gunzip(data)
    if STRUCTURE.fullmatch(bytes(data[i] for i in range(0, len(data), 95))) and len(data) % 95 in (94, 0):
        fast = _slice_items(data.decode("latin-1"))
        if fast is not None:
            return fast, []
    read = read_ach(data)
    errors = [str(d) for d in read.errors]
    items: list[ReceivedItem] = []
    for e in read.file.entries:
        nines = [a for a in e.addenda if a.addenda_type_code == "99"]
        if nines:
            last = nines[-1]
            items.append(ReceivedItem("return", last.return_code, last.original_trace, e.amount_cents,
                                      e.transaction_code))
        elif (noc := e.noc_addenda) is not None:
            items.append(ReceivedItem("noc", noc.change_code, noc.original_trace, e.amount_cents,
                                      e.transaction_code, noc.corrected_data.strip()))
    return items, errors


@dataclass(frozen=True)
class Candidate:
    entry_id: int
    trace: str
    amount_cents: int
    effective_date: date
    status: str
    presentment: int
    account_last4: str
    invoice_id: int
    invoice_number: str
    invoice_status: str
    employer_id: int
    transaction_code: int = codes.CHECKING_DEBIT


def _candidates(session: Session, traces: list[str], since: date, until: date) -> dict[str, list[Candidate]]:
    found: dict[str, list[Candidate]] = defaultdict(list)
    window = bind_values(session, AchEntry.__table__, ("effective_date", "effective_date"), [(since, until)])[0]
    rows = select_in(
        session,
        "SELECT e.id, e.trace_number, e.amount_cents, e.effective_date, e.status, e.presentment, e.account_last4,"
        " i.id, i.number, i.status, i.employer_id, e.transaction_code"
        " FROM ach_entries e JOIN invoices i ON i.id = e.invoice_id"
        " WHERE e.effective_date >= ? AND e.effective_date <= ? AND e.trace_number IN ({keys})",
        traces, window, processors=(None, None, None, AchEntry.__table__.c.effective_date.type))
    for row in rows:
        found[row[1]].append(Candidate(*row))
    return found


def match(item: ReceivedItem, candidates: list[Candidate]) -> tuple[Candidate | None, str | None]:
    """Exactly one candidate on trace + amount (returns) within the window, else the reason why not."""
    hits = [c for c in candidates if item.kind == "noc" or c.amount_cents == item.amount_cents]
    if not hits:
        return None, "unmatched: no entry with this original trace, amount and date"
    if len(hits) > 1 and item.kind == "return" and policy_for(item.code).entry_returned:
        live = [c for c in hits if c.status != "returned"]  # money can only come back from a live debit
        if len(live) == 1:
            return live[0], None
    if len(hits) > 1:
        return None, f"ambiguous: {len(hits)} entries share original trace {item.original_trace} and amount"
    return hits[0], None


def dedupe_key(item: ReceivedItem, matched: Candidate | None) -> str:
    when = matched.effective_date.isoformat() if matched else "unmatched"
    return f"{item.kind}:{item.code}:{item.original_trace}:{item.amount_cents}:{when}"


@dataclass(frozen=True)
class BankChange:
    """The corrected bank details a NOC carries (None: unchanged)."""

    routing: str | None = None
    account: str | None = None
    account_type: str | None = None


def _account_type(tc_text: str) -> str:
    tc = int(tc_text)
    if tc in (22, 27, 23, 28):
        return "checking"
    if tc in (32, 37, 33, 38):
        return "savings"
    raise ValueError("transaction code is not a checking or savings code")


def parse_correction(code: str, data: str) -> BankChange:
    """NACHA Appendix Four corrected-data layouts; raises ValueError (message without the account)."""
    raw = data.ljust(29)
    if code == "C01":
        return BankChange(account=validate_account_number(raw[:17]))
    if code == "C02":
        routing = raw[:9]
        if not is_valid_routing(routing):
            raise ValueError("corrected routing number fails its check digit")
        return BankChange(routing=routing)
    if code == "C03":  # routing 1-9, 3 spaces, account 13-29
        if not is_valid_routing(raw[:9]):
            raise ValueError("corrected routing number fails its check digit")
        return BankChange(routing=raw[:9], account=validate_account_number(raw[12:29]))
    if code == "C05":
        return BankChange(account_type=_account_type(raw[:2].strip()))
    if code == "C06":  # account 1-17, 3 spaces, transaction code 21-22
        return BankChange(account=validate_account_number(raw[:17]), account_type=_account_type(raw[20:22]))
    if code == "C07":  # routing 1-9, account 10-26, transaction code 27-28
        if not is_valid_routing(raw[:9]):
            raise ValueError("corrected routing number fails its check digit")
        return BankChange(routing=raw[:9], account=validate_account_number(raw[9:26]),
                          account_type=_account_type(raw[26:28]))
    if code == "C09":
        return BankChange()
    raise ValueError(f"change code {code} is not applied automatically")


def _non_account_text(code: str, change: BankChange, data: str) -> str | None:
    """What may be stored in clear from a NOC: everything but the account number."""
    if change.account is None:
        return data[:64] or None
    parts = [p for p in (change.routing, change.account_type) if p]
    return " ".join(parts) or None


def reconcile_return_file(session: Session, data: bytes, *, name: str, received_on: date,
                          cipher: AccountCipher | None = None) -> ReconcileResult:
    """Reconcile one file in the session's transaction (the caller commits). See the module docstring."""
    sha = hashlib.sha256(data).hexdigest()
    if session.scalar(select(ReturnFile.id).where(ReturnFile.sha256 == sha)) is not None:
        return ReconcileResult(already_reconciled=True)
    rf = ReturnFile(sha256=sha, name=name)
    session.add(rf)
    session.flush()
    with _collector_paused():
        return _reconcile(session, rf.id, data, received_on, cipher)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a file's ~1,000,000 long-lived objects (items,
    candidates, rows, ledger values) are built: every full collection rescans all of them (1.3 s of
    the 100,000-return benchmark). Reference counting still frees as usual; cycles wait for the end."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _reconcile(session: Session, file_id: int, data: bytes, received_on: date,
               cipher: AccountCipher | None) -> ReconcileResult:
    items, errors = received_items(data)
    result = ReconcileResult(items=len(items), parse_errors=errors)
    if not items:
        return result  # a heartbeat: no returns today
    since = add_banking_days(received_on, -RETURN_WINDOW_BANKING_DAYS)
    candidates = _candidates(session, sorted({i.original_trace for i in items}), since, received_on)
    matches = [match(item, candidates.get(item.original_trace, [])) for item in items]
    keys = [dedupe_key(item, m) for item, (m, _) in zip(items, matches)]
    taken = {k for (k,) in select_in(session, "SELECT dedupe_key FROM ach_returns WHERE status <> 'duplicate'"
                                              " AND dedupe_key IN ({keys})", sorted(set(keys)))}
    _Applier(session, file_id, received_on, result, cipher).run(items, matches, keys, taken)
    return result


class _Applier:
    """Decides every item, then writes each table in bulk."""

    def __init__(self, session: Session, file_id: int, today: date, result: ReconcileResult,
                 cipher: AccountCipher | None):
        self.s, self.file_id, self.today, self.r, self._cipher = session, file_id, today, result, cipher
        self.returns: list[tuple] = []  # ach_returns rows, RETURN_COLUMNS
        self.exceptions: list[tuple[int, str, str]] = []  # (index into returns, kind, detail)
        self.entry_updates: list[dict] = []
        self.invoice_changes: list[tuple[int, str, str, str]] = []
        self.txns: list[posting.Transaction] = []
        self.messages = []
        self.auth: dict[int, str] = {}
        self.touched_entries: set[int] = set()
        self.invoice_status: dict[int, str] = {}
        self.employers: dict[int, Employer] = {}

    def cipher(self) -> AccountCipher:
        if self._cipher is None:
            from paygo.config import load_settings

            self._cipher = AccountCipher(load_settings().account_keys())
        return self._cipher

    def employer(self, employer_id: int) -> Employer:
        if employer_id not in self.employers:
            self.employers[employer_id] = self.s.get(Employer, employer_id)
        return self.employers[employer_id]

    def record(self, item: ReceivedItem, m: Candidate | None, key: str, status: str, **extra) -> int:
        self.returns.append((  # in RETURN_COLUMNS order
            self.file_id, item.kind, m.entry_id if m else None, item.code[:3], item.original_trace, item.amount_cents,
            m.effective_date if m else None, key[:128], status, extra.get("corrected_data"),
            extra.get("corrected_account_ciphertext"), extra.get("corrected_account_last4"),
        ))
        return len(self.returns) - 1

    def exception(self, item: ReceivedItem, m: Candidate | None, key: str, kind: str, detail: str, **extra) -> None:
        idx = self.record(item, m, key, "exception", **extra)
        where = f" (entry {m.entry_id}, invoice {m.invoice_number}, account {'****' + m.account_last4})" if m else ""
        self.exceptions.append((idx, kind, f"{item.kind} {item.code} of original trace {item.original_trace}, "
                                           f"{item.amount_cents} cents{where}: {detail}"))
        self.r.exceptions += 1

    def run(self, items, matches, keys, taken: set[str]) -> None:
        wanted = sorted({mt.employer_id for mt, _ in matches if mt is not None})
        for i in range(0, len(wanted), CHUNK):
            for emp in self.s.scalars(select(Employer).where(Employer.id.in_(wanted[i : i + CHUNK]))):
                self.employers[emp.id] = emp
        for item, (m, why), key in zip(items, matches, keys):
            if key in taken:
                self.record(item, m, key, "duplicate")
                self.r.duplicates += 1
                continue
            taken.add(key)
            if m is not None:
                self.r.masked_accounts.append("****" + m.account_last4)
            if m is None:
                self.exception(item, None, key, f"{item.kind}_{why.split(':')[0]}", why)
            elif item.kind == "noc":
                self.noc(item, m, key)
            else:
                self.ret(item, m, key)
        self.flush()

    # --- returns
    def ret(self, item: ReceivedItem, m: Candidate, key: str) -> None:
        policy = policy_for(item.code)
        if not policy.entry_returned:
            self.exception(item, m, key, policy.exception_kind or "return_advisory",
                           "not a return of money (dishonored, contested or unknown code): review")
            return
        if m.status == "returned" or m.entry_id in self.touched_entries:
            self.exception(item, m, key, "return_of_returned_entry", "the entry was already returned")
            return
        self.touched_entries.add(m.entry_id)
        self.record(item, m, key, "applied")
        self.r.applied += 1
        employer = self.employer(m.employer_id)
        self.entry_updates.append({"id": m.entry_id, "status": "returned",
                                   "returned_at": datetime.now(timezone.utc)})
        if not codes.is_debit(m.transaction_code):
            self.refund_returned(item, m, employer)
            return
        if m.status == "settled":  # a late return: take the money back from the wallet, explicitly
            self.claw_back(item, m)
        self.txns.append(posting.debit_returned(m.invoice_number, m.presentment, employer.fein, m.amount_cents,
                                                item.code, self.today))
        current = self.invoice_status.get(m.invoice_id, m.invoice_status)
        facts = Facts(employer.name, employer.email or "", m.invoice_number, m.amount_cents, m.account_last4,
                      m.presentment, item.code)
        if policy.retry and may_retry(item.code, m.presentment, self.original_date(m), self.today):
            self.set_invoice(m.invoice_id, current, "scheduled",
                             f"{item.code} on presentment {m.presentment}: re-present as {m.presentment + 1}")
            self.r.retries_scheduled += 1
            return
        self.set_invoice(m.invoice_id, current, policy.invoice_status or current,
                         f"{item.code} on presentment {m.presentment}")
        self.r.failures += 1
        if policy.authorization_status:
            self.auth[m.employer_id] = policy.authorization_status
        if policy.notification:
            self.messages.append(compose(policy.notification, facts,
                                         f"{policy.notification}:{m.invoice_number}:{m.presentment}"))
        if policy.exception_kind:
            idx = len(self.returns) - 1
            self.exceptions.append((idx, policy.exception_kind,
                                    f"{item.code} on invoice {m.invoice_number} presentment {m.presentment}, account "
                                    f"****{m.account_last4}: {codes.RETURN_CODES.get(item.code, ('?',))[0]}"))
            self.r.exceptions += 1

    def refund_returned(self, item: ReceivedItem, m: Candidate, employer: Employer) -> None:
        """A refund credit (tc 22/32) came back: the employer is owed it again, by other means or
        to new bank details; never re-sent automatically (ops decide, from the exception queue)."""
        self.txns.append(posting.refund_returned(m.invoice_number, m.presentment, employer.fein, m.amount_cents,
                                                 item.code, self.today, settled=m.status == "settled"))
        current = self.invoice_status.get(m.invoice_id, m.invoice_status)
        self.set_invoice(m.invoice_id, current, "failed", f"refund credit returned {item.code}")
        self.r.failures += 1
        idx = len(self.returns) - 1
        self.exceptions.append((idx, "refund_returned",
                                f"{item.code} on refund credit {m.invoice_number} presentment {m.presentment}, "
                                f"account ****{m.account_last4}: the employer is owed {m.amount_cents} cents again"))
        self.r.exceptions += 1

    def original_date(self, m: Candidate) -> date:
        if m.presentment == 1:
            return m.effective_date
        first = self.s.scalar(select(func.min(AchEntry.effective_date)).where(AchEntry.invoice_id == m.invoice_id))
        return first or m.effective_date

    def set_invoice(self, invoice_id: int, current: str, to: str, reason: str) -> None:
        self.invoice_status[invoice_id] = to
        self.invoice_changes.append((invoice_id, current, to, reason))

    def claw_back(self, item: ReceivedItem, m: Candidate) -> None:
        settled = [repo.load(self.s, f"debit_settled:{m.invoice_number}:{m.presentment}")]
        try:
            settled.append(repo.load(self.s, premium_to_carrier_key(m.invoice_number, m.presentment)))
        except KeyError:
            pass  # a fee-only invoice credited no wallet
        self.txns.append(posting.clawback(m.invoice_number, m.presentment, settled, item.code, self.today))
        self.r.clawbacks += 1

    # --- notifications of change
    def noc(self, item: ReceivedItem, m: Candidate, key: str) -> None:
        if item.code not in APPLIED_NOC_CODES:
            self.exception(item, m, key, "noc_refused", f"change code {item.code} is not applied automatically")
            return
        try:
            change = parse_correction(item.code, item.corrected_data)
        except (ValueError, AccountNumberError) as exc:
            self.exception(item, m, key, "noc_invalid", f"corrected data refused: {exc}")
            return
        employer = self.employer(m.employer_id)
        extra: dict = {"corrected_data": _non_account_text(item.code, change, item.corrected_data)}
        if change.account is not None:
            extra["corrected_account_ciphertext"] = self.cipher().encrypt(change.account)
            extra["corrected_account_last4"] = last4(change.account)
        if change.routing or change.account or change.account_type:
            if employer.bank_routing is None and change.account is None:
                self.exception(item, m, key, "noc_invalid", "employer has no bank details to correct")
                return
            if change.routing:
                employer.bank_routing = change.routing
            if change.account:
                employer.bank_account_ciphertext = extra["corrected_account_ciphertext"]
                employer.bank_account_last4 = extra["corrected_account_last4"]
            if change.account_type:
                employer.bank_account_type = change.account_type
            employer.bank_details_version = (employer.bank_details_version or 0) + 1
        self.record(item, m, key, "applied", **extra)
        self.r.applied += 1
        self.r.nocs_applied += 1

    # --- bulk writes
    def flush(self) -> None:
        s = self.s
        s.flush()  # employer changes from NOCs
        conn = s.connection()
        now = datetime.now(timezone.utc)
        if self.returns:  # no RETURNING: ordered RETURNING degrades to one statement per row on SQLite
            raw_insert(s, AchReturn.__table__, RETURN_COLUMNS + ("received_at",), [r + (now,) for r in self.returns])
        if self.exceptions:  # an exception row's dedupe key is unique among non-duplicates
            keys = sorted({self.returns[i][DEDUPE_KEY] for i, _, _ in self.exceptions})
            ids = {k: i for i, k in select_in(
                s, "SELECT id, dedupe_key FROM ach_returns WHERE return_file_id = ? AND status <> 'duplicate'"
                   " AND dedupe_key IN ({keys})", keys, (self.file_id,))}
            conn.execute(ExceptionItem.__table__.insert(), [
                {"kind": k, "subject": f"ach_returns:{ids[self.returns[i][DEDUPE_KEY]]}", "detail": d,
                 "created_at": now}
                for i, k, d in self.exceptions])
        update_in(s, AchEntry.__table__, [u["id"] for u in self.entry_updates],
                  {"status": "returned", "returned_at": now})
        post_many(s, [t for t in self.txns if t.kind == "clawback"])
        post_many(s, [t for t in self.txns if t.kind != "clawback"])
        self.write_invoice_changes(now)
        if self.auth:
            update_by_id(s, Employer, [{"id": e, "authorization_status": a} for e, a in self.auth.items()])
        enqueue(s, self.messages)
        s.expire_all()  # bulk updates bypassed the identity map

    def write_invoice_changes(self, now: datetime) -> None:
        """Each invoice to its last status, with a history row per change (as `set_invoice_statuses`);
        one UPDATE per status, and the re-presented ones (`scheduled`, not noticed yet) also lose the
        debit the last notice announced, in the same statement (one pass over the table's pages)."""
        changes = [c for c in self.invoice_changes if c[1] != c[2]]
        by_status: dict[str, list[int]] = defaultdict(list)
        for invoice_id, to in self.invoice_status.items():
            by_status[to].append(invoice_id)
        for to, ids in sorted(by_status.items()):
            values: dict = {"status": to}
            if to == "scheduled":
                values.update(debit_date=None, debit_presentment=None, debit_bank_details_version=None)
            update_in(self.s, Invoice.__table__, ids, values)
        raw_insert(self.s, InvoiceStatusChange.__table__,
                   ("invoice_id", "from_status", "to_status", "changed_by", "reason", "changed_at"),
                   [(i, fr, to, CHANGED_BY, why, now) for i, fr, to, why in changes])
