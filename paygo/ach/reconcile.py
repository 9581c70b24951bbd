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
"no returns today". A file that fails any structural or control check (`paygo.nacha.check`, the
verdict `paygo ach inspect` gives: cut short, controls that disagree, a record of the wrong length,
not NACHA at all, a gzip archive that does not open) is refused whole: nothing applied, not recorded
in return_files (a corrected re-delivery applies normally), one `return_file_refused` exception item
per distinct file listing every violation. A return matches only an entry of its direction: the
return of a debit (tc 26/36) a debit (27/37), of a credit (21/31) a credit (22/32).
Work is done in bulk (candidates loaded by trace in chunks), not per item.
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
from functools import cache
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from paygo.ach.actions import decide_return, policy_for
from paygo.ach.refunds import withdraw_refunds
from paygo.ach.settle import premium_to_carrier_key, update_by_id
from paygo.bank_details import change_bank_details
from paygo.calendar import add_banking_days
from paygo.db.bulk import bind_values, raw_insert, select_in, update_in
from paygo.db.crypto import AccountCipher, AccountNumberError, last4, validate_account_number
from paygo.db.models import AchEntry, AchReturn, Employer, ExceptionItem, ReturnFile
from paygo.invoicing.status import StatusChange, record_many
from paygo.states import transition
from paygo.ledger import posting, repo
from paygo.ledger.repo import post_many
from paygo.nacha import codes
from paygo.nacha.check import Checked, check_ach, describe
from paygo.nacha.fields import is_valid_routing
from paygo.nacha.read import STRICT
from paygo.nacha.records import CORRECTED_DATA_LENGTH, parse_corrected_data
from paygo.notifications.contacts import carrier_contacts_for_invoices
from paygo.notifications.messages import Facts, carrier_copy, compose
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
    warnings: list[str] = field(default_factory=list)  # deviations the bank's tolerance profile allowed


@dataclass
class RefusedFile(ReconcileResult):
    """A file refused whole: nothing applied, not recorded in return_files, one exception item."""

    exception_id: int = 0
    refused_before: bool = False  # the same bytes were refused already (exception_id is that item)
    not_nacha: bool = False


REFUSED_KIND = "return_file_refused"
LISTED_VIOLATIONS = 200  # in the exception's detail; `paygo ach inspect FILE` lists them all


def _refuse(session: Session, sha: str, name: str, checked: Checked) -> RefusedFile:
    """One file-level exception item per distinct refused file (the same bytes again add none)."""
    violations = [describe(d) for d in checked.errors]
    result = RefusedFile(parse_errors=violations, not_nacha=checked.not_nacha)
    subject = f"return_file:{sha}"
    earlier = session.scalar(select(ExceptionItem.id).where(ExceptionItem.kind == REFUSED_KIND,
                                                            ExceptionItem.subject == subject)
                             .order_by(ExceptionItem.id).limit(1))
    if earlier is not None:
        result.exception_id, result.refused_before = earlier, True
        return result
    what = "not a NACHA file" if checked.not_nacha else f"{len(violations)} violation(s)"
    listed = violations[:LISTED_VIOLATIONS]
    if len(violations) > LISTED_VIOLATIONS:
        listed.append(f"... and {len(violations) - LISTED_VIOLATIONS} more (paygo ach inspect lists them all)")
    row = ExceptionItem(kind=REFUSED_KIND, subject=subject,
                        detail=f"return file {name} refused whole, nothing applied ({what}); the bank must "
                               f"re-deliver it:\n" + "\n".join(listed))
    session.add(row)
    session.flush()
    result.exception_id, result.exceptions = row.id, 1
    return result


class Candidate(NamedTuple):
    """An entry we sent that a received item may name (a tuple: ~100,000 are built per file)."""

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


_policy = cache(policy_for)  # the pure table row of a code, looked up ~4 times per item


DEBIT_RETURN_CODES = frozenset({codes.CHECKING_RETURN_DEBIT, codes.SAVINGS_RETURN_DEBIT, codes.GL_RETURN_DEBIT,
                                codes.LOAN_RETURN_DEBIT})  # the automated return of a debit (27, 37, ...)
CREDIT_RETURN_CODES = frozenset({codes.CHECKING_RETURN_CREDIT, codes.SAVINGS_RETURN_CREDIT, codes.GL_RETURN_CREDIT,
                                 codes.LOAN_RETURN_CREDIT})  # ... of a credit (22, 32, ...)


def _same_direction(item: ReceivedItem, c: Candidate) -> bool:
    """A return of money of a debit matches only a debit we sent, of a credit only a credit. Matched on
    trace, amount and date alone: a return entry whose code is not an automated-return code (moov's
    issue1620_return.ach has 22), a NOC (cor-example.ach's tc 21 answers a debit), and an advisory
    (dishonored, contested, private code: it moves no money, it only names the entry for ops)."""
    if item.kind != "return" or not _policy(item.code).entry_returned:
        return True
    if item.transaction_code in DEBIT_RETURN_CODES:
        return codes.is_debit(c.transaction_code)
    if item.transaction_code in CREDIT_RETURN_CODES:
        return not codes.is_debit(c.transaction_code)
    return True


def match(item: ReceivedItem, candidates: list[Candidate]) -> tuple[Candidate | None, str | None]:
    """Exactly one candidate on trace + amount (returns) + direction within the window, else the reason why not."""
    hits = [c for c in candidates if item.kind == "noc" or c.amount_cents == item.amount_cents]
    if not hits:
        return None, "unmatched: no entry with this original trace, amount and date"
    fitting = [c for c in hits if _same_direction(item, c)]
    if not fitting:
        returned = "a debit" if item.transaction_code in DEBIT_RETURN_CODES else "a credit"
        return None, (f"unmatched: transaction code {item.transaction_code} returns {returned}; no entry of that "
                      f"direction has this original trace, amount and date")
    hits = fitting
    if len(hits) > 1 and item.kind == "return" and _policy(item.code).entry_returned:
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
    if not (tc_text.isascii() and tc_text.isdigit()):
        raise ValueError("corrected transaction code is not two digits")
    tc = int(tc_text)
    if tc in (22, 27, 23, 28):
        return "checking"
    if tc in (32, 37, 33, 38):
        return "savings"
    raise ValueError("transaction code is not a checking or savings code")


# ABA routing numbers begin 00-12 (banks), 21-32 (thrifts), 61-72 (electronic), 80 (traveler's checks).
ROUTING_PREFIXES = frozenset([*range(0, 13), *range(21, 33), *range(61, 73), 80])


def _corrected_routing(text: str) -> str:
    if not is_valid_routing(text):
        raise ValueError("corrected routing number fails its check digit")
    if text == "000000000" or int(text[:2]) not in ROUTING_PREFIXES:
        raise ValueError("corrected routing number is not a routing number (zeros or an unused prefix)")
    return text


def _corrected_account(text: str) -> str:
    """4 to 17 letters, digits or dashes once trimmed, not all zeros (messages never echo it)."""
    account = validate_account_number(text)
    if not account.strip("0-"):
        raise AccountNumberError("corrected account number is all zeros")
    return account


FIELD_WORDS = {"routing": "routing number", "account": "account number", "transaction_code": "transaction code"}


def _blank(text: str, after: str) -> None:
    if text.strip():
        raise ValueError(f"corrected data runs on past the {after}")


def parse_correction(code: str, data: str) -> BankChange:
    """NACHA Appendix Four corrected-data layouts; raises ValueError (message without the account).

    Each layout is read whole: what lies outside its fields must be blank (29 digits under a C01 are
    not an account of 17 with 12 to spare), an account is 4-17 letters, digits or dashes and not all
    zeros, a routing number has its check digit and a prefix the ABA assigns."""
    if len(data) > CORRECTED_DATA_LENGTH:
        raise ValueError(f"corrected data is longer than its {CORRECTED_DATA_LENGTH} characters")
    if code == "C09":
        return BankChange()
    layout = parse_corrected_data(code, data)  # paygo.nacha.records: the layouts of Appendix Four
    if layout is None:
        raise ValueError(f"change code {code} is not applied automatically")
    names = [name for name, _, _, _ in layout.LAYOUT]
    for before, name in zip(names, names[1:]):
        if name.startswith("reserved"):  # what lies between or after the fields must be blank
            _blank(getattr(layout, name), FIELD_WORDS[before])
    return BankChange(
        routing=_corrected_routing(layout.routing) if "routing" in names else None,
        account=_corrected_account(layout.account) if "account" in names else None,
        account_type=_account_type(layout.transaction_code) if "transaction_code" in names else None)


def _non_account_text(code: str, change: BankChange, data: str) -> str | None:
    """What may be stored in clear from a NOC: everything but the account number."""
    if change.account is None:
        return data[:64] or None
    parts = [p for p in (change.routing, change.account_type) if p]
    return " ".join(parts) or None


def reconcile_return_file(session: Session, data: bytes, *, name: str, received_on: date,
                          cipher: AccountCipher | None = None, tolerances=STRICT) -> ReconcileResult:
    """Reconcile one file in the session's transaction (the caller commits). See the module docstring."""
    sha = hashlib.sha256(data).hexdigest()
    if session.scalar(select(ReturnFile.id).where(ReturnFile.sha256 == sha)) is not None:
        return ReconcileResult(already_reconciled=True)
    with _collector_paused():
        # the verdict `paygo ach inspect` gives under the bank's tolerance profile, and the items
        checked = check_ach(data, item=ReceivedItem, tolerances=tolerances)
        if not checked.valid:  # refused whole and not recorded: a corrected re-delivery applies normally
            return _refuse(session, sha, name, checked)
        rf = ReturnFile(sha256=sha, name=name)
        session.add(rf)
        session.flush()
        result = _reconcile(session, rf.id, checked.items, received_on, cipher)
        result.warnings = [describe(d) for d in checked.warnings]  # tolerated: reported, never silent
        return result


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


def _reconcile(session: Session, file_id: int, items: list[ReceivedItem], received_on: date,
               cipher: AccountCipher | None) -> ReconcileResult:
    result = ReconcileResult(items=len(items))
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
        self.invoice_changes: list[StatusChange] = []
        self.txns: list[posting.Transaction] = []
        self.messages = []
        self.carrier_told: list[tuple[int, int]] = []  # (index into messages of a notice, its invoice id)
        self.auth: dict[int, str] = {}
        self.touched_entries: set[int] = set()
        self.debits_returned: set[int] = set()  # invoices whose debit came back (their runs' refunds wait)
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
        self.payouts, self.payouts_returned = self.payout_candidates(items, matches), set()
        self.first_presented = self.first_presentments(items, matches)
        for item, (m, why), key in zip(items, matches, keys):
            if key in taken:
                self.record(item, m, key, "duplicate")
                self.r.duplicates += 1
                continue
            taken.add(key)
            if m is not None:
                self.r.masked_accounts.append("****" + m.account_last4)
            if m is None and (p := self.payout_of(item)) is not None:
                self.payout_returned(item, p, key)
            elif m is None:
                self.exception(item, None, key, f"{item.kind}_{why.split(':')[0]}", why)
            elif item.kind == "noc":
                self.noc(item, m, key)
            else:
                self.ret(item, m, key)
        self.flush()

    # --- returns
    def ret(self, item: ReceivedItem, m: Candidate, key: str) -> None:
        policy = _policy(item.code)
        current = self.invoice_status.get(m.invoice_id, m.invoice_status)
        is_debit = codes.is_debit(m.transaction_code)
        decision = decide_return(
            item.code, entry_status=m.status, entry_is_debit=is_debit, invoice_status=current,
            presentment=m.presentment, today=self.today, already_returned=m.entry_id in self.touched_entries,
            original_effective=self.original_date(m) if is_debit and policy.retry else m.effective_date)
        if decision.exception_kind:
            self.exception(item, m, key, decision.exception_kind, decision.reason)
            return
        self.touched_entries.add(m.entry_id)
        self.record(item, m, key, "applied")
        self.r.applied += 1
        employer = self.employer(m.employer_id)
        self.entry_updates.append({"id": m.entry_id})
        if decision.refund:
            self.refund_returned(item, m, employer)
            return
        if decision.clawback:  # a late return: take the money back from the wallet, explicitly
            self.claw_back(item, m)
        self.txns.append(posting.debit_returned(m.invoice_number, m.presentment, employer.fein, m.amount_cents,
                                                item.code, self.today))
        self.debits_returned.add(m.invoice_id)
        if decision.event == "returned_for_retry":
            self.set_invoice(m.invoice_id, current, "returned_for_retry",
                             f"{item.code} on presentment {m.presentment}: re-present as {m.presentment + 1}")
            self.r.retries_scheduled += 1
            return
        self.set_invoice(m.invoice_id, current, "failed", f"{item.code} on presentment {m.presentment}")
        self.r.failures += 1
        if policy.authorization_status:
            self.auth[m.employer_id] = policy.authorization_status
        if policy.notification:
            facts = Facts(employer.name, employer.email or "", m.invoice_number, m.amount_cents, m.account_last4,
                          m.presentment, item.code)
            self.messages.append(compose(policy.notification, facts,
                                         f"{policy.notification}:{m.invoice_number}:{m.presentment}"))
            self.carrier_told.append((len(self.messages) - 1, m.invoice_id))  # issue 12: the carrier is told too
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
        """The effective date of the invoice's first presentment (the retry window counts from it)."""
        if m.presentment == 1:
            return m.effective_date
        return self.first_presented.get(m.invoice_id) or m.effective_date

    def first_presentments(self, items, matches) -> dict[int, date]:
        """The first effective date of each invoice a return of a later presentment names, in one
        keyed query per CHUNK invoices instead of one query per return."""
        wanted = sorted({m.invoice_id for i, (m, _) in zip(items, matches)
                         if m is not None and m.presentment != 1 and i.kind == "return"})
        return dict(select_in(self.s, "SELECT invoice_id, MIN(effective_date) FROM ach_entries"
                                      " WHERE invoice_id IN ({keys}) GROUP BY invoice_id", wanted,
                              processors=(None, AchEntry.__table__.c.effective_date.type)))

    def set_invoice(self, invoice_id: int, current: str, event: str, reason: str) -> None:
        self.invoice_status[invoice_id] = transition(current, event)  # refuses what the lifecycle forbids
        self.invoice_changes.append(StatusChange(invoice_id, current, event, reason))

    def claw_back(self, item: ReceivedItem, m: Candidate) -> None:
        settled = [repo.load(self.s, f"debit_settled:{m.invoice_number}:{m.presentment}")]
        try:
            settled.append(repo.load(self.s, premium_to_carrier_key(m.invoice_number, m.presentment)))
        except KeyError:
            pass  # a fee-only invoice credited no wallet
        self.txns.append(posting.clawback(m.invoice_number, m.presentment, settled, item.code, self.today))
        self.r.clawbacks += 1

    # --- returns of carrier payout credits (issue 12, paygo.payouts.returns): matched where nothing else did
    def payout_candidates(self, items, matches) -> dict:
        from paygo.payouts.returns import payout_candidates

        traces = [i.original_trace for i, (m, _) in zip(items, matches)
                  if m is None and i.kind == "return" and _policy(i.code).entry_returned]
        if not traces:
            return {}
        return payout_candidates(self.s, traces, add_banking_days(self.today, -RETURN_WINDOW_BANKING_DAYS), self.today)

    def payout_of(self, item: ReceivedItem):
        from paygo.payouts.returns import match_payout

        if item.kind != "return" or not _policy(item.code).entry_returned:
            return None
        live = [c for c in self.payouts.get(item.original_trace, []) if c.payout_id not in self.payouts_returned]
        return match_payout(item.amount_cents, item.transaction_code, live)

    def payout_returned(self, item: ReceivedItem, p, key: str) -> None:
        """The money is back in the carrier's wallet; the return row waits in the exception queue for
        ops to get new bank details (an applied return row names a debit entry; this names a payout)."""
        from paygo.payouts.returns import apply_payout_return, exception_detail

        self.payouts_returned.add(p.payout_id)
        self.txns.append(apply_payout_return(self.s, p, item.code, self.today))
        self.r.masked_accounts.append("****" + p.account_last4)
        self.exception(item, None, key, "payout_returned", exception_detail(p, item.code))

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
            change_bank_details(self.s, employer, source="noc", on=self.today, routing=change.routing or None,
                                account_ciphertext=extra.get("corrected_account_ciphertext"),
                                account_last4=extra.get("corrected_account_last4"),
                                account_type=change.account_type or None)
        self.record(item, m, key, "applied", **extra)
        self.r.applied += 1
        self.r.nocs_applied += 1

    def with_carrier_copies(self) -> list:
        """The messages with each failure notice followed by its carrier's copy (issue 12), the
        carriers' contacts loaded once for the file instead of one query per notice."""
        if not self.carrier_told:
            return self.messages
        contacts = carrier_contacts_for_invoices(self.s, [invoice_id for _, invoice_id in self.carrier_told])
        copies = {k: contacts[invoice_id] for k, invoice_id in self.carrier_told if invoice_id in contacts}
        out = []
        for k, message in enumerate(self.messages):
            out.append(message)
            if (carrier := copies.get(k)) is not None:
                out.append(carrier_copy(message, carrier.name, carrier.address, carrier.field))
        return out

    # --- bulk writes
    def flush(self) -> None:
        s = self.s
        s.flush()  # employer changes from NOCs
        now = datetime.now(timezone.utc)
        if self.returns:  # no RETURNING: ordered RETURNING degrades to one statement per row on SQLite
            raw_insert(s, AchReturn.__table__, RETURN_COLUMNS + ("received_at",), [r + (now,) for r in self.returns])
        if self.exceptions:  # an exception row's dedupe key is unique among non-duplicates
            keys = sorted({self.returns[i][DEDUPE_KEY] for i, _, _ in self.exceptions})
            ids = {k: i for i, k in select_in(
                s, "SELECT id, dedupe_key FROM ach_returns WHERE return_file_id = ? AND status <> 'duplicate'"
                   " AND dedupe_key IN ({keys})", keys, (self.file_id,))}
            raw_insert(s, ExceptionItem.__table__, ("kind", "subject", "detail", "created_at"),
                       [(k, f"ach_returns:{ids[self.returns[i][DEDUPE_KEY]]}", d, now) for i, k, d in self.exceptions])
        update_in(s, AchEntry.__table__, [u["id"] for u in self.entry_updates],
                  {"status": "returned", "returned_at": now, "returned_on": self.today})
        post_many(s, [t for t in self.txns if t.kind == "clawback"])
        post_many(s, [t for t in self.txns if t.kind != "clawback"])
        record_many(s, self.invoice_changes, on=self.today, by=CHANGED_BY)
        s.expire_all()  # the bulk status update bypassed the identity map
        withdraw_refunds(s, sorted(self.debits_returned), on=self.today, by=CHANGED_BY)
        if self.auth:
            update_by_id(s, Employer, [{"id": e, "authorization_status": a} for e, a in self.auth.items()])
        enqueue(s, self.with_carrier_copies())
        s.expire_all()  # bulk updates bypassed the identity map
