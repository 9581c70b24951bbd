"""Invoice assets: each accepted payroll file billed (runs, premium lines, invoices, ledger) in one
transaction by `paygo.ingest`, then its PDFs written and the inbox file archived or rejected.

Both assets also re-create any invoice or remit bill PDF missing on disk (`repair_missing_pdfs`):
a run killed after its commit and before its PDFs is retried as a duplicate, which bills nothing
and so would write nothing. The check `every_issued_invoice_has_its_pdf` (pipelines/checks.py)
then finds every file in place."""

import dagster as dg

from paygo.billing.money import format_cents
from paygo.ingest import IngestResult, ingest_payroll_file
from paygo.invariants import invoice_counts
from paygo.invoicing.pdfs import repair_missing_pdfs, write_invoice_pdfs
from paygo.invoicing.remit import issue_remit_bills
from paygo.payroll.reports import acknowledgement, rejection_report
from pipelines.partitions import payroll_files
from pipelines.resources import PaygoClock, PaygoDatabase, PaygoHome, PayrollInbox


@dg.asset(
    partitions_def=payroll_files,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="invoices",
    pool="money_out",
)
def invoices(
    context: dg.AssetExecutionContext,
    raw_payroll_files: dict,
    premium_lines: dict,
    database: PaygoDatabase,
    home: PaygoHome,
    inbox: PayrollInbox,
    clock: PaygoClock,
):
    """Invoices for each payroll file, stored with its runs and premium lines in one transaction."""
    results: dict[str, IngestResult] = {}
    for key, f in raw_payroll_files.items():
        with database.session() as session:
            results[key] = ingest_payroll_file(
                session, f.data, company_id=f.company_id, original_name=f.name,
                home=home.folder(), received_at=clock.now(), business_date=clock.today(), by="dagster invoices",
            )
        context.log.info(f"{key}: {results[key].status} {results[key].message}")
    with database.session() as session:
        # This batch's invoices (created, or voided by a correction), then any file missing: a
        # duplicate may be the retry of a run that committed but crashed before its PDFs.
        touched = [n for r in results.values() for n in (*r.invoices, *r.voided)]
        pdfs = write_invoice_pdfs(session, home.folder(), numbers=touched)
        repaired = repair_missing_pdfs(session, home.folder())
    if repaired:
        context.log.warning(f"re-created {len(repaired)} missing PDF(s): {', '.join(repaired[:20])}")
    # Only after the commit: move the remote file and tell the payroll company what happened.
    outcomes = {}
    for key, r in results.items():
        name = raw_payroll_files[key].name
        if r.status == "rejected":
            outcomes[key] = (False, rejection_report(name, r.file_sha256, r.errors))
        else:
            outcomes[key] = (True, acknowledgement(name, r.file_sha256, r.status, r.invoices, r.billed_cents, r.message))
    moved = inbox.finish(outcomes)
    billed = sum(r.billed_cents for r in results.values())
    return dg.Output(
        {k: (r.status, r.invoices) for k, r in results.items()},
        metadata={
            "accepted": sum(r.status == "accepted" for r in results.values()),
            "rejected": sum(r.status == "rejected" for r in results.values()),
            "duplicates": sum(r.status == "duplicate" for r in results.values()),
            "invoices_created": sum(len(r.invoices) for r in results.values()),
            "billed_cents": billed,
            "billed": format_cents(billed),
            "pdfs_written": len(pdfs),
            "pdfs_repaired": len(repaired),
            "files_moved": len(moved),
            "invoices": dg.MetadataValue.md(
                "| file | status | invoices | billed |\n|---|---|---|---:|\n"
                + "\n".join(
                    f"| {k} | {r.status} | {', '.join(r.invoices)} | {format_cents(r.billed_cents)} |"
                    for k, r in sorted(results.items())
                )
            ),
        },
    )


@dg.asset(group_name="invoices", deps=[invoices])
def invoice_book(
    context: dg.AssetExecutionContext, database: PaygoDatabase, home: PaygoHome, clock: PaygoClock
) -> dg.MaterializeResult:
    """All invoices by status, with the consolidated remit bills of every ended month issued."""
    with database.session() as session:
        bills = issue_remit_bills(session, today=clock.today(), issued_at=clock.now())
    with database.session() as session:  # after the commit: the PDFs of the bills just issued
        write_invoice_pdfs(session, home.folder(), numbers=bills)
        repaired = repair_missing_pdfs(session, home.folder())  # and any a crash lost
        counts = invoice_counts(session)
    if bills:
        context.log.info(f"remit bills issued: {', '.join(bills)}")
    if repaired:
        context.log.warning(f"re-created {len(repaired)} missing PDF(s): {', '.join(repaired[:20])}")
    return dg.MaterializeResult(
        metadata={f"{status}_count": n for status, (n, _) in sorted(counts.items())}
        | {f"{status}_cents": total for status, (_, total) in sorted(counts.items())}
        | {"remit_bills_issued": len(bills), "pdfs_repaired": len(repaired)}
    )
