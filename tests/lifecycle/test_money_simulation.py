"""The money lifecycle, proven by simulation (issue 11, "The simulation (the proof)").

What is simulated and why: see simulation.py. In short, our side is the real code on a real
database; the bank (outside our walls) and the payroll companies are scripted from a seed.
`test_money_simulation_sqlite` is the bounded CI run: fixed seeds and steps; a failure prints the
seed, the invariant and the shortest failing sequence of steps the shrinker found in its budget,
with the command that replays it. The long soak is `bench/lifecycle_soak.py` (docs in its header).
`test_checker_sees_*` prove each invariant can fail: a small real scenario, one tampered fact, and
the checker must name the invariant it breaks.
"""

from __future__ import annotations

import random
import time
from datetime import date

import pytest
from sqlalchemy import select

from simulation import (
    EMPLOYERS,
    BankEntry,
    Outcome,
    PostgresDatabases,
    Run,
    Simulation,
    SqliteDatabases,
    format_failure,
    make_plan,
    new_rows,
    run_plan,
    shrink,
)

from paygo.calendar import add_banking_days
from paygo.db import models as m
from paygo.ledger import posting
from paygo.ledger import repo as ledger

SEEDS = range(6)  # with STEPS, about 40 s on SQLite on a 2-core machine when nothing fails
STEPS = 150
BUDGET_SECONDS = 85.0  # shrinking (only when something failed) gets what is left of it, 5 s at least
PG_SEED, PG_STEPS = 1000, 60


def _simulate(databases, workdir, seeds, steps: int, budget_seconds: float) -> str | None:
    """Every seed's first failure; the shortest one shrunk; the report, or None when all held."""
    started = time.monotonic()
    failures = []
    for seed in seeds:
        found, _ = run_plan(seed, make_plan(seed, steps), databases, workdir)
        if found is not None:
            failures.append(found)
    if not failures:
        return None
    first = min(failures, key=lambda f: len(f.steps))
    left = max(5.0, budget_seconds - (time.monotonic() - started))
    shortest = shrink(first, databases, workdir, budget_seconds=left)
    summary = "\n".join(f"  seed {f.seed}: invariant {f.key} after step {len(f.steps)}: "
                        f"{str(f.violations[0]).splitlines()[0][:300]}" for f in failures)
    return (f"{len(failures)} of {len(list(seeds))} seeds broke an invariant:\n{summary}\n\n"
            + format_failure(shortest, original=first, steps=steps))


def test_money_simulation_sqlite(tmp_path):
    report = _simulate(SqliteDatabases(tmp_path), tmp_path, SEEDS, STEPS, BUDGET_SECONDS)
    assert report is None, report


@pytest.mark.postgres
def test_money_simulation_postgresql(tmp_path, postgres_cluster, postgres_template):
    report = _simulate(PostgresDatabases(postgres_cluster, postgres_template), tmp_path, [PG_SEED], PG_STEPS,
                       BUDGET_SECONDS / 2)
    assert report is None, report


# --- each invariant can fail -------------------------------------------------------------------

BAY_AREA = EMPLOYERS["946123457"]  # pays by ACH debit, carrier granite-mutual (5% of premium)


@pytest.fixture
def settled(tmp_path):
    """One Bay Area Bakery run debited, answered by the bank, reconciled and settled; returns the
    simulation (its checker has seen that state) and the invoice."""
    databases = SqliteDatabases(tmp_path)
    sim = Simulation(7, databases.new(), tmp_path / "home")
    rows = new_rows(BAY_AREA, random.Random(3))
    sim._ingest_runs([(Run(BAY_AREA, "BAB-T0001", sim.world.today, rows), "regular")], "test run")
    sim._originate(True)
    for _ in range(3):
        sim.world.today = add_banking_days(sim.world.today, 2)
        sim.check()
        sim.bank.answer(sim.world.today, random.Random(0))
        sim._reconcile()
        sim.world.settle()
        sim._originate(True)
    assert sim.check() == []
    s = sim.world.session
    invoice = s.scalar(select(m.Invoice).where(m.Invoice.payroll_run_id == "BAB-T0001"))
    assert invoice.status == "paid"
    yield sim, invoice
    sim.close()


def _keys(sim: Simulation) -> set[str]:
    return {v.key for v in sim.check()}


def test_checker_sees_an_unbalanced_ledger_transaction(settled):
    sim, _ = settled
    s = sim.world.session
    txn = m.LedgerTransaction(idempotency_key="tampered", kind="debit_settled", description="tampered",
                              effective_date=sim.world.today, content_sha256="0" * 64)
    s.add(txn)
    s.flush()
    account = s.scalar(select(m.LedgerAccount.id).where(m.LedgerAccount.code == "cash_at_bank"))
    s.add(m.LedgerEntry(transaction_id=txn.id, account_id=account, amount_cents=1))
    s.commit()
    assert "1" in _keys(sim)


def test_checker_sees_a_run_collected_twice(settled):
    sim, invoice = settled
    s = sim.world.session
    first = s.scalar(select(m.AchEntry).where(m.AchEntry.invoice_id == invoice.id, m.AchEntry.status == "settled"))
    used = set(s.scalars(select(m.AchEntry.presentment).where(m.AchEntry.invoice_id == invoice.id)))
    s.add(m.AchEntry(ach_file_id=first.ach_file_id, invoice_id=invoice.id, presentment=min({1, 2, 3} - used),
                     trace_number="011000019999999", amount_cents=first.amount_cents,
                     transaction_code=first.transaction_code, effective_date=first.effective_date,
                     routing=first.routing, account_last4=first.account_last4,
                     bank_details_version=first.bank_details_version, status="settled"))
    s.commit()
    keys = _keys(sim)
    assert {"2a", "2c"} <= keys


def test_checker_sees_money_the_ledger_does_not_know(settled):
    sim, invoice = settled
    sim.bank.received.append(BankEntry("PAYGO-X.ach", "011000019999998", 27, 1234, "9999", invoice.number,
                                       "BAY AREA BAKERY INC", date(2025, 6, 18)))
    assert "3" in _keys(sim)


def test_checker_sees_money_settled_that_the_bank_never_received(settled):
    sim, _ = settled
    sim.bank.received.clear()  # as if every file had stayed recorded, never uploaded
    assert "3s" in _keys(sim)


def test_checker_sees_a_void_invoice_reaching_the_bank(settled):
    sim, invoice = settled
    sim.checker.void_before.add(invoice.number)
    keys = {v.key for v in sim.checker.check([BankEntry("PAYGO-X.ach", "011000019999997", 27, 100, "9999",
                                                        invoice.number, "BAY AREA BAKERY INC", sim.world.today)],
                                               None)}
    assert "4" in keys


def test_checker_sees_a_forbidden_status_change(settled):
    sim, invoice = settled
    s = sim.world.session
    row = dict(invoice_id=invoice.id, from_status="paid", to_status="issued", changed_by="tamper", reason="tampered")
    if hasattr(m.InvoiceStatusChange, "event"):  # history rows carry their event and business date (0004)
        row.update(event="issued", business_date=sim.world.today)
    s.add(m.InvoiceStatusChange(**row))
    s.commit()
    assert "5" in _keys(sim)


def test_checker_sees_a_wallet_that_lost_money(settled):
    sim, _ = settled
    ledger.post(sim.world.session, posting.carrier_payout("tampered", "granite-mutual", 100, sim.world.today))
    sim.world.session.commit()
    assert "6" in _keys(sim)


def test_checker_sees_a_notice_for_a_debit_that_is_not_happening(settled):
    sim, invoice = settled
    s = sim.world.session
    s.add(m.Notification(idempotency_key=f"pre_debit_notice:{invoice.number}:5", kind="pre_debit_notice",
                         recipient="ap@example.com", subject="tampered", body="tampered"))
    s.commit()
    assert "8" in _keys(sim)


def test_checker_sees_a_rerun_that_changes_something(settled):
    sim, _ = settled
    s = sim.world.session

    def changes_something():
        s.add(m.Notification(idempotency_key="tampered", kind="payment_confirmation", recipient="ap@example.com",
                             subject="tampered", body="tampered"))
        s.commit()
        return Outcome(None)

    sim._same(changes_something, "a tampered command")
    assert "7-rerun" in _keys(sim)


def test_checker_sees_remit_money_the_ledger_never_received(settled):
    sim, invoice = settled
    s = sim.world.session
    s.add(m.Payment(number="PAY-999999", payer_kind="employer", payer_id="946123457", reference="tampered",
                    method="wire", amount_cents=500, received_on=sim.world.today, source="tamper"))
    s.commit()
    assert "9" in _keys(sim)
