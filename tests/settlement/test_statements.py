"""Pins the monthly carrier statement read from the ledger: settled premium, fees by billing model
(percentage, cycle-based listed not deducted, flat, setup), clawbacks in the month they happen, and
net = the month's change of the wallet; written as PDF and CSV by `paygo statements`."""

from datetime import date

from paygo.ach.settle import settle
from paygo.cli import main
from paygo.ledger import posting, repo
from paygo.statements import build_carrier_statement, write_carrier_statement
from returns_factory import CIPHER, make_world, return_file, returned
from paygo.ach.reconcile import reconcile_return_file


def test_statement_by_model_and_clawback_month(db_session, tmp_path):
    s = db_session
    w = make_world(s)
    a = w.invoice(2715, 150)
    b = w.invoice(10000)
    w.send(a, effective=date(2025, 3, 18))
    eb = w.send(b, effective=date(2025, 3, 18))
    settle(s, today=date(2025, 3, 20))
    repo.post(s, posting.carrier_fee("flat:granite:2025-03", "granite", 5000, "flat monthly fee", date(2025, 3, 31)))
    repo.post(s, posting.carrier_fee(f"setup:{w.policy.number}:1", "granite", 2500, "setup fee", date(2025, 3, 5)))
    # April: b (10000, fee 500) comes back R10 -> clawback of 9500 from the wallet
    reconcile_return_file(s, return_file(tmp_path, [returned("R10", eb)], date(2025, 4, 10)), name="r",
                          received_on=date(2025, 4, 10), cipher=CIPHER)
    s.commit()
    march = build_carrier_statement(s, "granite", date(2025, 3, 1), issue_date=date(2025, 4, 1))
    fees = {f.model.value: f.amount_cents for f in march.fees}
    # percentage: 5% of 2715 = 136, of 10000 = 500; cycle 150 (employer-paid); flat 5000; setup 2500
    assert fees == {"percentage": 636, "cycle_based": 150, "flat": 5000, "setup": 2500}
    # net = 12715 - (636 + 5000 + 2500) - 0 = 4579
    assert (march.settled_premium_cents, march.clawbacks_cents, march.net_cents) == (12715, 0, 4579)
    april = build_carrier_statement(s, "granite", date(2025, 4, 1), issue_date=date(2025, 5, 1))
    assert (april.settled_premium_cents, april.clawbacks_cents, april.net_cents) == (0, 9500, -9500)
    assert -repo.balance(s, "carrier_wallet:granite") == march.net_cents + april.net_cents  # 4579 - 9500
    pdf, csv_path, written = write_carrier_statement(s, "granite", date(2025, 3, 1), tmp_path,
                                                     issue_date=date(2025, 4, 1))
    assert written == march
    assert pdf.read_bytes().startswith(b"%PDF") and "total,Granite Mutual,2025-03" in csv_path.read_text()


def test_statements_command_writes_under_home(db_url, tmp_path, monkeypatch, capsys):
    from paygo.db.session import make_engine, session_scope

    engine = make_engine(db_url)
    with session_scope(engine) as s:
        w = make_world(s)
        w.send(w.invoice(2715, 150), effective=date(2025, 3, 18))
        settle(s, today=date(2025, 3, 20))
    engine.dispose()
    monkeypatch.setenv("PAYGO_DATABASE_URL", db_url)
    monkeypatch.setenv("PAYGO_HOME", str(tmp_path))
    assert main(["statements", "--month", "2025-03"]) == 0
    assert (tmp_path / "statements" / "granite-2025-03.pdf").exists()
    assert "net $25.79" in capsys.readouterr().out  # 2715 - 136


def test_flat_monthly_fee_is_charged_once_per_month_while_a_policy_is_in_force(db_session):
    from paygo.statements import post_flat_fees

    s = db_session
    make_world(s, fee_type="flat", fee_rate=None, fee_amount_cents=40000)  # $400.00 a month
    # the policy runs 2025-01-01 .. 2026-01-01: March is covered, 2026-02 is not
    assert post_flat_fees(s, "granite", date(2025, 3, 15)) == ["flat:granite:2025-03"]
    assert post_flat_fees(s, "granite", date(2025, 3, 1)) == ["flat:granite:2025-03"]  # same key: posted once
    s.commit()
    assert repo.balance(s, "carrier_wallet:granite") == 40000 and repo.balance(s, "platform_fees") == -40000
    assert post_flat_fees(s, "granite", date(2026, 2, 1)) == []
    march = build_carrier_statement(s, "granite", date(2025, 3, 1), issue_date=date(2025, 4, 1))
    assert {f.model.value: f.amount_cents for f in march.fees} == {"flat": 40000}
    assert march.net_cents == -40000  # nothing settled yet: the carrier owes the fee


def test_previous_month_crosses_the_year():
    from paygo.statements import previous_month

    assert previous_month(date(2025, 3, 15)) == date(2025, 2, 1)
    assert previous_month(date(2025, 1, 1)) == date(2024, 12, 1)
