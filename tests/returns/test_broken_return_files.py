"""Pins issue 17's broken bank files (and issue 11 finding 7) on a real database with live debits: a
return file cut or altered anywhere, not NACHA, or a broken gzip archive is refused whole (nothing
applied, not recorded in return_files, one `return_file_refused` exception listing every violation
by line and field, not a second one for the same bytes), `ach inspect` calls it invalid and
`ach reconcile` exits 1; its corrected re-delivery applies normally. A heartbeat is "nothing to do".
NOC corrected data that is not a plausible account or routing number goes to ops; a return matches
only an entry of its direction."""

import hashlib
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from broken_files import BROKEN, NOT_NACHA, good_file
from paygo.ach.reconcile import Candidate, ReceivedItem, RefusedFile, match, parse_correction, reconcile_return_file
from paygo.cli import main
from paygo.db import models as m
from paygo.db.session import make_engine, session_scope
from returns_factory import CIPHER, make_world, reload, return_file, returned

FIXTURES = Path("/work/shared/fixtures/nacha")
SENT = date(2025, 3, 18)
RECEIVED = date(2025, 3, 20)


def scene(s, tmp_path):
    """Four debits in flight; the good file returns three of them (R01, R03, R01) and corrects the fourth (C01)."""
    w = make_world(s)
    entries = [w.send(w.invoice(2000 + i), effective=SENT) for i in range(4)]
    s.commit()
    returns = [returned(code, e) for code, e in zip(("R01", "R03", "R01"), entries)]
    noc = returned("C01", entries[3], corrected="1918171614", amount=0)
    return good_file(tmp_path, returns, noc, RECEIVED), w, entries


def count(s, model) -> int:
    return s.scalar(select(func.count()).select_from(model))


def state(s) -> dict:
    """Everything a reconcile could change."""
    s.expire_all()
    emp = s.scalars(select(m.Employer)).one()
    return {
        "entries": sorted(s.scalars(select(m.AchEntry.status))),
        "invoices": sorted(s.scalars(select(m.Invoice.status))),
        "returns": count(s, m.AchReturn), "return_files": count(s, m.ReturnFile),
        "ledger": count(s, m.LedgerTransaction), "ledger_entries": count(s, m.LedgerEntry),
        "notifications": count(s, m.Notification), "history": count(s, m.InvoiceStatusChange),
        "bank": (emp.bank_details_version, emp.bank_account_last4, emp.authorization_status),
    }


def reconcile(s, data, name="r.ach"):
    r = reconcile_return_file(s, data, name=name, received_on=RECEIVED, cipher=CIPHER)
    s.commit()
    return r


def assert_good_file_applied(s, r, entries):
    assert not isinstance(r, RefusedFile)
    assert (r.items, r.applied, r.nocs_applied, r.retries_scheduled, r.failures) == (4, 4, 1, 2, 1)
    assert [reload(s, e).status for e in entries] == ["returned", "returned", "returned", "in_flight"]
    assert s.scalars(select(m.Employer)).one().bank_account_last4 == "1614"


@pytest.mark.parametrize("name", sorted(BROKEN) + [f"not NACHA: {n}" for n in sorted(NOT_NACHA)])
def test_a_broken_file_is_refused_whole_once_then_its_redelivery_applies(db_session, tmp_path, name):
    s = db_session
    good, w, entries = scene(s, tmp_path)
    before = state(s)
    data = NOT_NACHA[name.removeprefix("not NACHA: ")] if name.startswith("not NACHA") else BROKEN[name][0](good)

    r = reconcile(s, data)
    assert isinstance(r, RefusedFile) and not r.refused_before and not r.already_reconciled
    assert (r.items, r.applied, r.exceptions) == (0, 0, 1) and r.parse_errors
    assert state(s) == before  # nothing applied, nothing recorded in return_files
    [item] = s.scalars(select(m.ExceptionItem)).all()
    assert (item.kind, item.subject) == ("return_file_refused", f"return_file:{hashlib.sha256(data).hexdigest()}")
    assert r.exception_id == item.id
    assert all(v in item.detail for v in r.parse_errors)  # every violation, by line and field
    if name.startswith("not NACHA"):
        assert r.not_nacha and r.parse_errors[0].startswith("file: not a NACHA file (")
    elif name != "a truncated gzip archive":
        record, field_, _ = BROKEN[name][1]
        assert any(f"{record}.{field_}" in v for v in r.parse_errors), r.parse_errors
    assert "9876543210123" not in item.detail and "1918171614" not in item.detail

    again = reconcile(s, data)  # the same bytes: said, not queued twice
    assert isinstance(again, RefusedFile) and again.refused_before and again.exception_id == item.id
    assert count(s, m.ExceptionItem) == 1 and state(s) == before

    assert_good_file_applied(s, reconcile(s, good, "redelivered.ach"), entries)  # the bank's good copy
    assert count(s, m.ReturnFile) == 1


def test_the_violations_are_listed_by_line_and_field(db_session, tmp_path):
    s = db_session
    good, _, _ = scene(s, tmp_path)
    r = reconcile(s, BROKEN["wrong batch debit total"][0](good))
    assert r.parse_errors == ["line 9: BatchControl.total_debit mismatch: expected 6003 (found '000000006004')"]
    detail = s.scalar(select(m.ExceptionItem.detail))
    assert "refused whole, nothing applied (1 violation(s))" in detail and r.parse_errors[0] in detail


def test_a_file_cut_after_its_first_return_then_sent_whole_counts_each_return_once(db_session, tmp_path):
    """How a single return was counted twice or half-missed: the cut copy is refused, the whole one applies."""
    s = db_session
    good, _, entries = scene(s, tmp_path)
    cut = BROKEN["cut after the first return, no controls"][0](good)
    assert isinstance(reconcile(s, cut), RefusedFile)
    assert_good_file_applied(s, reconcile(s, good), entries)
    assert count(s, m.AchReturn) == 4 and set(s.scalars(select(m.AchReturn.status))) == {"applied"}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # both backends: the test above
@pytest.mark.parametrize("name", sorted(BROKEN) + [f"not NACHA: {n}" for n in sorted(NOT_NACHA)])
def test_cli_refuses_exit_1_and_inspect_agrees(db_url, tmp_path, monkeypatch, capsys, name):
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        good, _, _ = scene(s, tmp_path)
        before = state(s)
    data = NOT_NACHA[name.removeprefix("not NACHA: ")] if name.startswith("not NACHA") else BROKEN[name][0](good)
    path = tmp_path / "RET-20250320-001.ach"
    path.write_bytes(data)
    monkeypatch.setenv("PAYGO_DATABASE_URL", db_url)
    monkeypatch.setenv("PAYGO_HOME", str(tmp_path))

    assert main(["ach", "inspect", str(path)]) == 1  # inspect: INVALID
    capsys.readouterr()
    assert main(["ach", "reconcile", str(path), "--date", "2025-03-20"]) == 1  # reconcile: refused
    out = capsys.readouterr().out
    assert f"{path.name}: refused" in out and "nothing applied" in out and "queued for ops as exception #" in out
    if name.startswith("not NACHA"):
        assert "not a NACHA file" in out
    elif name == "a truncated gzip archive":
        assert "gzip archive truncated or corrupt" in out
    else:
        record, field_, _ = BROKEN[name][1]
        assert f"{record}.{field_}" in out
    assert "Traceback" not in out
    assert main(["ach", "reconcile", str(path), "--date", "2025-03-20"]) == 1
    assert "refused before, as exception #" in capsys.readouterr().out
    with session_scope(engine) as s:
        assert state(s) == before and count(s, m.ExceptionItem) == 1
    engine.dispose()


def test_cli_non_numeric_amount_says_why(db_url, tmp_path, monkeypatch, capsys):
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        good, _, _ = scene(s, tmp_path)
    engine.dispose()
    path = tmp_path / "r.ach"
    path.write_bytes(BROKEN["an amount that is not numeric"][0](good))
    monkeypatch.setenv("PAYGO_DATABASE_URL", db_url)
    monkeypatch.setenv("PAYGO_HOME", str(tmp_path))
    assert main(["ach", "reconcile", str(path), "--date", "2025-03-20"]) == 1
    out = capsys.readouterr().out
    assert "line 3: EntryDetail.amount numeric (found '00000010X1')" in out


def test_cli_heartbeat_is_nothing_to_do(db_url, tmp_path, monkeypatch, capsys):
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        good, _, _ = scene(s, tmp_path)
    engine.dispose()
    monkeypatch.setenv("PAYGO_DATABASE_URL", db_url)
    monkeypatch.setenv("PAYGO_HOME", str(tmp_path))
    heartbeat = FIXTURES / "FISERV-ZEROFILE-PIMRET825324_032720_110221.ach"
    assert main(["ach", "inspect", str(heartbeat)]) == 1  # strict: its header's routing numbers fail
    # the processor's bank connection tolerates them (reported as warnings)
    monkeypatch.setenv("PAYGO_BANK_NACHA_TOLERANCES", "destination_check_digit, origin_check_digit,file_id_modifier")
    assert main(["ach", "inspect", str(heartbeat)]) == 0
    capsys.readouterr()
    assert main(["ach", "reconcile", str(heartbeat), "--date", "2025-03-20"]) == 0
    assert "nothing to do, no returns or NOCs in the file" in capsys.readouterr().out


def test_cli_valid_file_inspect_and_reconcile_agree(db_url, tmp_path, monkeypatch, capsys):
    """A valid file: inspect exits 0 and reconcile applies it."""
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        w = make_world(s)
        entry = w.send(w.invoice(2000), effective=SENT)
        s.flush()
        data = return_file(tmp_path, [returned("R01", entry)], RECEIVED)
    engine.dispose()
    path = tmp_path / "r.ach"
    path.write_bytes(data)
    monkeypatch.setenv("PAYGO_DATABASE_URL", db_url)
    monkeypatch.setenv("PAYGO_HOME", str(tmp_path))
    assert main(["ach", "inspect", str(path)]) == 0
    capsys.readouterr()
    assert main(["ach", "reconcile", str(path), "--date", "2025-03-20"]) == 0
    out = capsys.readouterr().out
    assert "1 returns/NOCs" in out and "retries scheduled  1" in out


# --- NOCs whose corrected data is not a plausible account or routing number


@pytest.mark.parametrize("code, corrected", [
    ("C01", "1" * 29),  # 29 digits: not an account of 17 with 12 to spare
    ("C01", "0000"),  # all zeros
    ("C01", "12"),  # too short
    ("C02", "000000000"),  # zeros pass the check digit, but are no routing number
    ("C02", "231380104999"),  # digits past the routing number
    ("C03", "231380104   0000000"),  # the account all zeros
    ("C06", "1918171614" + " " * 10 + "27X"),  # past the transaction code
])
def test_implausible_noc_goes_to_ops_and_changes_nothing(db_session, tmp_path, code, corrected):
    s = db_session
    w = make_world(s)
    entry = w.send(w.invoice(1000), effective=SENT)
    s.commit()
    r = reconcile(s, return_file(tmp_path, [returned(code, entry, corrected=corrected, amount=0)], RECEIVED))
    assert (r.applied, r.nocs_applied, r.exceptions) == (0, 0, 1)
    item = s.scalars(select(m.ExceptionItem)).one()
    assert item.kind == "noc_invalid" and "corrected data refused" in item.detail
    assert "1" * 17 not in item.detail
    emp = reload(s, w.employer)
    assert (emp.bank_details_version, emp.bank_account_last4, emp.bank_routing) == (1, "0123", "021000021")


@pytest.mark.parametrize("code, data", [
    ("C01", "1" * 29), ("C01", "1" * 18), ("C01", "0000"), ("C01", "0000-00"), ("C01", "12 34"),
    ("C02", "000000000"), ("C02", "991000000"), ("C02", "2313801041"), ("C03", "231380104 X 1918171614"),
    ("C05", "27X"), ("C05", "2 7"), ("C06", "1918171614     2727"), ("C07", "2313801041918171614       321"),
    ("C01", "1" * 30),
])
def test_parse_correction_refuses_what_overflows_or_is_implausible(code, data):
    with pytest.raises(ValueError):
        parse_correction(code, data)


# --- a return matches only an entry of its direction


def candidate(tc: int, amount: int = 500, status: str = "in_flight") -> Candidate:
    return Candidate(1, "011000010000001", amount, SENT, status, 1, "0123", 1, "INV-1", "in_flight", 1, tc)


@pytest.mark.parametrize("return_tc, original_tc, matches", [
    (26, 27, True), (36, 37, True), (21, 22, True), (31, 32, True),
    (21, 27, False), (31, 37, False), (26, 22, False), (36, 32, False), (31, 27, False), (26, 32, False),
])
def test_match_filters_by_direction(return_tc, original_tc, matches):
    item = ReceivedItem("return", "R01", "011000010000001", 500, return_tc)
    found, why = match(item, [candidate(original_tc)])
    assert (found is not None) == matches
    if not matches:
        assert why.startswith("unmatched: transaction code")


def test_direction_picks_the_one_entry_of_its_kind():
    item = ReceivedItem("return", "R03", "011000010000001", 500, 21)
    debit, credit = candidate(27), candidate(22)
    assert match(item, [debit, credit]) == (credit, None)


def test_a_return_of_a_credit_is_not_applied_to_our_debit(db_session, tmp_path):
    s = db_session
    w = make_world(s)
    entry = w.send(w.invoice(2865), effective=SENT)
    s.commit()
    before = state(s)
    # tc 22 as the original: the sandbox writes the return as tc 21 (a credit's return)
    r = reconcile(s, return_file(tmp_path, [returned("R01", entry) | {"tc": 22}], RECEIVED))
    assert (r.applied, r.exceptions, r.retries_scheduled) == (0, 1, 0)
    item = s.scalars(select(m.ExceptionItem)).one()
    assert item.kind == "return_unmatched" and "transaction code 21 returns a credit" in item.detail
    after = state(s)
    assert after["entries"] == ["in_flight"] and after["ledger"] == before["ledger"]
    assert after["invoices"] == before["invoices"]


def test_a_return_of_a_debit_is_not_applied_to_our_credit(db_session, tmp_path):
    s = db_session
    w = make_world(s)
    entry = w.send(w.invoice(500), effective=SENT)
    entry.transaction_code = 22  # stands in for a refund credit; nothing may be posted against it
    s.commit()
    r = reconcile(s, return_file(tmp_path, [returned("R03", entry)], RECEIVED))  # written as tc 26
    assert (r.applied, r.exceptions, r.failures) == (0, 1, 0)
    assert s.scalars(select(m.ExceptionItem.kind)).one() == "return_unmatched"
    assert reload(s, entry).status == "in_flight"
