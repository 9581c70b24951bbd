"""A sandbox bank for demos and tests: test account numbers that return, retry, correct or pay.

Rule (like 1099Policy's test cards; NACHA return and NOC formats, Appendix Three/Four): the sandbox
reads our debit files from `<root>/inbound` (the DirectoryBank layout), answers each debit
according to its account number (docs/sandbox-bank.md) and writes NACHA return / NOC files, built
with paygo.nacha, into `<root>/returns`. Returns come back like real ones: R01/R03 and the C01 NOC
one banking day after the entry's effective date (before settlement, which waits two), the R10
five banking days after it (after settlement: a late return). What the sandbox has seen and
what it still owes is kept in `<root>/sandbox-state.json`, written mode 0600 because it holds full
account numbers, so `process(today)` is idempotent: calling it again with the same date writes
nothing new.
Test accounts (dfi account number, trimmed):
  9000000001  R01 on the first presentment of an amount, pays on the retry
  9000000002  R01 on every presentment (three presentments -> the invoice fails)
  9000000003  R03 No Account
  9000000010  pays, then R10 (unauthorized) five banking days after the effective date
  9000000005  pays, and sends a C01 NOC: the new account number is 9000000055 (which pays)
  anything else pays.
Worked example: a debit of 2,865 cents to 9000000001 effective Tue 2025-03-18 -> process(Wed
2025-03-19) writes RET-20250319-001.ach with one R01 addenda; the re-presentment pays.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from paygo.calendar import add_banking_days
from paygo.nacha import codes
from paygo.nacha.build import BatchSpec, EntrySpec, FileSpec, build_control, build_file
from paygo.nacha.fields import alpha, check_digit, numeric
from paygo.nacha.read import read_ach
from paygo.nacha.records import AchFile, Addenda98, Addenda99, Batch, EntryDetail, FileControl
from paygo.nacha.validate import entry_totals, record_count
from paygo.nacha.write import write_ach

R01_THEN_PAYS = "9000000001"
R01_ALWAYS = "9000000002"
R03_NO_ACCOUNT = "9000000003"
R10_AFTER_SETTLEMENT = "9000000010"
C01_CHANGE = "9000000005"
C01_NEW_ACCOUNT = "9000000055"
SANDBOX_ROUTING = "091000019"  # the sandbox bank's own routing (its trace prefix)
STATE_FILE = "sandbox-state.json"


@dataclass(frozen=True)
class Seen:
    """One debit the sandbox received."""

    trace: str
    amount_cents: int
    account: str
    transaction_code: int
    rdfi: str  # the entry's RDFI (8 digits)
    name: str
    effective: date


def answer(account: str, presentment_of_amount: int) -> list[tuple[str, int]]:
    """(code, banking days after the effective date) the sandbox sends for a debit; [] = it pays."""
    if account == R01_THEN_PAYS:
        return [("R01", 1)] if presentment_of_amount == 1 else []
    if account == R01_ALWAYS:
        return [("R01", 1)]
    if account == R03_NO_ACCOUNT:
        return [("R03", 1)]
    if account == R10_AFTER_SETTLEMENT:
        return [("R10", 5)]
    if account == C01_CHANGE:
        return [("C01", 1)]
    return []


class SandboxBank:
    def __init__(self, root: Path, *, our_routing: str = "011000015"):
        self.root = Path(root)
        self.inbound = self.root / "inbound"
        self.returns = self.root / "returns"
        self.our_routing = our_routing
        for folder in (self.inbound, self.returns, self.returns / "archive"):
            folder.mkdir(parents=True, exist_ok=True)
        self.state_path = self.root / STATE_FILE

    def _load(self) -> dict:
        if self.state_path.exists():
            return json.loads(self.state_path.read_text())
        return {"seen_files": [], "presentments": {}, "pending": [], "files_written": 0}

    def _save(self, state: dict) -> None:
        """Mode 0600: the state holds full account numbers (the bank's side, but still our disk)."""
        temp = self.state_path.with_suffix(".tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(json.dumps(state, indent=1, sort_keys=True))
        os.chmod(temp, 0o600)  # a temp file left by an older version may have a wider mode
        temp.replace(self.state_path)  # atomic: a crash leaves the old or the new state

    def _read_inbound(self, state: dict) -> None:
        for path in sorted(p for p in self.inbound.iterdir() if p.is_file() and not p.name.startswith(".")):
            if path.name in state["seen_files"]:
                continue
            state["seen_files"].append(path.name)
            for batch in read_ach(path.read_bytes()).file.batches:
                effective = datetime.strptime(batch.header.effective_entry_date, "%y%m%d").date()
                for e in batch.entries:
                    if e.transaction_code not in (codes.CHECKING_DEBIT, codes.SAVINGS_DEBIT):
                        continue
                    account = e.dfi_account_number.strip()
                    key = f"{account}:{e.amount_cents}"
                    state["presentments"][key] = n = state["presentments"].get(key, 0) + 1
                    for code, days in answer(account, n):
                        state["pending"].append({
                            "code": code, "due": add_banking_days(effective, days).isoformat(),
                            "trace": e.trace_number, "amount": e.amount_cents, "account": account,
                            "tc": e.transaction_code, "rdfi": e.rdfi_identification, "name": e.individual_name,
                            "effective": effective.isoformat(), "written": False,
                        })

    def process(self, today: date) -> list[str]:
        """Read new debit files, write the return/NOC files now due; the names written."""
        state = self._load()
        self._read_inbound(state)
        due = [p for p in state["pending"] if not p["written"] and date.fromisoformat(p["due"]) <= today]
        written: list[str] = []
        if due:
            state["files_written"] += 1
            n = state["files_written"]
            name = f"RET-{today:%Y%m%d}-{n:03d}.ach"
            data = self.return_file(due, today, n)
            target = self.returns / name
            if not target.exists():
                temp = self.returns / f".{name}.part"
                temp.write_bytes(data)
                temp.replace(target)
            for p in due:
                p["written"] = True
            written.append(name)
        self._save(state)
        return written

    def return_file(self, due: list[dict], today: date, n: int) -> bytes:
        """A NACHA file: a return batch (addenda 99) and/or a COR batch (addenda 98)."""
        groups = [(sec, [p for p in due if (p["code"].startswith("C")) == (sec == codes.COR)])
                  for sec in (codes.CCD, codes.COR)]
        groups = [(sec, ps) for sec, ps in groups if ps]
        spec = FileSpec(immediate_destination=self.our_routing, immediate_destination_name="PAYGO",
                        immediate_origin=" " + SANDBOX_ROUTING, immediate_origin_name="PAYGO SANDBOX BANK",
                        odfi_routing=SANDBOX_ROUTING, created=datetime(today.year, today.month, today.day),
                        file_id_modifier="ABCDEFGHIJKLMNOPQRSTUVWXYZ"[(n - 1) % 26])
        skeleton = build_file(spec, [  # placeholder entries of the batch's return codes: its service class
            BatchSpec("SANDBOX RETURNS", "9091000019", "NOC" if sec == codes.COR else "RETURN", today,
                      [EntrySpec(tc, SANDBOX_ROUTING, "0000", 1) for tc in sorted({_return_tc(p) for p in ps})],
                      sec_code=sec)
            for sec, ps in groups
        ])
        sequence = 0
        batches = []
        for (sec, pending), shell in zip(groups, skeleton.batches):
            entries = []
            for p in pending:
                sequence += 1
                entries.append(self._entry(p, SANDBOX_ROUTING[:8] + numeric(sequence, 7)))
            entries_t = tuple(entries)
            batches.append(Batch(shell.header, entries_t, build_control(shell.header, entries_t)))
        draft = AchFile(skeleton.header, tuple(batches), None)
        t = entry_totals(draft.entries)
        control = FileControl("9", numeric(len(batches), 6), numeric(-(-record_count(draft) // 10), 6),
                              numeric(t.entry_addenda_count, 8), numeric(t.entry_hash, 10),
                              numeric(t.total_debit_cents, 12), numeric(t.total_credit_cents, 12), " " * 39)
        return write_ach(AchFile(skeleton.header, tuple(batches), control))

    def _entry(self, p: dict, trace: str) -> EntryDetail:
        odfi8 = p["trace"][:8]  # a return goes back to the ODFI that sent the original
        tc = _return_tc(p)
        if p["code"].startswith("C"):
            addenda = Addenda98("7", "98", p["code"], p["trace"], " " * 6, p["rdfi"], alpha(p.get("corrected", C01_NEW_ACCOUNT), 29),
                                " " * 15, trace)
            amount = 0
        else:
            addenda = Addenda99("7", "99", p["code"], p["trace"], " " * 6, p["rdfi"], " " * 44, trace)
            amount = p["amount"]
        return EntryDetail("6", numeric(tc, 2), odfi8, str(check_digit(odfi8)), alpha(p["account"], 17),
                           numeric(amount, 10), " " * 15, alpha(p["name"].strip()[:22], 22), "  ", "1", trace,
                           (addenda,))


def _return_tc(p: dict) -> int:
    """The return / NOC transaction code of an original: 27 -> 26, 37 -> 36, 22 -> 21, 32 -> 31."""
    return {codes.CHECKING_DEBIT: codes.CHECKING_RETURN_DEBIT, codes.SAVINGS_DEBIT: codes.SAVINGS_RETURN_DEBIT,
            codes.CHECKING_CREDIT: codes.CHECKING_RETURN_CREDIT,
            codes.SAVINGS_CREDIT: codes.SAVINGS_RETURN_CREDIT}.get(p["tc"], codes.SAVINGS_RETURN_DEBIT)
