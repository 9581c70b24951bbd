"""Issue 11's twelve findings, each as the sequence of ordinary events that moved money wrongly.

Each test plays the sequence on a real database with the real commands' functions and the
sandbox bank (docs/sandbox-bank.md), and asserts what the bank received, what the ledger says and
which statuses the invoices went through. Finding 7 (a return file `ach inspect` calls invalid)
is pinned in tests/returns/test_broken_return_files.py.
"""

from datetime import date

from pypdf import PdfReader
from sqlalchemy import select

from money_world import BAY_AREA, MoneyWorld, payroll_variant
from paygo.cli import main
from paygo.db import models as m
from paygo.invoicing.pdfs import write_invoice_pdfs
from paygo.invoicing.remit import list_remit_bills
from paygo.ledger import repo as ledger
from paygo.nacha.read import read_ach
from paygo.states import is_allowed
from paygo.statements import build_carrier_statement

D = date


def debited(world: MoneyWorld, account_last4: str = "") -> list[tuple[int, int]]:
    """(transaction code, amount) of every entry the bank received, read back from its files."""
    out = []
    for path in sorted(world.bank.inbound.iterdir()):
        if path.is_file() and not path.name.startswith("."):
            for e in read_ach(path.read_bytes()).file.entries:
                if e.dfi_account_number.strip().endswith(account_last4):
                    out.append((e.transaction_code, e.amount_cents))
    return out


def every_change_allowed(s) -> None:
    rows = s.execute(select(m.InvoiceStatusChange.from_status, m.InvoiceStatusChange.to_status)).all()
    assert all(is_allowed(f, t) for f, t in rows), [r for r in rows if not is_allowed(*r)]
    assert ledger.unbalanced_transactions(s) == []


def test_1_a_correction_while_the_debit_file_waits_for_the_bank_debits_once(db_session, tmp_path):
    w = MoneyWorld(db_session, tmp_path)
    w.ingest("acme_2025-06-06.csv", D(2025, 6, 6))
    w.originate(D(2025, 6, 9), bank_up=False)  # pre-debit notice
    recorded = w.originate(D(2025, 6, 10), bank_up=False)
    assert recorded.status == "built" and "INV-000001" in {e.invoice_number for e in recorded.entries}
    assert w.invoice("INV-000001").status == "in_flight"  # in a file, uploaded or not
    r = w.ingest("acme_2025-06-06_correction.csv", D(2025, 6, 10))
    assert r.voided == () and r.invoices == ("INV-000004",)  # an adjustment, never a void
    w.originate(D(2025, 6, 10))
    w.originate(D(2025, 6, 11))
    bay = [a for tc, a in debited(w, "6789") if tc == 27]
    assert bay == [41443, 7917] and sum(bay) == 49360  # 493.60 billed, 493.60 taken
    w.run_days(D(2025, 6, 12), D(2025, 6, 20))  # settles (no uq_invoices_live_per_run failure)
    assert {n: st for n, (_, st, _) in w.invoices().items() if n in ("INV-000001", "INV-000004")} \
        == {"INV-000001": "paid", "INV-000004": "paid"}
    assert ledger.balance(db_session, f"employer_receivable:{BAY_AREA}") == 0
    every_change_allowed(db_session)


def test_2_no_refund_goes_out_for_money_never_collected(db_session, tmp_path):
    w = MoneyWorld(db_session, tmp_path, accounts={BAY_AREA: "9000000002"})  # R01 every time
    w.ingest("acme_2025-06-06.csv", D(2025, 6, 6))
    w.originate(D(2025, 6, 9))
    w.originate(D(2025, 6, 10))  # 414.43 in flight
    r = w.ingest("BAB-031-removed.csv", D(2025, 6, 10), payroll_variant("BAB", drop=("BAB-031",)))
    credit = w.invoice(r.invoices[0])
    assert (credit.kind, credit.total_cents) == ("adjustment", -3863)  # 414.43 -> 375.80
    w.run_days(D(2025, 6, 11), D(2025, 7, 15))  # three presentments, three R01
    assert w.invoice("INV-000001").status == "failed"
    assert w.invoice(credit.number).status == "netted"
    assert [tc for tc, _ in debited(w, "0002")] == [27, 27, 27]  # no credit (22) ever sent
    assert ledger.balance(db_session, f"employer_receivable:{BAY_AREA}") == 37580  # owes the corrected total
    assert ledger.balance(db_session, "carrier_wallet:granite-mutual") <= 0  # never debited for the credit
    assert ledger.balance(db_session, f"refunds_payable:{BAY_AREA}") == 0
    (pdf,) = write_invoice_pdfs(db_session, w.home, [credit.number])
    text = " ".join(PdfReader(pdf).pages[0].extract_text().split())
    assert "NETTED" in text and "deducted from what the employer owes" in text
    every_change_allowed(db_session)


def test_2b_a_credit_is_refunded_once_its_debit_settled(db_session, tmp_path):
    w = MoneyWorld(db_session, tmp_path)
    w.ingest("acme_2025-06-06.csv", D(2025, 6, 6))
    w.originate(D(2025, 6, 9))
    w.originate(D(2025, 6, 10))
    r = w.ingest("BAB-031-removed.csv", D(2025, 6, 10), payroll_variant("BAB", drop=("BAB-031",)))
    w.run_days(D(2025, 6, 11), D(2025, 6, 25))
    assert w.invoice(r.invoices[0]).status == "paid"
    assert debited(w, "6789") == [(27, 41443), (22, 3863)]  # the refund only after the debit settled
    assert ledger.balance(db_session, f"employer_receivable:{BAY_AREA}") == 0
    assert ledger.balance(db_session, f"refunds_payable:{BAY_AREA}") == 0
    every_change_allowed(db_session)


def test_3_a_correction_of_a_failed_run_is_an_adjustment_not_a_traceback(db_session, tmp_path):
    w = MoneyWorld(db_session, tmp_path, accounts={BAY_AREA: "9000000003"})  # R03 no account
    w.ingest("acme_2025-06-06.csv", D(2025, 6, 6))
    w.run_days(D(2025, 6, 9), D(2025, 6, 13))
    assert w.invoice("INV-000001").status == "failed"
    r = w.ingest("acme_2025-06-06_correction.csv", D(2025, 6, 16))
    assert r.status == "accepted" and r.voided == ()
    adjustment = w.invoice(r.invoices[0])
    assert (adjustment.kind, adjustment.total_cents) == ("adjustment", 7917)
    assert ledger.balance(db_session, f"employer_receivable:{BAY_AREA}") == 49360  # owed, nothing collected
    every_change_allowed(db_session)


def test_4_a_corrected_remit_run_is_billed_once(db_session, tmp_path):
    w = MoneyWorld(db_session, tmp_path)
    w.ingest("acme_2025-06-06.csv", D(2025, 6, 6))
    assert w.remit_bills(D(2025, 7, 1)) == ["REMIT-000001"]
    r = w.ingest("LSS-lower.csv", D(2025, 7, 1), payroll_variant("LSS", scale={"LSS-2001": "1000.00"}))
    assert r.voided == ()  # the billed invoice stays as billed
    assert w.remit_bills(D(2025, 7, 2)) == ["REMIT-000002"]
    bills = list_remit_bills(db_session)
    latest = sum(t for n, (k, st, t) in w.invoices().items()
                 if st != "void" and db_session.scalar(select(m.Invoice.payroll_run_id)
                                                      .where(m.Invoice.number == n)) == "LSS-2025-12")
    assert bills[1]["total_cents"] < 0  # a credit note
    assert sum(b["balance_cents"] for b in bills) == latest == bills[0]["balance_cents"]
    assert bills[0]["total_cents"] == 56653 and bills[0]["invoices"] == ["INV-000002"]
    assert w.remit_bills(D(2025, 7, 3)) == []
    (pdf,) = write_invoice_pdfs(db_session, w.home, ["REMIT-000002"])
    text = " ".join(PdfReader(pdf).pages[0].extract_text().split())
    assert "Credit note" in text and "deducted from what Acme Payroll Services owes on its open remit bills" in text


def test_5_no_second_notice_while_the_file_waits_for_the_bank(db_session, tmp_path):
    w = MoneyWorld(db_session, tmp_path)
    w.ingest("acme_2025-06-06.csv", D(2025, 6, 6))
    for day in (D(2025, 6, 9), D(2025, 6, 10), D(2025, 6, 11), D(2025, 6, 12)):
        w.originate(day, bank_up=False)
    keys = db_session.scalars(select(m.Notification.idempotency_key)
                              .where(m.Notification.kind == "pre_debit_notice")).all()
    assert sorted(keys) == ["pre_debit_notice:INV-000001:1", "pre_debit_notice:INV-000003:1"]


def test_6_a_refund_gives_back_the_percentage_fee_kept_on_it(db_session, tmp_path):
    w = MoneyWorld(db_session, tmp_path)
    w.ingest("acme_2025-06-06.csv", D(2025, 6, 6))
    w.run_days(D(2025, 6, 9), D(2025, 6, 16))
    fees_before = ledger.balance(db_session, "platform_fees")
    wallet_before = ledger.balance(db_session, "carrier_wallet:granite-mutual")
    w.ingest("BAB-031-removed.csv", D(2025, 6, 17), payroll_variant("BAB", drop=("BAB-031",)))
    w.originate(D(2025, 6, 17))
    # 5% of 38.63 = 1.93 (half away from zero): the wallet gives back 36.70, the platform 1.93
    assert ledger.balance(db_session, "platform_fees") - fees_before == 193
    assert ledger.balance(db_session, "carrier_wallet:granite-mutual") - wallet_before == 3670


def test_8_the_setup_fee_is_shown_as_a_setup_fee(db_session, tmp_path):
    w = MoneyWorld(db_session, tmp_path)
    w.ingest("acme_2025-06-06.csv", D(2025, 6, 6))  # WC-CA-1001's first invoice: granite's $250 setup fee
    statement = build_carrier_statement(db_session, "granite-mutual", D(2025, 6, 1), issue_date=D(2025, 7, 1))
    fees = {f.model.value: (f.description, f.amount_cents) for f in statement.fees}
    assert fees["setup"] == ("1 setup fees", 25000) and "flat" not in fees


def test_9_a_zero_invoice_is_paid_through_an_allowed_event(db_session, tmp_path):
    w = MoneyWorld(db_session, tmp_path)
    r = w.ingest("zero.csv", D(2025, 6, 6), payroll_variant("BAB", run_type="regular", zero=True))
    number = r.invoices[0]
    assert w.invoice(number).total_cents == 0
    w.originate(D(2025, 6, 9))
    assert w.invoice(number).status == "paid"
    events = db_session.scalars(select(m.InvoiceStatusChange.event).join(m.Invoice)
                                .where(m.Invoice.number == number).order_by(m.InvoiceStatusChange.id)).all()
    assert events == ["issued", "nothing_due"]
    every_change_allowed(db_session)


def test_10_every_date_written_is_the_business_date(db_session, tmp_path):
    w = MoneyWorld(db_session, tmp_path, accounts={"880123458": "9000000001"})  # R01 then pays
    w.ingest("acme_2025-06-06.csv", D(2025, 6, 6))
    inv = w.invoice("INV-000001")
    assert (inv.issue_date, inv.due_date) == (D(2025, 6, 6), D(2025, 6, 6))
    w.run_days(D(2025, 6, 9), D(2025, 6, 30))
    history = db_session.scalars(select(m.InvoiceStatusChange.business_date)).all()
    assert history and max(history) <= D(2025, 6, 30)
    days = db_session.scalars(select(m.LedgerTransaction.effective_date)).all()
    assert min(days) >= D(2025, 6, 6) and max(days) <= D(2025, 6, 30)
    entries = db_session.execute(select(m.AchEntry.status, m.AchEntry.settled_on, m.AchEntry.returned_on)).all()
    assert {s for s, *_ in entries} == {"settled", "returned"}
    for status, settled_on, returned_on in entries:
        assert (settled_on or returned_on) <= D(2025, 6, 30)


def test_11_a_command_before_db_upgrade_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PAYGO_HOME", str(tmp_path))
    monkeypatch.delenv("PAYGO_DATABASE_URL", raising=False)
    for argv in (["invoices"], ["ach", "settle", "--date", "2025-06-16"], ["remit-bills", "list"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "run `paygo db upgrade`" in err and "Traceback" not in err


def test_12_an_entry_whose_return_waits_for_ops_does_not_settle(db_session, tmp_path):
    from paygo.ach.reconcile import reconcile_return_file

    w = MoneyWorld(db_session, tmp_path, accounts={BAY_AREA: "9000000002"})  # Silver State: R01 once
    w.ingest("acme_2025-06-06.csv", D(2025, 6, 6))
    w.originate(D(2025, 6, 9))
    w.originate(D(2025, 6, 10))  # effective 06-11; both R01 written on 06-12
    (name,) = w.sandbox.process(D(2025, 6, 12))
    data = (w.sandbox.returns / name).read_bytes()
    # `ach reconcile` run without --date months later: the entries are out of the window, unmatched
    r = reconcile_return_file(db_session, data, name=name, received_on=D(2025, 12, 5), cipher=w.cipher)
    db_session.commit()
    assert (r.exceptions, r.applied) == (2, 0)
    result = w.settle(D(2025, 6, 16))
    assert result.settled == 0 and sorted(h.split()[0] for h in result.held) == ["INV-000001", "INV-000003"]
    assert w.invoice("INV-000001").status == "in_flight"
    assert ledger.balance(db_session, "carrier_wallet:granite-mutual") == 25000  # only the setup fee charged
    bay = db_session.scalar(select(m.ExceptionItem).where(m.ExceptionItem.detail.contains("41443 cents")))
    assert main_resolves(bay.id, db_session) and w.settle(D(2025, 6, 16)).settled == 1  # ops decided: it settles
    assert w.invoice("INV-000001").status == "paid" and w.invoice("INV-000003").status == "in_flight"


def main_resolves(item_id: int, s) -> bool:
    item = s.get(m.ExceptionItem, item_id)
    item.resolved_at, item.resolution = date(2025, 6, 16), "not our return: checked with the bank"
    s.commit()
    return True


def test_issue_17_a_retry_after_a_bank_outage_is_sent(db_session, tmp_path):
    """Issue 17 "A retry that is never sent": the file waits for the bank, then R01 comes back."""
    w = MoneyWorld(db_session, tmp_path)  # Silver State (INV-000003) is 9000000001: R01, then pays
    w.ingest("acme_2025-06-06.csv", D(2025, 6, 6))
    w.originate(D(2025, 6, 9))
    w.originate(D(2025, 6, 10), bank_up=False)  # recorded, not uploaded
    w.originate(D(2025, 6, 10))  # uploaded now; no notice for presentment 2 while 1 is in flight
    keys = set(db_session.scalars(select(m.Notification.idempotency_key)))
    assert "pre_debit_notice:INV-000003:2" not in keys
    w.run_days(D(2025, 6, 11), D(2025, 6, 25))
    presentments = db_session.execute(select(m.AchEntry.presentment, m.AchEntry.status).join(m.Invoice)
                                      .where(m.Invoice.number == "INV-000003").order_by(m.AchEntry.id)).all()
    assert [tuple(p) for p in presentments] == [(1, "returned"), (2, "settled")]
    assert w.invoice("INV-000003").status == "paid"


def test_issue_17_an_invoice_whose_notice_key_is_taken_goes_to_ops(db_session, tmp_path):
    """A debit the scheduler cannot announce (its notice key already used) is an exception, not silence."""
    w = MoneyWorld(db_session, tmp_path)
    w.ingest("acme_2025-06-06.csv", D(2025, 6, 6))
    db_session.add(m.Notification(idempotency_key="pre_debit_notice:INV-000001:1", kind="pre_debit_notice",
                                  recipient="x@example.com", subject="s", body="b"))
    db_session.commit()
    for day in (D(2025, 6, 9), D(2025, 6, 10)):  # twice: one exception item, not two
        w.originate(day)
    items = db_session.scalars(select(m.ExceptionItem).where(m.ExceptionItem.kind == "debit_not_schedulable")).all()
    assert [i.detail.split(":")[0] for i in items] == ["INV-000001"]
    assert w.invoice("INV-000001").status == "issued"


def test_sim_an_approved_refund_is_withdrawn_when_its_debit_comes_back(db_session, tmp_path):
    """Found by the lifecycle simulation (seed 1): the debit settled before its R01 was reconciled, a
    credit of the run was approved on that settled money, then the R01 came in. The refund must not
    leave while the debit is being re-presented; once the retry settles, it goes out, once."""
    from paygo.ach.reconcile import reconcile_return_file

    w = MoneyWorld(db_session, tmp_path)  # Silver State (INV-000003) is 9000000001: R01, then pays
    w.ingest("acme_2025-06-06.csv", D(2025, 6, 6))
    w.originate(D(2025, 6, 9))
    w.originate(D(2025, 6, 10))  # effective 06-11
    (name,) = w.sandbox.process(D(2025, 6, 12))  # the R01 waits at the bank, not yet reconciled
    w.settle(D(2025, 6, 13))
    assert w.invoice("INV-000003").status == "paid"
    r = w.ingest("ssb-lower.csv", D(2025, 6, 13), payroll_variant("SSB", drop=("SSB-102",)))
    credit = r.invoices[0]
    w.originate(D(2025, 6, 13))
    assert w.invoice(credit).status == "scheduled"  # approved on money that had settled
    reconcile_return_file(db_session, (w.sandbox.returns / name).read_bytes(), name=name,
                          received_on=D(2025, 6, 13), cipher=w.cipher)
    db_session.commit()
    assert w.invoice(credit).status == "issued"  # withdrawn: its debit came back
    assert w.invoice("INV-000003").status == "scheduled"  # re-presentment 2
    assert ledger.is_posted(db_session, f"reverse:refund_payable:{credit}")
    told = db_session.scalar(select(m.Notification).where(m.Notification.kind == "refund_withdrawn"))
    assert told.idempotency_key == f"refund_withdrawn:{credit}:1" and "postponed" in told.subject
    w.run_days(D(2025, 6, 16), D(2025, 6, 30))
    amount = -w.invoice(credit).total_cents
    assert debited(w, "0001") == [(27, 55011), (27, 55011), (22, amount)]  # the refund once, after the retry paid
    assert w.invoice(credit).status == "paid"
    assert ledger.balance(db_session, "employer_receivable:880123458") == 0
    assert ledger.balance(db_session, "refunds_payable:880123458") == 0
    every_change_allowed(db_session)


def test_soak_a_correction_while_a_retry_waits_adjusts_instead_of_voiding(db_session, tmp_path):
    """Found by the soak (seed 157): after an R01 the invoice waits, `scheduled`, for presentment 2.
    A correction then voided it although it had been debited and had a credit of its own, so the
    run billed less than nothing and that credit was refunded from the next debit."""
    w = MoneyWorld(db_session, tmp_path)  # Silver State (INV-000003) is 9000000001: R01, then pays
    w.ingest("acme_2025-06-06.csv", D(2025, 6, 6))
    w.originate(D(2025, 6, 9))
    w.originate(D(2025, 6, 10))
    first = w.ingest("ssb-1.csv", D(2025, 6, 10), payroll_variant("SSB", drop=("SSB-102",)))
    w.bank_answers(D(2025, 6, 12))
    assert w.invoice("INV-000003").status == "scheduled"  # waiting for its re-presentment
    second = w.ingest("ssb-2.csv", D(2025, 6, 12), payroll_variant("SSB", drop=("SSB-101", "SSB-102")))
    assert second.voided == () and w.invoice(second.invoices[0]).kind == "adjustment"
    w.run_days(D(2025, 6, 13), D(2025, 7, 3))
    billed = sum(t for n, (_, st, t) in w.invoices().items()
                 if st != "void" and n in ("INV-000003", first.invoices[0], second.invoices[0]))
    collected = sum(a for tc, a in debited(w, "0001") if tc == 27) - 55011  # presentment 1 came back
    refunded = sum(a for tc, a in debited(w, "0001") if tc == 22)
    assert billed > 0 and collected - refunded == billed
    assert ledger.balance(db_session, "employer_receivable:880123458") == 0
    every_change_allowed(db_session)
