"""Dunning asset: the daily overdue pass that queues payment reminders (paygo.dunning)."""

import dagster as dg

from paygo.billing.money import format_cents
from paygo.dunning import run_dunning
from pipelines.resources import PaygoClock, PaygoDatabase


@dg.asset(group_name="dunning")
def payment_reminders(context: dg.AssetExecutionContext, database: PaygoDatabase, clock: PaygoClock):
    """Payment reminders due today before and after due dates, each queued once in the outbox."""
    today = clock.today()
    with database.session() as session:
        result = run_dunning(session, today=today)
    by_kind = result.overdue_cents_by_kind()
    return dg.MaterializeResult(metadata={
        "date": today.isoformat(),
        "queued": len(result.queued),
        "queued_by_stage": dg.MetadataValue.json(result.by_stage),
        "without_contact": len(result.no_contact),
        "overdue": len(result.overdue),
        "overdue_total": f"${format_cents(result.overdue_cents)}",
        "overdue_total_cents": result.overdue_cents,
        "overdue_by_kind": dg.MetadataValue.json({k: f"${format_cents(c)}" for k, c in by_kind.items()}),
        "overdue_items": dg.MetadataValue.json([
            {"number": o.number, "due_date": o.due_date.isoformat(), "days_past_due": (today - o.due_date).days,
             "open": f"${format_cents(o.open_cents)}"} for o in result.overdue[:100]]),
    })
