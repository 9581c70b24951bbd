"""Pins carrier payouts on SQLite and PostgreSQL: who is paid and how much (the wallet above its
reserve; nothing without a bank account, at or below the reserve, or twice a day); the payout file
parses back with every total right (tc 22/32, service class 220, entry hash, PAYOUT); a re-run the
same day pays nobody again; a crash at every step then a re-run gives one file and one payout per
carrier; bank down then up; payout credits settle two banking days after their effective date; a
returned payout refills the wallet and holds the carrier until new bank details; a clawback after a
payout is recovered from the next one and its statement shows it; debit origination leaves payout
files alone; the check that no wallet is paid beyond what it received; account numbers stay out."""

import csv
from datetime import date

import achkit
import achlens.core as achlens
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paygo.ach.bank import DirectoryBank, UploadNotConfirmed
from paygo.ach.originate import originate
from paygo.ach.reconcile import reconcile_return_file
from paygo.ach.settle import settle
from paygo.db import models as m
from paygo.ledger import repo
from paygo.nacha.read import read_ach
from paygo.payouts.check import wallets_paid_beyond_received
from paygo.payouts.decide import (
    ALREADY_PAID,
    AT_OR_BELOW_RESERVE,
    BANK_RETURNED,
    NO_BANK_ACCOUNT,
    PAY,
    Wallet,
    decide_payout,
)
from paygo.payouts.run import STEPS
from payout_world import ACCOUNTS, CIPHER, SETTINGS, WED, pay, set_bank, settled, world
from returns_factory import make_world, return_file

MON = date(2026, 11, 16)  # debits effective this Monday settle on Wednesday 18th


class Crash(Exception):
    pass


def crash_at(step):
    def hook(at):
        if at == step:
            raise Crash(at)
    return hook


class DownBank:
    """The bank's side failing: nothing arrives (a stand-in for the external system, not for our code)."""

    def upload(self, name, data):
        raise UploadNotConfirmed(f"connection refused uploading {name}")


def wallet_owed(s, carrier="granite") -> int:
    return -repo.balance(s, f"carrier_wallet:{carrier}")


def count(s, model) -> int:
    return s.scalar(select(func.count()).select_from(model))


def payout_files(s) -> list[m.AchFile]:
    """The payout files (the factory records a debit file per invoice it sends)."""
    return s.scalars(select(m.AchFile).where(m.AchFile.id.in_(select(m.Payout.ach_file_id))).order_by(m.AchFile.id)).all()


@pytest.mark.parametrize("wallet, verdict, amount", [
    (Wallet("g", "G", 95_000, 10_000, True), PAY, 85_000),  # above the reserve: the excess
    (Wallet("g", "G", 10_000, 10_000, True), AT_OR_BELOW_RESERVE, 0),  # exactly the reserve: nothing
    (Wallet("g", "G", -85_000, 10_000, True), AT_OR_BELOW_RESERVE, 0),  # negative after a clawback
    (Wallet("g", "G", 1, 0, True), PAY, 1),  # no reserve: one cent is paid
    (Wallet("g", "G", 95_000, 0, False), NO_BANK_ACCOUNT, 0),  # no account on file, says so
    (Wallet("g", "G", 95_000, 0, True, paid_today=True), ALREADY_PAID, 0),  # once a day
    (Wallet("g", "G", 95_000, 0, True, returned_from_account="****2233 (R03)"), BANK_RETURNED, 0),
    (Wallet("g", "G", 300_000_000, 0, True), PAY, 100_000_000),  # capped at the per-entry limit
])
def test_decide_payout(wallet, verdict, amount):
    d = decide_payout(wallet, per_entry_limit_cents=100_000_000)
    assert (d.verdict, d.amount_cents) == (verdict, amount), d.reason


def test_decide_says_why_not():
    assert "no bank account on file: $950.00 waits" in decide_payout(
        Wallet("g", "G", 95_000, 0, False), per_entry_limit_cents=10**8).reason
    assert "clawback" in decide_payout(Wallet("g", "G", -1, 0, True), per_entry_limit_cents=10**8).reason


def test_payout_file_parses_back_and_balances(db_session, tmp_path):
    s = db_session
    g = world(s, "granite", reserve=10_000)
    h = world(s, "harbor", fein="222222222", kind="savings", reserve=5_000)
    n = world(s, "nobank", fein="333333333")
    low = world(s, "lowwallet", fein="444444444", reserve=50_000)
    set_bank(s, "nobank", None)
    for w, premium in ((g, 100_000), (h, 40_000), (n, 20_000), (low, 20_000)):
        settled(s, w, premium, MON)
    bank = DirectoryBank(tmp_path / "bank")
    r = pay(s, bank, tmp_path / "home")
    # granite 95,000 - 10,000 = 85,000 (tc 22); harbor 38,000 - 5,000 = 33,000 (tc 32)
    assert r.status == "confirmed" and r.file_name == "PAYGO-PAYOUT-20261125-A.ach"
    assert [(p.carrier_id, p.amount_cents, p.transaction_code, p.account_last4) for p in r.payouts] == [
        ("granite", 85_000, 22, "2233"), ("harbor", 33_000, 32, "5566")]
    assert {d.carrier_id: d.verdict for d in r.decisions} == {
        "granite": PAY, "harbor": PAY, "lowwallet": AT_OR_BELOW_RESERVE, "nobank": NO_BANK_ACCOUNT}
    data = (bank.inbound / r.file_name).read_bytes()
    assert data == r.file_path.read_bytes()
    parsed = read_ach(data)
    assert parsed.valid
    f = parsed.file
    [batch] = f.batches
    assert int(batch.header.service_class_code) == 220 and batch.header.company_entry_description.strip() == "PAYOUT"
    assert batch.header.standard_entry_class_code == "CCD"
    assert batch.header.effective_entry_date == "261127"  # Thanksgiving skipped
    entries = {e.dfi_account_number.strip(): e for e in f.entries}
    assert set(entries) == {ACCOUNTS["granite"], ACCOUNTS["harbor"]}  # the real accounts, only in the file
    assert (int(entries[ACCOUNTS["granite"]].amount), int(entries[ACCOUNTS["granite"]].transaction_code)) == (85_000, 22)
    assert (int(entries[ACCOUNTS["harbor"]].amount), int(entries[ACCOUNTS["harbor"]].transaction_code)) == (33_000, 32)
    assert [e.trace_number for e in f.entries] == [p.trace_number for p in r.payouts]
    for control in (batch.control, f.control):
        assert int(control.total_credit) == 118_000
        assert int(control.total_debit) == 0
        assert int(control.entry_hash) == 2 * 2100002  # routing 021000021 twice, first 8 digits
    assert int(f.control.entry_addenda_count) == 2 and int(f.control.batch_count) == 1
    text = data.decode("ascii")
    assert achkit.validate(text) == {"ok": True, "errors": []}
    assert achlens.validate(text).valid
    row = s.scalar(select(m.AchFile).where(m.AchFile.path == str(r.file_path)))
    assert (row.total_credit_cents, row.total_debit_cents, row.entry_count) == (118_000, 0, 2)
    # ledger: wallets keep the reserve, the money is in transit until settled
    assert (wallet_owed(s, "granite"), wallet_owed(s, "harbor")) == (10_000, 5_000)
    assert wallet_owed(s, "nobank") == 19_000 and wallet_owed(s, "lowwallet") == 19_000
    assert repo.balance(s, "payouts_in_transit") == -118_000
    assert repo.unbalanced_transactions(s) == []
    rows = s.scalars(select(m.Payout).order_by(m.Payout.carrier_id)).all()
    assert [(p.status, p.wallet_balance_cents, p.reserve_cents) for p in rows] == [
        ("in_flight", 95_000, 10_000), ("in_flight", 38_000, 5_000)]
    for p in rows:  # statements written, only the last four digits of the account in them
        for path in (p.statement_pdf_path, p.statement_csv_path):
            assert ACCOUNTS[p.carrier_id].encode() not in open(path, "rb").read()
    assert wallets_paid_beyond_received(s)[0] == []


def test_run_twice_same_day_pays_nothing_new(db_session, tmp_path):
    s = db_session
    settled(s, world(s, reserve=10_000), 100_000, MON)
    bank = DirectoryBank(tmp_path / "bank")
    first = pay(s, bank, tmp_path / "home")
    second = pay(s, bank, tmp_path / "home")
    assert [p.amount_cents for p in first.payouts] == [85_000]
    assert second.file_name is None and [d.verdict for d in second.decisions] == [ALREADY_PAID]
    # the same day after more money settled: still once a day, the rest waits for the next payout day
    settled(s, make_world(s, fein="999999999"), 10_000, date(2026, 11, 23))
    third = pay(s, bank, tmp_path / "home")
    assert third.file_name is None and [d.verdict for d in third.decisions] == [ALREADY_PAID]
    assert count(s, m.Payout) == 1 and len(list(bank.inbound.iterdir())) == 1
    nxt = pay(s, bank, tmp_path / "home", today=date(2026, 11, 27))
    assert [p.amount_cents for p in nxt.payouts] == [9_500]


@pytest.mark.parametrize("step", STEPS)
def test_crash_at_each_step_then_rerun_pays_once(db_url, tmp_path, step):
    from paygo.db.session import make_engine

    engine = make_engine(db_url)
    bank, home = DirectoryBank(tmp_path / "bank"), tmp_path / "home"
    with Session(engine, expire_on_commit=False) as s:
        settled(s, world(s, reserve=10_000), 100_000, MON)
        with pytest.raises(Crash):
            pay(s, bank, home, fail_at=crash_at(step))
    for today in (WED, WED, date(2026, 11, 27)):  # the same day again, then the next payout day
        with Session(engine, expire_on_commit=False) as s:
            pay(s, bank, home, today=today)
    with Session(engine) as s:
        assert [(p.amount_cents, p.status) for p in s.scalars(select(m.Payout))] == [(85_000, "in_flight")]
        assert [f.status for f in payout_files(s)] == ["confirmed"]
        assert s.scalar(select(func.count()).select_from(m.LedgerTransaction)
                        .where(m.LedgerTransaction.kind == "carrier_payout")) == 1
        assert wallet_owed(s) == 10_000 and repo.balance(s, "payouts_in_transit") == -85_000
        p = s.scalar(select(m.Payout))
        assert open(p.statement_pdf_path, "rb").read().startswith(b"%PDF")
    assert [f.name for f in bank.inbound.iterdir()] == ["PAYGO-PAYOUT-20261125-A.ach"]  # no temp copies left
    engine.dispose()


def test_bank_down_then_up(db_session, tmp_path):
    s = db_session
    settled(s, world(s, reserve=10_000), 100_000, MON)
    home, bank = tmp_path / "home", DirectoryBank(tmp_path / "bank")
    recorded = pay(s, None, home)  # no bank configured: recorded only
    assert recorded.status == "built" and wallet_owed(s) == 95_000  # posted on confirmation only
    waiting = pay(s, None, home, today=date(2026, 11, 27))
    assert waiting.pending == (recorded.file_name,) and not waiting.decisions
    with pytest.raises(UploadNotConfirmed):  # the bank refuses: still recorded, nothing posted
        pay(s, DownBank(), home, today=date(2026, 11, 27))
    s.rollback()
    assert wallet_owed(s) == 95_000 and count(s, m.Payout) == 1
    up = pay(s, bank, home, today=date(2026, 11, 27))
    assert up.finished == (recorded.file_name,) and up.file_name is None  # nothing left above the reserve
    assert [d.verdict for d in up.decisions] == [AT_OR_BELOW_RESERVE]
    assert wallet_owed(s) == 10_000 and [f.status for f in payout_files(s)] == ["confirmed"]
    assert repo.is_posted(s, "carrier_payout:granite:2026-11-25")


def test_payout_credits_settle_two_banking_days_after_effective(db_session, tmp_path):
    s = db_session
    settled(s, world(s, reserve=0), 100_000, MON)
    r = pay(s, DirectoryBank(tmp_path / "bank"), tmp_path / "home")
    cash = repo.balance(s, "cash_at_bank")
    assert settle(s, today=date(2026, 11, 30)).payouts == ()  # effective Fri 27th: Mon 30th is 1 banking day
    result = settle(s, today=date(2026, 12, 1))
    s.commit()
    assert [(p.carrier_id, p.amount_cents) for p in result.payouts] == [("granite", 95_000)]
    p = s.scalar(select(m.Payout))
    assert (p.status, p.settled_on) == ("settled", date(2026, 12, 1))
    assert repo.balance(s, "cash_at_bank") == cash - 95_000 and repo.balance(s, "payouts_in_transit") == 0
    assert settle(s, today=date(2026, 12, 2)).payouts == ()  # once
    assert r.payouts[0].effective_date == date(2026, 11, 27)


def _return_payout(s, tmp_path, payout: m.Payout, code: str, today: date, n: int = 1):
    data = return_file(tmp_path, [{"code": code, "trace": payout.trace_number, "amount": payout.amount_cents,
                                   "account": ACCOUNTS["granite"], "tc": payout.transaction_code,
                                   "rdfi": payout.routing[:8], "name": "GRANITE MUTUAL"}], today, n)
    result = reconcile_return_file(s, data, name=f"return-{n}.ach", received_on=today, cipher=CIPHER)
    s.commit()
    return result


@pytest.mark.parametrize("settled_first", [False, True])
def test_returned_payout_goes_back_to_the_wallet_and_holds_the_carrier(db_session, tmp_path, settled_first):
    s = db_session
    settled(s, world(s, reserve=10_000), 100_000, MON)
    bank, home = DirectoryBank(tmp_path / "bank"), tmp_path / "home"
    pay(s, bank, home)
    cash = repo.balance(s, "cash_at_bank")
    if settled_first:
        settle(s, today=date(2026, 12, 1))
        s.commit()
    payout = s.scalar(select(m.Payout))
    result = _return_payout(s, tmp_path, payout, "R03", date(2026, 12, 2))
    assert result.exceptions == 1 and result.masked_accounts == ["****2233"]
    s.expire_all()
    payout = s.scalar(select(m.Payout))
    assert (payout.status, payout.returned_on, payout.return_code) == ("returned", date(2026, 12, 2), "R03")
    assert wallet_owed(s) == 95_000 and repo.balance(s, "payouts_in_transit") == 0
    assert repo.balance(s, "cash_at_bank") == cash  # the money came back (or never left)
    [item] = s.scalars(select(m.ExceptionItem).where(m.ExceptionItem.resolved_at.is_(None))).all()
    assert item.kind == "payout_returned" and "new bank details" in item.detail and "****2233" in item.detail
    assert ACCOUNTS["granite"] not in item.detail
    again = _return_payout(s, tmp_path, payout, "R03", date(2026, 12, 3), n=2)  # a second copy of the return
    assert again.duplicates == 1 and wallet_owed(s) == 95_000
    assert settle(s, today=date(2026, 12, 4)).payouts == ()
    held = pay(s, bank, home, today=date(2026, 12, 4))
    assert [d.verdict for d in held.decisions] == [BANK_RETURNED] and held.file_name is None
    set_bank(s, "granite", "7700998811", reserve=10_000)  # new bank details
    s.commit()
    paid = pay(s, bank, home, today=date(2026, 12, 7))
    assert [(p.amount_cents, p.account_last4) for p in paid.payouts] == [(85_000, "8811")]
    assert wallets_paid_beyond_received(s)[0] == []


def test_clawback_after_payout_is_recovered_from_the_next_and_shown(db_session, tmp_path):
    from pypdf import PdfReader

    s = db_session
    w = world(s, reserve=10_000)
    _, entry = settled(s, w, 100_000, MON)  # wallet +95,000
    bank, home = DirectoryBank(tmp_path / "bank"), tmp_path / "home"
    first = pay(s, bank, home)  # 85,000 paid, 10,000 kept
    data = return_file(tmp_path, [{"code": "R10", "trace": entry.trace_number, "amount": entry.amount_cents,
                                   "account": "9876543210123", "tc": 27, "rdfi": "02100002", "name": "Bay Bakery"}],
                       date(2026, 11, 30), 1)
    assert reconcile_return_file(s, data, name="late.ach", received_on=date(2026, 11, 30), cipher=CIPHER).clawbacks == 1
    s.commit()
    assert wallet_owed(s) == 10_000 - 95_000  # negative: the carrier owes it back
    nothing = pay(s, bank, home, today=date(2026, 11, 30))
    assert nothing.file_name is None and [d.verdict for d in nothing.decisions] == [AT_OR_BELOW_RESERVE]
    assert "clawback" in nothing.decisions[0].reason
    settled(s, w, 200_000, date(2026, 11, 30))  # +190,000 on Wed Dec 2nd
    second = pay(s, bank, home, today=date(2026, 12, 3))
    # -85,000 + 190,000 = 105,000, reserve 10,000: 95,000 paid; the clawback was recovered
    assert [p.amount_cents for p in second.payouts] == [95_000] and wallet_owed(s) == 10_000
    p = s.scalar(select(m.Payout).where(m.Payout.payout_date == date(2026, 12, 3)))
    with open(p.statement_csv_path, newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    assert reader.fieldnames[-2:] == ["amount", "amount_cents"]
    by_line = {}
    for r in rows:
        by_line.setdefault(r["line"], []).append(r)
    assert by_line["opening"][0]["amount_cents"] == "10000"  # kept after the first payout
    moves = {r["kind"]: int(r["amount_cents"]) for r in by_line["movement"]}
    assert moves == {"clawback": -95_000, "premium_to_carrier": 190_000}  # the first payout is not a movement
    assert 10_000 + sum(moves.values()) == int(by_line["balance"][0]["amount_cents"]) == 105_000
    assert [int(by_line[k][0]["amount_cents"]) for k in ("reserve", "payout", "kept")] == [10_000, 95_000, 10_000]
    assert by_line["movement"][0]["amount"] == "-950.00"
    text = "\n".join(page.extract_text() for page in PdfReader(p.statement_pdf_path).pages)
    for expected in ("CARRIER PAYOUT STATEMENT", "Granite Mutual", "Clawbacks (returns after settlement)",
                     "-$950.00", "$1,900.00", "$1,050.00", "PAID TO CHECKING ****2233", "$950.00",
                     "Previous balance (kept after the last payout)", "$100.00", "recovered from this payout"):
        assert expected in text, expected
    assert ACCOUNTS["granite"] not in text
    first_pdf = s.scalar(select(m.Payout.statement_pdf_path).where(m.Payout.payout_date == WED))
    assert "Settled invoices" in "".join(pg.extract_text() for pg in PdfReader(first_pdf).pages)
    assert first.payouts[0].amount_cents == 85_000
    assert wallets_paid_beyond_received(s)[0] == []


def test_a_missing_statement_is_written_again_the_same(db_session, tmp_path):
    s = db_session
    settled(s, world(s, reserve=10_000), 100_000, MON)
    home = tmp_path / "home"
    pay(s, DirectoryBank(tmp_path / "bank"), home)
    p = s.scalar(select(m.Payout))
    before = open(p.statement_pdf_path, "rb").read()
    import os

    os.remove(p.statement_pdf_path)
    pay(s, DirectoryBank(tmp_path / "bank"), home)
    assert open(p.statement_pdf_path, "rb").read() == before  # deterministic bytes, from the database


def test_debit_origination_leaves_payout_files_to_payouts(db_session, tmp_path):
    s = db_session
    settled(s, world(s, reserve=0), 100_000, MON)
    home, bank = tmp_path / "home", DirectoryBank(tmp_path / "bank")
    recorded = pay(s, None, home)
    o = originate(s, today=WED, bank=bank, home=home, settings=SETTINGS, cipher=CIPHER)
    assert o.finished == () and o.file_name is None
    assert [f.status for f in payout_files(s)] == ["built"]
    done = pay(s, bank, home, today=date(2026, 11, 27))
    assert done.finished == (recorded.file_name,) and wallet_owed(s) == 0


def test_the_check_names_a_wallet_paid_beyond_what_it_received(db_session, tmp_path):
    s = db_session
    settled(s, world(s, reserve=0), 100_000, MON)
    pay(s, DirectoryBank(tmp_path / "bank"), tmp_path / "home")
    assert wallets_paid_beyond_received(s)[0] == []
    # a payout recorded behind the run's back, over what the wallet received
    p = s.scalar(select(m.Payout))
    s.add(m.Payout(carrier_id="granite", payout_date=date(2026, 11, 27), amount_cents=50_000, status="in_flight",
                   ach_file_id=p.ach_file_id, trace_number="011000019999999", transaction_code=22,
                   effective_date=date(2026, 11, 30), routing=p.routing, account_last4=p.account_last4,
                   wallet_balance_cents=50_000, reserve_cents=0, ledger_cutoff_id=p.ledger_cutoff_id))
    s.commit()
    problems, carriers = wallets_paid_beyond_received(s)
    assert [(c.paid_out_cents, c.received_cents) for c in carriers] == [(145_000, 95_000)]
    assert "granite: paid out 145000 cents, received 95000" in problems
    assert "granite 2026-11-27: recorded wallet 50000 cents, the ledger had 95000" in problems
