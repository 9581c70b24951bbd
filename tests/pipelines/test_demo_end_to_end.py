"""Pins `paygo demo` end to end, as a user runs it: payroll files uploaded over a real (embedded,
loopback) SFTP server with pinned host keys, the Dagster jobs run in process, the sandbox bank
answering with R01, C01 and a late R10. Every figure is checked against a hand computation, money
is conserved to the cent, account numbers never appear in clear, and a second run bills nothing."""

import csv
import os
import stat
from pathlib import Path

import pytest
from pypdf import PdfReader

import paygo.sample_data
from paygo.ach.verify import file_balances_invoices
from paygo.db.session import make_engine, session_scope
from paygo.nacha.read import read_ach
from pipelines.demo import run_demo

SAMPLE = Path(paygo.sample_data.__file__).parent


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    first_lines: list[str] = []
    first = run_demo(out, first_lines.append)
    second_lines: list[str] = []
    second = run_demo(out, second_lines.append)
    return out, first, first_lines, second, second_lines


def test_files_invoices_and_nacha_files(demo):
    out, s, lines, _, _ = demo
    assert {f["name"]: f["status"] for f in s["files"]} == {
        "acme_2025-06-06.csv": "accepted", "summit_2025-06-06.csv": "accepted",
        "summit_2025-06-06_bad.csv": "rejected", "acme_2025-06-06_correction.csv": "accepted",
    }
    kinds = sorted((i["kind"], i["status"]) for i in s["invoices"])
    # 5 runs -> 5 invoices; the correction after its debit -> 1 adjustment; Lone Star pays by remit
    # (its bill paid by check on 07-15); Hoosier's R10 failure re-presented by ops, then paid
    assert kinds == [("adjustment", "paid")] + [("invoice", "paid")] * 5
    # the adjustment bills the difference: corrected run 493.60 - first invoice 414.43 = 79.17
    assert [i["total_cents"] for i in s["invoices"] if i["kind"] == "adjustment"] == [7917]
    assert [(f["entries"], f["debit_cents"], f["credit_cents"]) for f in s["ach_files"]] == [
        (4, 129996, 0), (1, 7917, 0), (1, 55011, 0), (1, 6416, 0), (2, 0, 64703 + 84145)]
    with session_scope(make_engine(f"sqlite:///{out / 'paygo.db'}")) as session:
        for n in range(1, 5):
            ok, detail = file_balances_invoices(session, n)
            assert ok, detail
    aging = (out / "reports" / "aging-2025-07-15.csv").read_text()
    assert "56653" in aging  # the June remit bill, open and current on 07-15, before Acme's check
    aging_pdf = "".join(p.extract_text() for p in PdfReader(out / "reports" / "aging-2025-07-15.pdf").pages)
    assert "$566.53" in aging_pdf
    for path in (out / "ach" / "outgoing").iterdir():
        parsed = read_ach(path.read_bytes())
        assert parsed.valid and not parsed.errors
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_returns_retries_settlement_and_wallets(demo):
    _, s, _, _, _ = demo
    assert {(r["kind"], r["code"], r["status"]) for r in s["returns"]} == {
        ("return", "R01", "applied"), ("noc", "C01", "applied"), ("return", "R10", "applied")
    }
    # Silver State's R01 re-presented once (RETRY PYMT), then paid; Hoosier's invoice, failed by the
    # late R10, re-presented by ops after a new authorization and account (PREMIUM), then paid
    assert s["re_presentments"] == 2
    debited = 129996 + 7917 + 55011 + 6416
    settled, returned = s["entries"]["settled"]["cents"], s["entries"]["returned"]["cents"]
    assert settled + returned == debited  # every entry ends settled or returned, to the cent
    assert returned == 55011 + 6416  # the R01 presentment and Hoosier's R10 after settlement
    # granite-mutual: Bay Area 414.43 + 79.17 at 5% -> 493.60 - 24.68 = 468.92; Silver State 550.11
    # at the policy's 4% -> 550.11 - 22.00 = 528.11; less the 250.00 setup fee -> 747.03
    # harbor-casualty (cycle-based: the 3.50 fee is the employer's, on the invoice): Keystone
    # 271.26 - 3.50 = 267.76; Hoosier settled, clawed back by the R10, re-presented and settled:
    # 64.16 - 3.50 = 60.66; Lone Star's remit bill paid by check: 566.53 - 3.50 = 563.03 -> 891.45
    # then each wallet above its reserve (granite 100.00, harbor 50.00) is paid out by ACH credit
    assert s["payouts"] == [{"carrier": "granite-mutual", "cents": 64703, "status": "settled"},
                            {"carrier": "harbor-casualty", "cents": 84145, "status": "settled"}]
    assert s["carrier_wallets_cents"] == {"granite-mutual": 10000, "harbor-casualty": 5000}
    assert s["remit_payments"] == {"count": 1, "cents": 56653}
    assert s["open_exceptions"] == 0


def test_the_remit_employer_gets_one_consolidated_bill_for_june(demo):
    out, s, lines, _, _ = demo
    # Lone Star Staffing pays by remit: its 566.53 invoice is never debited, and once June is over
    # Acme Payroll gets one numbered bill for it, due 30 days after 2025-07-01
    assert [i["status"] for i in s["invoices"] if i["employer"] == "Lone Star Staffing Inc"] == ["paid"]
    text = "".join(page.extract_text() for page in PdfReader(out / "invoices" / "REMIT-000001.pdf").pages)
    assert "REMIT-000001" in text and "$566.53" in text and "Jul 31, 2025" in text
    assert any("remit bill" in line for line in lines)


def test_a_second_run_bills_nothing_new(demo):
    _, first, _, second, second_lines = demo
    for key in ("files", "invoices", "ach_files", "returns", "entries", "carrier_wallets_cents"):
        assert second[key] == first[key], key
    assert any("duplicate" in line for line in second_lines)


def test_account_numbers_never_appear_in_clear(demo):
    out, _, first_lines, _, second_lines = demo
    with open(SAMPLE / "reference" / "employers.csv") as f:
        accounts = [r["bank_account"] for r in csv.DictReader(f) if r["bank_account"]]
    accounts.append("9000000055")  # the corrected account the C01 notification of change carried
    printed = "\n".join(first_lines + second_lines)
    documents = [p for folder in ("invoices", "statements", "notifications") for p in (out / folder).rglob("*")
                 if p.is_file()]
    assert documents
    for account in accounts:
        assert account not in printed
        for doc in documents:
            assert account.encode() not in doc.read_bytes(), doc
    assert stat.S_IMODE(os.stat(out / "account.key").st_mode) == 0o600
