"""NACHA assets: invoices due become CCD debit entries in one file sent to the bank, exactly once."""

from pathlib import Path

import dagster as dg

from assets.invoices import invoice_book
from paygo.ach.originate import originate
from paygo.ach.schedule import schedule_debits
from paygo.ach.verify import file_balances_invoices
from paygo.billing.money import format_cents
from paygo.config import load_settings
from pipelines.resources import BankConnection, PaygoClock, PaygoDatabase, PaygoHome


@dg.asset(group_name="ach", deps=[invoice_book], pool="money_out")
def ach_debit_schedule(context: dg.AssetExecutionContext, database: PaygoDatabase, clock: PaygoClock):
    """Issued ACH invoices scheduled for debit, each with a pre-debit notice to the employer."""
    with database.session() as session:
        scheduled = schedule_debits(session, today=clock.today(), settings=load_settings().bank)
        session.commit()
    return dg.MaterializeResult(metadata={"scheduled": len(scheduled), "date": clock.today().isoformat()})


@dg.asset(
    group_name="ach",
    deps=[ach_debit_schedule],
    pool="money_out",
    check_specs=[
        dg.AssetCheckSpec(
            "ach_file_balances_invoices",
            asset="ach_debit_files",
            description="The NACHA file, parsed back, has the totals, count and entry hash of the invoices it carries.",
        )
    ],
)
def ach_debit_files(
    context: dg.AssetExecutionContext, database: PaygoDatabase, home: PaygoHome, bank: BankConnection,
    clock: PaygoClock,
):
    """Today's NACHA debit file: every invoice due, recorded before upload, confirmed by reading it back."""
    settings = load_settings().bank
    with database.session() as session:
        result = originate(
            session, today=clock.today(), bank=bank.bank(), home=home.folder(), settings=settings,
            cipher=database.cipher(), now=clock.now(),
        )
        file_ids = _file_ids(session, [result.file_name, *result.finished])
        verdicts = {name: file_balances_invoices(session, fid) for name, fid in file_ids.items()}
    yield dg.MaterializeResult(
        metadata={
            "file": result.file_name or "none",
            "status": result.status or "nothing due",
            "entry_count": result.entry_count,
            "total_debit_cents": result.total_debit_cents,
            "total_debit": format_cents(result.total_debit_cents),
            "total_credit_cents": result.total_credit_cents,
            "held": dg.MetadataValue.json([list(h) for h in result.held]),
            "zero_amount_marked_paid": len(result.zero_paid),
            "entries": dg.MetadataValue.md(
                "| invoice | employer | amount | account | effective |\n|---|---|---:|---|---|\n"
                + "\n".join(
                    f"| {e.invoice_number} | {e.employer} | {format_cents(e.amount_cents)} | "
                    f"****{e.account_last4} | {e.effective_date} |"
                    for e in result.entries
                )
            ),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="ach_file_balances_invoices",
                passed=all(ok for ok, _ in verdicts.values()),
                metadata={name: dg.MetadataValue.json(detail) for name, (_, detail) in verdicts.items()}
                or {"files": "no file this run"},
            )
        ],
    )


def _file_ids(session, names) -> dict[str, int]:
    from sqlalchemy import select

    from paygo.db.models import AchFile

    wanted = {n for n in names if n}
    rows = session.execute(select(AchFile.path, AchFile.id)).all() if wanted else []
    return {Path(path).name: fid for path, fid in rows if Path(path).name in wanted}
