"""Pins the sandbox bank's documented test accounts (docs/sandbox-bank.md) end to end: our debit file
lands in <root>/inbound, the sandbox writes NACHA return/NOC files into <root>/returns, and reconciling
them does what each account promises; process(today) is idempotent; its state file (full account
numbers) is mode 0600."""

import stat
from datetime import date, datetime

from sqlalchemy import select

from paygo.ach.bank import DirectoryBank
from paygo.ach.reconcile import reconcile_return_file
from paygo.ach.sandbox_bank import (
    C01_CHANGE,
    C01_NEW_ACCOUNT,
    R01_ALWAYS,
    R01_THEN_PAYS,
    R03_NO_ACCOUNT,
    R10_AFTER_SETTLEMENT,
    SandboxBank,
)
from paygo.ach.settle import settle
from paygo.db import models as m
from paygo.nacha.build import BatchSpec, EntrySpec, FileSpec, build_file
from paygo.nacha.read import read_ach
from paygo.nacha.write import write_ach
from returns_factory import CIPHER, make_world, reload

ACCOUNTS = {R01_THEN_PAYS: "111111111", R01_ALWAYS: "222222222", R03_NO_ACCOUNT: "333333333",
            R10_AFTER_SETTLEMENT: "444444444", C01_CHANGE: "555555555", "1234567890": "666666666"}


def originate(bank, s, sends, effective: date, n: int):
    """Write one debit file for [(world, invoice, presentment)] and record its entries."""
    spec = FileSpec("011000015", "PAYGO SANDBOX BANK", "1234567890", "PAYGO BILLING", "011000015",
                    datetime(effective.year, effective.month, effective.day), "ABCDEFG"[n])
    specs = [EntrySpec(27, w.employer.bank_routing, CIPHER.decrypt(w.employer.bank_account_ciphertext),
                       inv.total_cents, individual_name="Bay Bakery") for w, inv, _ in sends]
    file = build_file(spec, [BatchSpec("PAYGO PREMIUM", "1234567890", "PREMIUM", effective, specs)])
    bank.upload(f"PAYGO-{effective:%Y%m%d}-{n}.ach", write_ach(file))
    for (w, inv, presentment), e in zip(sends, file.entries):
        w.send(inv, effective=effective, trace=e.trace_number, presentment=presentment)
    s.commit()


def reconcile_all(bank, s, today):
    results = []
    for name in bank.list_returns():
        results.append(reconcile_return_file(s, bank.fetch_return(name), name=name, received_on=today, cipher=CIPHER))
        bank.archive_return(name)
    s.commit()
    return results


def test_test_accounts_end_to_end(db_session, tmp_path):
    s = db_session
    bank, sandbox = DirectoryBank(tmp_path), SandboxBank(tmp_path)
    worlds = {acct: make_world(s, account=acct, fein=fein) for acct, fein in ACCOUNTS.items()}
    invoices = {acct: w.invoice(10000 + i) for i, (acct, w) in enumerate(worlds.items())}
    originate(bank, s, [(worlds[a], invoices[a], 1) for a in ACCOUNTS], date(2025, 3, 18), 1)
    written = sandbox.process(date(2025, 3, 19))  # Tue + 1 banking day: R01 x2, R03, C01
    assert written == ["RET-20250319-001.ach"] and read_ach((tmp_path / "returns" / written[0]).read_bytes()).valid
    assert sandbox.process(date(2025, 3, 19)) == []  # idempotent
    [r] = reconcile_all(bank, s, date(2025, 3, 19))
    assert (r.applied, r.retries_scheduled, r.failures, r.nocs_applied, r.exceptions) == (4, 2, 1, 1, 0)
    assert reload(s, worlds[C01_CHANGE].employer).bank_account_last4 == C01_NEW_ACCOUNT[-4:]
    settle(s, today=date(2025, 3, 20))
    s.commit()
    status = {a: reload(s, inv).status for a, inv in invoices.items()}
    assert status == {R01_THEN_PAYS: "scheduled", R01_ALWAYS: "scheduled", R03_NO_ACCOUNT: "failed",
                      R10_AFTER_SETTLEMENT: "paid", C01_CHANGE: "paid", "1234567890": "paid"}
    # re-presentments 2 and 3 of the NSF accounts
    originate(bank, s, [(worlds[a], invoices[a], 2) for a in (R01_THEN_PAYS, R01_ALWAYS)], date(2025, 3, 24), 2)
    sandbox.process(date(2025, 3, 25))  # R01_ALWAYS again; also R10 of the 18th is not due before the 25th
    reconcile_all(bank, s, date(2025, 3, 25))
    assert reload(s, invoices[R10_AFTER_SETTLEMENT]).status == "failed"  # R10 due Tue 25 (18 + 5 banking days)
    originate(bank, s, [(worlds[R01_ALWAYS], invoices[R01_ALWAYS], 3)], date(2025, 3, 27), 3)
    sandbox.process(date(2025, 3, 28))
    reconcile_all(bank, s, date(2025, 3, 28))
    settle(s, today=date(2025, 4, 3))
    s.commit()
    assert reload(s, invoices[R01_THEN_PAYS]).status == "paid"
    assert reload(s, invoices[R01_ALWAYS]).status == "failed"
    rows = s.execute(select(m.Notification.kind, m.Notification.idempotency_key)
                     .where(m.Notification.kind != "payment_confirmation")).all()
    # each failure notice to the employer, and its copy to the carrier (issue 12: coverage may lapse)
    assert sorted(k for k, key in rows if not key.endswith(":carrier")) == [
        "charge_failure", "new_bank_details_needed", "reauthorization_needed"]
    assert sorted(k for k, key in rows if key.endswith(":carrier")) == [
        "charge_failure", "new_bank_details_needed", "reauthorization_needed"]


def test_state_file_holding_account_numbers_is_mode_0600(db_session, tmp_path):
    s = db_session
    bank, sandbox = DirectoryBank(tmp_path), SandboxBank(tmp_path)
    world = make_world(s, account=R01_THEN_PAYS, fein="111111111")
    originate(bank, s, [(world, world.invoice(10000), 1)], date(2025, 3, 18), 1)
    (tmp_path / "sandbox-state.tmp").write_text("{}")  # a leftover temp file of a wider mode
    (tmp_path / "sandbox-state.tmp").chmod(0o644)
    sandbox.process(date(2025, 3, 19))
    state = tmp_path / "sandbox-state.json"
    assert R01_THEN_PAYS in state.read_text()  # the full account number is in there...
    assert stat.S_IMODE(state.stat().st_mode) == 0o600  # ...so only the owner may read it
