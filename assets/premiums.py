"""Premium assets: auditable wages and premium per (policy, payroll run, state, class code)."""

import dagster as dg
import polars as pl

from paygo.billing.money import format_cents
from paygo.billing.premium import PricedPayroll, PricingError, price_payroll
from paygo.ingest import ytd_for
from paygo.payroll.validate import PayrollValidation
from pipelines.partitions import payroll_files
from pipelines.resources import PaygoDatabase


@dg.asset(partitions_def=payroll_files, backfill_policy=dg.BackfillPolicy.single_run(), group_name="premiums")
def premium_lines(context: dg.AssetExecutionContext, payroll_file_lines: dict, database: PaygoDatabase):
    """Premium lines of each accepted payroll file, in integer cents, rounded once per line."""
    priced: dict[str, PricedPayroll | None] = {}
    with database.session() as session:
        for key, validation in payroll_file_lines.items():
            validation: PayrollValidation | None
            if validation is None or not validation.accepted:
                priced[key] = None  # rejected, or a roster file (None): nothing downstream for this file
                continue
            rows = validation.rated_rows
            try:
                priced[key] = price_payroll(rows, ytd_for(session, rows))
            except PricingError as exc:
                context.log.error(f"{key}: {exc}")
                priced[key] = None
    done = [p for p in priced.values() if p is not None]
    lines = pl.concat([p.lines for p in done]) if done else None
    total = sum(p.total_premium_cents for p in done)
    return dg.Output(
        priced,
        metadata={
            "files_priced": len(done),
            "files_skipped": len(priced) - len(done),
            "line_count": 0 if lines is None else lines.height,
            "total_premium_cents": total,
            "total_premium": format_cents(total),
            "total_auditable_cents": 0 if lines is None else int(lines["auditable_cents"].sum()),
            "lines": dg.MetadataValue.md(lines_table(lines) if lines is not None else "no lines"),
        },
    )


def lines_table(lines: pl.DataFrame, limit: int = 30) -> str:
    head = "| policy | run | state | class | auditable | rate | premium |\n|---|---|---|---|---:|---:|---:|\n"
    rows = [
        f"| {r['policy_number']} | {r['payroll_run_id']} | {r['state']} | {r['class_code']} | "
        f"{format_cents(r['auditable_cents'])} | {r['net_rate']} | {format_cents(r['premium_cents'])} |"
        for r in lines.head(limit).iter_rows(named=True)
    ]
    more = f"\n\n…and {lines.height - limit} more lines" if lines.height > limit else ""
    return head + "\n".join(rows) + more
