"""Return assets: each bank return / notification-of-change file (a partition) applied exactly once."""

import dagster as dg
from sqlalchemy import select

from paygo.ach.reconcile import RefusedFile, reconcile_return_file
from paygo.config import load_settings
from paygo.db.models import ExceptionItem
from pipelines.partitions import ach_return_files
from pipelines.resources import BankConnection, PaygoClock, PaygoDatabase


@dg.asset(partitions_def=ach_return_files, group_name="returns", pool="money_out")
def ach_return_entries(
    context: dg.AssetExecutionContext, database: PaygoDatabase, bank: BankConnection, clock: PaygoClock
) -> dg.MaterializeResult:
    """Returns and notifications of change of one bank file, matched to their entries and applied."""
    name = context.partition_key
    connection = bank.bank()
    data = connection.fetch_return(name)
    tolerances = load_settings().bank.nacha_tolerances  # the bank's NACHA profile (docs/nacha-tolerances.md)
    with database.session() as session:
        result = reconcile_return_file(session, data, name=name, received_on=clock.today(), cipher=database.cipher(),
                                       tolerances=tolerances)
    connection.archive_return(name)  # only after the commit: a crash before it re-reads the file (a no-op)
    refused = isinstance(result, RefusedFile)
    if refused:
        context.log.error(f"{name} refused whole (exception {result.exception_id}): {len(result.parse_errors)} "
                          "violation(s); nothing applied, the bank must re-deliver it")
    for warning in result.warnings:  # tolerated by the bank's profile: reported, never silent
        context.log.warning(f"{name}: {warning}")
    return dg.MaterializeResult(
        metadata={
            "refused": refused,
            "exception_id": result.exception_id if refused else None,
            "already_reconciled": result.already_reconciled,
            "items": result.items,
            "applied": result.applied,
            "duplicates": result.duplicates,
            "exceptions": result.exceptions,
            "retries_scheduled": result.retries_scheduled,
            "failures": result.failures,
            "clawbacks": result.clawbacks,
            "nocs_applied": result.nocs_applied,
            "accounts": ", ".join(result.masked_accounts) or "none",
            "parse_errors": dg.MetadataValue.json(result.parse_errors),
            "nacha_tolerances": ", ".join(sorted(tolerances)) or "strict",
            "warnings": dg.MetadataValue.json(result.warnings),  # each deviation the profile tolerated
        }
    )


@dg.asset(group_name="returns", deps=[ach_return_entries])
def ach_exception_queue(context: dg.AssetExecutionContext, database: PaygoDatabase) -> dg.MaterializeResult:
    """Returns and notifications of change that matched no entry or could not be applied: ops' queue."""
    with database.session() as session:
        open_items = session.scalars(
            select(ExceptionItem).where(ExceptionItem.resolved_at.is_(None)).order_by(ExceptionItem.id)
        ).all()
        table = "| id | kind | subject | detail | created |\n|---|---|---|---|---|\n" + "\n".join(
            f"| {x.id} | {x.kind} | {x.subject} | {x.detail[:120]} | {x.created_at:%Y-%m-%d %H:%M} |" for x in open_items
        )
    return dg.MaterializeResult(metadata={"open": len(open_items), "items": dg.MetadataValue.md(table)})
