"""Premium assets: auditable wages and premium per (policy, payroll run, state, class code)."""

import dagster as dg
import polars as pl

from paygo.billing.money import format_cents
from paygo.billing.premium import price_payroll
from pipelines.partitions import payroll_files


@dg.asset(partitions_def=payroll_files, group_name="premiums")
def premium_lines(context: dg.AssetExecutionContext, payroll_file_lines: pl.DataFrame):
    """Premium lines of one accepted payroll file, in integer cents, rounded once per line."""
    priced = price_payroll(payroll_file_lines)
    lines = priced.lines
    return dg.Output(
        lines,
        metadata={
            "line_count": lines.height,
            "total_premium_cents": priced.total_premium_cents,
            "total_premium": format_cents(priced.total_premium_cents),
            "total_auditable_cents": int(lines["auditable_cents"].sum()) if lines.height else 0,
            "lines": dg.MetadataValue.md(_lines_table(lines)),
        },
    )


def _lines_table(lines: pl.DataFrame, limit: int = 30) -> str:
    head = "| policy | run | state | class | auditable | rate | premium |\n|---|---|---|---|---:|---:|---:|\n"
    rows = [
        f"| {r['policy_number']} | {r['payroll_run_id']} | {r['state']} | {r['class_code']} | "
        f"{format_cents(r['auditable_cents'])} | {r['net_rate']} | {format_cents(r['premium_cents'])} |"
        for r in lines.head(limit).iter_rows(named=True)
    ]
    more = f"\n\n…and {lines.height - limit} more lines" if lines.height > limit else ""
    return head + "\n".join(rows) + more
