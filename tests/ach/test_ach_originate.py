"""Pins origination on SQLite and PostgreSQL: the file written parses back and is accepted by achkit and
achlens with totals equal to its invoices; debit dates and effective dates skip weekends and Federal
Reserve holidays; file id modifiers go A, B on one day; RETRY PYMT, refund credit 22, savings 37;
over-limit held once, zero not debited; the debit schedule lives in invoice columns; a refund credit settles
the refund payable and conserves money; a crash at each step then a re-run gives exactly one file
and one debit per invoice; the one-in-flight index holds; account numbers stay out of DB and output."""

import hashlib
import stat
import threading
from datetime import date, datetime

import achkit
import achlens.core as achlens
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ach_factories import ACCOUNTS, add_employer, add_invoice
from paygo.ach.originate import STEPS, originate
from paygo.ach.schedule import debit_date, schedule_debits
from paygo.ach.verify import file_balances_invoices
from paygo.db import models as m
from paygo.db.session import make_engine
from paygo.ledger import repo
from paygo.nacha.read import read_ach

TUE, WED, FRI = date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 20)
NOW = datetime(2026, 11, 25, 9, 30)


def go(s, settings, cipher, bank, home, today=WED, **kw):
    schedule_debits(s, today=TUE, settings=settings)
    s.commit()
    return originate(s, today=today, bank=bank, home=home, settings=settings, cipher=cipher, now=NOW, **kw)


@pytest.mark.parametrize("notice, days, expected", [
    (TUE, 2, date(2026, 11, 27)),  # Wed 25 is 1, Thu 26 Thanksgiving, Fri 27 is 2
    (FRI, 2, date(2026, 11, 24)),  # Sat/Sun skipped: Mon 23 is 1, Tue 24 is 2
    (date(2026, 11, 21), 0, date(2026, 11, 23)),  # a Saturday notice with 0 days: the next banking day
])
def test_debit_date_is_n_banking_days_after_the_notice(notice, days, expected):
    assert debit_date(notice, days) == expected


def test_debits_and_refund_and_savings_parse_back_and_balance(db_session, cipher, bank_settings, folder_bank, tmp_path):
    s = db_session
    a = add_employer(s, cipher, "111111111", name="Bay Bakery")
    b = add_employer(s, cipher, "222222222", name="Sea Savings Co", account_type="savings")
    add_invoice(s, a, "INV-1", 2715)
    add_invoice(s, b, "INV-2", 1234)
    add_invoice(s, a, "INV-3", -500)  # refund credit
    s.commit()
    result = go(s, bank_settings, cipher, folder_bank, tmp_path / "home")
    assert result.status == "confirmed" and result.file_name == "PAYGO-20261125-A.ach"
    # debits 2715 + 1234 = 3949; credit 500
    assert (result.entry_count, result.total_debit_cents, result.total_credit_cents) == (3, 3949, 500)
    assert {e.effective_date for e in result.entries} == {date(2026, 11, 27)}  # Thanksgiving skipped
    data = (folder_bank.inbound / result.file_name).read_bytes()
    assert data == result.file_path.read_bytes()
    assert stat.S_IMODE(result.file_path.stat().st_mode) == 0o600
    parsed = read_ach(data)
    assert parsed.valid
    assert {e.trace_number[:8] for e in parsed.file.entries} == {"01100001"}
    codes = {e.individual_identification_number.strip(): e.transaction_code for e in parsed.file.entries}
    assert codes == {"INV-1": 27, "INV-2": 37, "INV-3": 22}
    assert [b.header.company_entry_description.strip() for b in parsed.file.batches] == ["PREMIUM"]
    text = data.decode("ascii")
    assert achkit.validate(text) == {"ok": True, "errors": []}
    assert achlens.validate(text).valid
    ok, meta = file_balances_invoices(s, s.scalar(select(m.AchFile.id)))
    assert ok, meta["problems"]
    assert meta["file_numbers"]["total_debit_cents"] == 3949 and meta["file_numbers"]["entry_count"] == 3
    assert {i.number: i.status for i in s.scalars(select(m.Invoice).where(m.Invoice.number.in_(["INV-1", "INV-2", "INV-3"])))} \
        == dict.fromkeys(["INV-1", "INV-2", "INV-3"], "in_flight")
    assert repo.balance(s, "ach_in_transit") == 3949  # debit_sent posted for the two debits only
    assert repo.unbalanced_transactions(s) == []
    # Account numbers: only the NACHA file holds them; the entry rows keep last4 only.
    assert {(e.account_last4, e.bank_details_version) for e in s.scalars(select(m.AchEntry))} == {("6789", 1), ("9876", 1)}
    dump = repr([vars(e) for e in s.scalars(select(m.AchEntry))]) + repr(result)
    assert ACCOUNTS["checking"] not in dump and ACCOUNTS["savings"] not in dump


def test_second_file_same_day_is_b_and_a_rerun_sends_nothing(db_session, cipher, bank_settings, folder_bank, tmp_path):
    s = db_session
    a = add_employer(s, cipher, "111111111")
    add_invoice(s, a, "INV-1", 100)
    s.commit()
    first = go(s, bank_settings, cipher, folder_bank, tmp_path)
    again = go(s, bank_settings, cipher, folder_bank, tmp_path)
    assert again.file_name is None and again.entry_count == 0  # nothing due: no second file
    add_invoice(s, a, "INV-2", 200)
    s.commit()
    second = go(s, bank_settings, cipher, folder_bank, tmp_path)
    assert (first.file_name[-5], second.file_name[-5]) == ("A", "B")
    # traces continue from the counter: 0000001 then 0000002, never repeated across files
    assert [first.entries[0].trace_number, second.entries[0].trace_number] == ["011000010000001", "011000010000002"]


def test_weekend_is_skipped_for_the_effective_date(db_session, cipher, bank_settings, folder_bank, tmp_path):
    s = db_session
    add_invoice(s, add_employer(s, cipher, "111111111"), "INV-1", 100)
    s.commit()
    schedule_debits(s, today=date(2026, 11, 18), settings=bank_settings)  # Wed -> debit Fri 20th
    s.commit()
    result = originate(s, today=FRI, bank=folder_bank, home=tmp_path, settings=bank_settings, cipher=cipher, now=NOW)
    assert result.entries[0].effective_date == date(2026, 11, 23)  # Friday's file settles Monday


def test_re_presentment_after_r01_goes_in_a_retry_batch(db_session, cipher, bank_settings, folder_bank, tmp_path):
    s = db_session
    emp = add_employer(s, cipher, "111111111")
    inv = add_invoice(s, emp, "INV-1", 2715)
    add_invoice(s, emp, "INV-2", 100)
    s.commit()
    go(s, bank_settings, cipher, folder_bank, tmp_path)
    # What the returns side does with R01: entry returned, return recorded, invoice back to scheduled.
    entry = s.scalar(select(m.AchEntry).where(m.AchEntry.invoice_id == inv.id))
    entry.status = "returned"
    rf = m.ReturnFile(sha256="f" * 64, name="ret.ach")
    s.add(rf)
    s.flush()
    s.add(m.AchReturn(return_file_id=rf.id, kind="return", ach_entry_id=entry.id, code="R01",
                      original_trace=entry.trace_number, amount_cents=2715, dedupe_key="k1", status="applied"))
    s.add(m.InvoiceStatusChange(invoice_id=inv.id, from_status="in_flight", to_status="scheduled",
                                changed_by="returns", reason="R01: re-present", event="returned_for_retry",
                                business_date=WED))
    inv.status = "scheduled"
    add_invoice(s, emp, "INV-3", 300)
    s.commit()
    result = go(s, bank_settings, cipher, folder_bank, tmp_path, today=WED)
    parsed = read_ach(result.file_path.read_bytes())
    batches = {b.header.company_entry_description.strip(): [e.amount_cents for e in b.entries] for b in parsed.file.batches}
    assert batches == {"PREMIUM": [300], "RETRY PYMT": [2715]}  # same amount, its own batch
    assert {(e.invoice_number, e.presentment) for e in result.entries} == {("INV-1", 2), ("INV-3", 1)}
    assert repo.balance(s, "ach_in_transit") == 2715 + 100 + 2715 + 300  # returned one not reversed here
    assert s.scalar(select(func.count()).select_from(m.Notification)
                    .where(m.Notification.idempotency_key == "pre_debit_notice:INV-1:2")) == 1


def test_over_limit_is_held_once_and_zero_is_paid(db_session, cipher, bank_settings, folder_bank, tmp_path):
    s = db_session
    emp = add_employer(s, cipher, "111111111")
    add_invoice(s, emp, "INV-BIG", 1_000_001)  # limit 1,000,000 cents
    zero = add_invoice(s, emp, "INV-0", 0)
    s.commit()
    first = go(s, bank_settings, cipher, folder_bank, tmp_path)
    second = go(s, bank_settings, cipher, folder_bank, tmp_path)
    assert first.file_name is None and [n for n, _ in first.held] == ["INV-BIG"] and "per-entry limit" in first.held[0][1]
    assert [n for n, _ in second.held] == ["INV-BIG"]
    assert s.scalar(select(func.count()).select_from(m.ExceptionItem)) == 1  # queued once
    assert first.zero_paid == ("INV-0",) and second.zero_paid == ()
    assert s.get(m.Invoice, zero.id).status == "paid"
    assert s.scalar(select(m.Invoice.status).where(m.Invoice.number == "INV-BIG")) == "scheduled"
    assert s.scalar(select(func.count()).select_from(m.AchEntry)) == 0


def test_bank_details_changed_after_notice_uses_current_details(db_session, cipher, bank_settings, folder_bank, tmp_path):
    s = db_session
    emp = add_employer(s, cipher, "111111111")
    add_invoice(s, emp, "INV-1", 100)
    s.commit()
    schedule_debits(s, today=TUE, settings=bank_settings)
    emp.bank_account_ciphertext, emp.bank_account_last4, emp.bank_details_version = cipher.encrypt("99990000"), "0000", 2
    s.commit()
    result = originate(s, today=WED, bank=folder_bank, home=tmp_path, settings=bank_settings, cipher=cipher, now=NOW)
    assert result.entries[0].account_last4 == "0000" and "version 1 -> 2" in result.notes[0]
    assert s.scalar(select(m.AchEntry.bank_details_version)) == 2
    assert read_ach(result.file_path.read_bytes()).file.entries[0].dfi_account_number.strip() == "99990000"


def test_one_debit_in_flight_per_invoice_is_enforced_by_the_database(db_session, cipher, bank_settings, folder_bank, tmp_path):
    s = db_session
    inv = add_invoice(s, add_employer(s, cipher, "111111111"), "INV-1", 100)
    s.commit()
    go(s, bank_settings, cipher, folder_bank, tmp_path)
    first = s.scalar(select(m.AchEntry))
    s.add(m.AchEntry(ach_file_id=first.ach_file_id, invoice_id=inv.id, presentment=2, trace_number="011000019999999",
                     amount_cents=100, transaction_code=27, effective_date=WED, routing="021000021",
                     account_last4="6789", bank_details_version=1, status="in_flight"))
    with pytest.raises(IntegrityError):
        s.commit()
    s.rollback()


class Crash(Exception):
    pass


@pytest.mark.parametrize("step", STEPS)
def test_crash_at_each_step_then_rerun_sends_one_file(db_url, cipher, bank_settings, folder_bank, tmp_path, step):
    engine = make_engine(db_url)
    try:
        with Session(engine, expire_on_commit=False) as s:
            emp = add_employer(s, cipher, "111111111")
            add_invoice(s, emp, "INV-1", 2715)
            add_invoice(s, emp, "INV-2", 100)
            s.commit()

            def boom(at):
                if at == step:
                    raise Crash(at)

            with pytest.raises(Crash):
                go(s, bank_settings, cipher, folder_bank, tmp_path, fail_at=boom)
        with Session(engine, expire_on_commit=False) as s:  # a new process: nothing kept in memory
            rerun = go(s, bank_settings, cipher, folder_bank, tmp_path)
            third = go(s, bank_settings, cipher, folder_bank, tmp_path)
            files = s.scalars(select(m.AchFile)).all()
            assert [(f.file_id_modifier, f.status) for f in files] == [("A", "confirmed")]
            assert rerun.finished == ("PAYGO-20261125-A.ach",) and third.finished == () and third.file_name is None
            assert [p.name for p in folder_bank.inbound.iterdir()] == ["PAYGO-20261125-A.ach"]
            assert hashlib.sha256((folder_bank.inbound / "PAYGO-20261125-A.ach").read_bytes()).hexdigest() == files[0].sha256
            counts = s.execute(select(m.AchEntry.invoice_id, func.count()).group_by(m.AchEntry.invoice_id)).all()
            assert sorted(n for _, n in counts) == [1, 1]  # each invoice debited once
            assert repo.balance(s, "ach_in_transit") == 2815
            assert set(s.scalars(select(m.Invoice.status))) == {"in_flight"}
    finally:
        engine.dispose()


def test_four_concurrent_originations_produce_one_file(db_url, cipher, bank_settings, folder_bank, tmp_path):
    """What `paygo ach originate` does (notice, commit, originate), four times at once: the notices
    and the file are serialised by one lock, so no duplicate notice, no deadlock, one file."""
    engine = make_engine(db_url)
    try:
        with Session(engine, expire_on_commit=False) as s:
            emp = add_employer(s, cipher, "111111111")
            for i in range(5):
                add_invoice(s, emp, f"INV-{i}", 100 + i)
            s.commit()
        results, errors = [], []
        start = threading.Barrier(4)

        def worker():
            try:
                with Session(engine, expire_on_commit=False) as s:
                    start.wait()
                    schedule_debits(s, today=TUE, settings=bank_settings)
                    s.commit()
                    results.append(originate(s, today=WED, bank=folder_bank, home=tmp_path, settings=bank_settings,
                                             cipher=cipher, now=NOW))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with Session(engine) as s:
            assert s.scalar(select(func.count()).select_from(m.AchFile)) == 1
            assert s.scalar(select(func.count()).select_from(m.AchEntry)) == 5
            assert s.scalar(select(m.AchFile.status)) == "confirmed"
            assert repo.balance(s, "ach_in_transit") == 100 + 101 + 102 + 103 + 104
            assert s.scalar(select(func.count()).select_from(m.Notification)) == 5  # one notice per invoice
        assert [p.name for p in folder_bank.inbound.iterdir()] == ["PAYGO-20261125-A.ach"]
    finally:
        engine.dispose()


def test_without_a_bank_the_file_is_only_recorded(db_session, cipher, bank_settings, folder_bank, tmp_path):
    s = db_session
    add_invoice(s, add_employer(s, cipher, "111111111"), "INV-1", 100)
    s.commit()
    built = go(s, bank_settings, cipher, None, tmp_path)
    assert built.status == "built" and built.file_path.exists()
    waiting = go(s, bank_settings, cipher, None, tmp_path)
    assert waiting.pending == ("PAYGO-20261125-A.ach",) and waiting.file_name is None
    sent = go(s, bank_settings, cipher, folder_bank, tmp_path)
    assert sent.finished == ("PAYGO-20261125-A.ach",)
    assert s.scalar(select(m.AchFile.status)) == "confirmed"


def test_debit_schedule_lives_in_columns_not_in_history_text(db_session, cipher, bank_settings, folder_bank, tmp_path):
    s = db_session
    emp = add_employer(s, cipher, "111111111")
    noticed = add_invoice(s, emp, "INV-1", 2715)
    s.commit()
    schedule_debits(s, today=TUE, settings=bank_settings)
    s.commit()
    # notice Tue 24th, 2 banking days: Wed 25 is 1, Thanksgiving skipped, Fri 27 is 2
    assert (noticed.debit_date, noticed.debit_presentment, noticed.debit_bank_details_version) == (date(2026, 11, 27), 1, 1)
    reasons = list(s.scalars(select(m.InvoiceStatusChange.reason).where(m.InvoiceStatusChange.invoice_id == noticed.id)))
    assert not any("[debit" in r for r in reasons)  # human-readable only
    # An invoice scheduled with the columns set and a free-text history reason is originated all the same.
    by_hand = add_invoice(s, emp, "INV-2", 100, status="scheduled")
    by_hand.debit_date, by_hand.debit_presentment, by_hand.debit_bank_details_version = date(2026, 11, 27), 1, 1
    s.commit()
    result = originate(s, today=WED, bank=folder_bank, home=tmp_path, settings=bank_settings, cipher=cipher, now=NOW)
    assert sorted(e.invoice_number for e in result.entries) == ["INV-1", "INV-2"]


def test_refund_credit_settles_the_refund_payable_and_conserves_money(db_session, cipher, bank_settings, folder_bank,
                                                                       tmp_path):
    """A credit is refunded only once the debit it gives money back from has settled."""
    from paygo.ach.settle import settle
    from paygo.ledger import posting

    s = db_session
    emp = add_employer(s, cipher, "111111111")
    original = add_invoice(s, emp, "INV-1", 2715)
    repo.post(s, posting.invoice_issued("INV-1", "111111111", "granite", 2715, 0, TUE))
    s.commit()
    go(s, bank_settings, cipher, folder_bank, tmp_path)  # INV-1 debited, effective Fri 27th
    credit = m.Invoice(number="INV-3", kind="adjustment", status="issued", policy_id=original.policy_id,
                       employer_id=emp.id, payroll_run_id=original.payroll_run_id, premium_cents=-500,
                       employer_fee_cents=0, total_cents=-500, payment_method="ach_debit",
                       due_date=date(2026, 11, 30), adjusts_id=original.id)
    s.add(credit)
    s.flush()
    repo.post(s, posting.invoice_credited("INV-3", "111111111", "granite", 500, 0, WED))
    s.commit()
    schedule_debits(s, today=WED, settings=bank_settings)  # the debit has not settled: the credit waits
    assert credit.status == "issued" and not repo.is_posted(s, "refund_payable:INV-3")
    settle(s, today=date(2026, 12, 1))  # effective Fri 27th + 2 banking days = Tue Dec 1st
    s.commit()
    for day in (date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 2)):  # a re-run posts nothing twice
        schedule_debits(s, today=day, settings=bank_settings)
        s.commit()
        originate(s, today=day, bank=folder_bank, home=tmp_path, settings=bank_settings, cipher=cipher, now=NOW)
    # the credit went out: nothing owed to the employer any more, 500 on its way out of the bank
    assert credit.status == "in_flight"
    assert repo.balance(s, "refunds_payable:111111111") == 0
    assert repo.balance(s, "refunds_in_transit") == -500
    assert repo.balance(s, "employer_receivable:111111111") == 0
    assert s.scalar(select(func.count()).select_from(m.LedgerTransaction)
                    .where(m.LedgerTransaction.idempotency_key == "refund_sent:INV-3:1")) == 1
    settle(s, today=date(2026, 12, 7))  # effective Thu Dec 3rd + 2 banking days
    s.commit()
    # cash: 2715 collected - 500 refunded = 2215; wallet: 2715 credited, 500 given back = -2215
    assert repo.balance(s, "cash_at_bank") == 2215
    assert repo.balance(s, "carrier_wallet:granite") == -2215
    assert repo.balance(s, "refunds_in_transit") == 0 and repo.balance(s, "ach_in_transit") == 0
    assert repo.balance(s, "premium_unsettled:granite") == 0
    assert sum(repo.balances(s).values()) == 0 and repo.unbalanced_transactions(s) == []
    assert s.scalar(select(m.Invoice.status).where(m.Invoice.number == "INV-3")) == "paid"
