"""Pins `paygo dunning --date` and `paygo notifications`: the command queues the reminders due on the
business date and prints amounts in dollars; a second run of the same date queues nothing; the
outbox listing shows each reminder's state."""

import json
from datetime import date

from paygo.cli import main
from paygo.db import models as m
from paygo.db.session import make_engine, session_scope
from paygo.invoicing.remit import issue_remit_bills
from returns_factory import make_world


def test_dunning_command_twice_and_the_outbox_listing(db_url, tmp_path, monkeypatch, capsys):
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        w = make_world(s)
        s.get(m.PayrollCompany, "acme-payroll").billing_email = "billing@acme.example"
        inv = w.invoice(123_456)
        inv.payment_method = "remit"
        s.flush()
        [number] = issue_remit_bills(s, today=date(2025, 4, 1))
    engine.dispose()
    monkeypatch.setenv("PAYGO_DATABASE_URL", db_url)
    monkeypatch.setenv("PAYGO_HOME", str(tmp_path))
    assert main(["dunning", "--date", "2025-05-03"]) == 0
    out = capsys.readouterr().out
    assert f"payment_reminder:{number}:overdue_1" in out and "1,234.56" in out and "billing@acme.example" in out
    assert "1 reminder(s) queued for 2025-05-03" in out and "1 overdue, $1,234.56 in total" in out
    assert main(["dunning", "--date", "2025-05-03", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["queued"] == [] and again["overdue_cents"] == 123_456
    assert main(["notifications", "--queued", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["key"] == f"payment_reminder:{number}:overdue_1" and row["state"] == "queued"
    assert main(["notifications", "--failed"]) == 0
    assert "0 notification(s)" in capsys.readouterr().out
