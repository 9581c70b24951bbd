"""Pins the Dagster `payment_reminders` asset on a real SQLite database: it queues the reminders due
on the clock's business date and reports counts per stage and the overdue total in dollars; a
second materialization of the same day queues nothing."""

from datetime import date

import dagster as dg

from assets.dunning import payment_reminders
from paygo.db import models as m
from paygo.db.migrate import upgrade
from paygo.db.session import make_engine, session_scope
from paygo.invoicing.remit import issue_remit_bills
from pipelines.resources import PaygoClock, PaygoDatabase
from returns_factory import make_world


def test_asset_reports_stages_and_overdue_dollars(tmp_path):
    url = f"sqlite:///{tmp_path / 'paygo.db'}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as s:
        w = make_world(s)
        s.get(m.PayrollCompany, "acme-payroll").billing_email = "billing@acme.example"
        inv = w.invoice(98_765)
        inv.payment_method = "remit"
        s.flush()
        issue_remit_bills(s, today=date(2025, 4, 1))  # due 2025-05-01
    engine.dispose()
    resources = {"database": PaygoDatabase(url=url), "clock": PaygoClock(fixed_date="2025-05-17")}
    metadata = []
    for _ in range(2):
        with dg.instance_for_test() as instance:
            result = dg.materialize([payment_reminders], resources=resources, instance=instance)
        [event] = result.get_asset_materialization_events()
        metadata.append({k: v.value for k, v in event.materialization.metadata.items()})
    first, second = metadata
    assert first["queued"] == 1 and first["queued_by_stage"] == {"overdue_15": 1}
    assert first["overdue"] == 1 and first["overdue_total"] == "$987.65"
    assert second["queued"] == 0 and second["overdue_total"] == "$987.65"
