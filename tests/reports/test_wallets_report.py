"""Pins the carrier wallet movements: what a wallet holds is minus its ledger balance; movements are
grouped by transaction kind and month of the business date, each month closes at its opening plus its
movements and the next opens there; a kind the report has never heard of shows up under a label made
from its name; `--since` folds earlier months into the opening balance; movements after the report
date are left out; the CSV carries dollars and cents. The ledger is written by the real settlement,
reconciliation and posting functions."""

import csv
import io
from datetime import date

from pypdf import PdfReader
from sqlalchemy import select

from paygo.ach.reconcile import reconcile_return_file
from paygo.ach.settle import settle
from paygo.db import models as m
from paygo.ledger import posting, repo
from paygo.reports import build, render
from paygo.reports.csv_files import WALLET_COLUMNS
from paygo.reports.wallets import WalletMovement, kind_label, wallet_report
from returns_factory import CIPHER, make_world, return_file, returned

AS_OF = date(2025, 5, 31)


def test_labels_known_and_new_kinds():
    assert kind_label("premium_to_carrier") == "Settled premium less carrier fee"
    assert kind_label("payment_applied") == "Remit receipts less carrier fee"
    assert kind_label("carrier_payout") == "Payouts to the carrier"
    assert kind_label("goodwill_credit") == "Goodwill credit"  # unknown: its name in words


def test_pure_months_chain_opening_to_closing():
    mv = [WalletMovement("granite", date(2025, 3, 20), "premium_to_carrier", 2579),
          WalletMovement("granite", date(2025, 3, 31), "carrier_fee", -1000),
          WalletMovement("granite", date(2025, 4, 15), "clawback", -2579),
          WalletMovement("granite", date(2025, 6, 1), "premium_to_carrier", 50)]  # after AS_OF: left out
    r = wallet_report(mv, {"granite": "Granite Mutual", "harbor": "Harbor Casualty"}, AS_OF)
    granite, harbor = r.carriers
    assert [(f"{x.period:%Y-%m}", x.opening_cents, x.movements, x.closing_cents) for x in granite.months] == [
        ("2025-03", 0, {"premium_to_carrier": 2579, "carrier_fee": -1000}, 1579),
        ("2025-04", 1579, {"clawback": -2579}, -1000)]
    assert (granite.credits_cents, granite.debits_cents, granite.closing_cents) == (2579, -3579, -1000)
    assert (harbor.months, harbor.closing_cents) == ((), 0)  # every carrier has a section
    since = wallet_report(mv, {"granite": "Granite Mutual"}, AS_OF, since=date(2025, 4, 1))
    [g] = since.carriers
    assert (g.opening_cents, [x.opening_cents for x in g.months], g.closing_cents) == (1579, [1579], -1000)


def test_wallet_movements_from_the_ledger(sqlite_session, tmp_path):
    s = sqlite_session
    w = make_world(s)  # carrier granite, 5% of premium
    s.add(m.Carrier(id="harbor", name="Harbor Casualty"))
    inv = w.invoice(2715, 150)  # docs/ledger.md worked example: 2,715 less 136 = 2,579 to the wallet
    entry = w.send(inv, effective=date(2025, 3, 18))
    settle(s, today=date(2025, 3, 20))
    repo.post(s, posting.carrier_fee("flat:granite:2025-03", "granite", 1000, "flat monthly fee", date(2025, 3, 31)))
    late = w.invoice(10_000, issued_on=date(2025, 4, 1))
    w.send(late, effective=date(2025, 4, 1))
    settle(s, today=date(2025, 4, 3))  # 10,000 less 500
    reconcile_return_file(s, return_file(tmp_path, [returned("R10", entry)], date(2025, 4, 15)), name="r.ach",
                          received_on=date(2025, 4, 15), cipher=CIPHER)  # late R10: claw back 2,579
    repo.post(s, posting.carrier_payout("granite:2025-05-02", "granite", 5000, date(2025, 5, 2)))
    repo.post(s, posting.transaction("goodwill:granite:1", "goodwill_credit", "goodwill", date(2025, 5, 9),
                                     ("platform_fees", 300), ("carrier_wallet:granite", -300)))
    repo.post(s, posting.carrier_fee("flat:granite:2025-06", "granite", 1000, "flat monthly fee", date(2025, 6, 30)))
    s.commit()

    report = build(s, "wallets", AS_OF)
    granite, harbor = report.carriers
    assert [(f"{x.period:%Y-%m}", x.opening_cents, x.movements, x.closing_cents) for x in granite.months] == [
        ("2025-03", 0, {"premium_to_carrier": 2579, "carrier_fee": -1000}, 1579),
        ("2025-04", 1579, {"premium_to_carrier": 9500, "clawback": -2579}, 8500),
        ("2025-05", 8500, {"carrier_payout": -5000, "goodwill_credit": 300}, 3800)]
    assert harbor.months == () and report.closing_cents == 3800
    # the June fee is after the report date; with it, the wallet's balance is the closing less 1,000
    assert -repo.balance(s, "carrier_wallet:granite") == 3800 - 1000
    assert granite.closing_cents == -sum(
        c for d, c in s.execute(
            select(m.LedgerTransaction.effective_date, m.LedgerEntry.amount_cents)
            .join(m.LedgerEntry, m.LedgerEntry.transaction_id == m.LedgerTransaction.id)
            .join(m.LedgerAccount, m.LedgerAccount.id == m.LedgerEntry.account_id)
            .where(m.LedgerAccount.code == "carrier_wallet:granite")) if d <= AS_OF)

    rows = list(csv.DictReader(io.StringIO(render(report, "wallets", "csv").decode())))
    assert tuple(rows[0]) == WALLET_COLUMNS
    april = [(r["line"], r["kind"], r["amount"], r["amount_cents"]) for r in rows if r["period"] == "2025-04"]
    assert april == [("opening", "", "15.79", "1579"), ("movement", "premium_to_carrier", "95.00", "9500"),
                     ("movement", "clawback", "-25.79", "-2579"), ("closing", "", "85.00", "8500")]
    assert {r["label"] for r in rows if r["kind"] == "goodwill_credit"} == {"Goodwill credit"}
    assert {r["as_of"] for r in rows} == {"2025-05-31"}

    page = "".join(p.extract_text() for p in PdfReader(io.BytesIO(render(report, "wallets", "pdf"))).pages)
    assert "CARRIER WALLET MOVEMENTS" in page and "May 31, 2025" in page
    assert "$38.00" in page and "-$50.00" in page and "Clawbacks (late returns)" in page and "Goodwill credit" in page
