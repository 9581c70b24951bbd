"""Pins that our own outgoing files are always read strictly: the check that a recorded NACHA file
balances to its entries (paygo.ach.verify) ignores the bank's tolerance profile, so a deviation the
profile would forgive in the bank's return files (here a trace not prefixed by our ODFI) still fails it."""

import hashlib
from datetime import date, datetime

from paygo.ach.verify import file_balances_invoices
from paygo.db import models as m
from paygo.nacha.build import BatchSpec, EntrySpec, FileSpec, build_file
from paygo.nacha.check import check_ach
from paygo.nacha.write import write_ach
from returns_factory import make_world

SENT = date(2025, 3, 18)


def test_an_outgoing_file_is_checked_strictly_whatever_the_bank_tolerates(db_session, tmp_path, monkeypatch):
    s = db_session
    w = make_world(s)
    inv = w.invoice(2715)
    entry = w.send(inv, effective=SENT, trace="999999990000001")  # not our ODFI 01100001
    spec = FileSpec("011000015", "PAYGO SANDBOX BANK", "1234567890", "PAYGO BILLING", "011000015",
                    datetime(2025, 3, 17, 9, 30))
    built = build_file(spec, [BatchSpec("PAYGO PREMIUM", "1234567890", "PREMIUM", SENT, [
        EntrySpec(27, entry.routing, "9876543210123", entry.amount_cents, inv.number, "BAY BAKERY")])])
    lines = write_ach(built).decode("ascii").split("\n")
    lines[2] = lines[2][:79] + entry.trace_number  # the entry's trace, as the row says
    data = "\n".join(lines).encode("ascii")
    path = tmp_path / "PAYGO-20250317-A.ach"
    path.write_bytes(data)
    af = s.get(m.AchFile, entry.ach_file_id)
    af.path, af.sha256 = str(path), hashlib.sha256(data).hexdigest()
    af.total_debit_cents, af.entry_count = entry.amount_cents, 1
    s.flush()
    monkeypatch.setenv("PAYGO_BANK_NACHA_TOLERANCES", "custom_trace_numbers")
    assert check_ach(data, tolerances={"custom_trace_numbers"}).valid  # a bank's file like it would pass
    ok, meta = file_balances_invoices(s, af.id)
    assert not ok and any("EntryDetail.trace_number odfi_prefix" in p for p in meta["problems"]), meta["problems"]
    # and the only problem is that one: the file balances to its entry row otherwise
    assert [p for p in meta["problems"] if "odfi_prefix" not in p] == []
