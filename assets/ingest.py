"""Ingest assets: one payroll file per partition, kept as received, then validated."""

from collections import Counter
from pathlib import Path

import dagster as dg
import polars as pl

from paygo.payroll.validate import PayrollValidation, validate_payroll_file
from pipelines.partitions import payroll_files
from pipelines.resources import PayrollInbox, RawFileStore, ReferenceData

MAX_ERRORS_SHOWN = 50


@dg.asset(partitions_def=payroll_files, group_name="ingest")
def raw_payroll_files(context: dg.AssetExecutionContext, inbox: PayrollInbox, raw_store: RawFileStore):
    """One payroll file exactly as received, kept under PAYGO_HOME by its sha256."""
    data = inbox.fetch(context.partition_key)
    digest, path = raw_store.keep(data)
    return dg.Output(
        {"path": str(path), "sha256": digest, "inbox_path": context.partition_key},
        metadata={"sha256": digest, "bytes": len(data), "stored_at": dg.MetadataValue.path(str(path))},
    )


def validation_metadata(result: PayrollValidation) -> dict:
    """Counts of errors by (column, reason) and the first errors as a table: what ops need to see."""
    by_kind = Counter((e.column or "(file)", e.error) for e in result.errors)
    shown = result.errors[:MAX_ERRORS_SHOWN]
    table = "| row | column | value | error |\n|---|---|---|---|\n" + "\n".join(
        f"| {e.row if e.row is not None else ''} | {e.column or ''} | {_cell(e.value)} | {_cell(e.error)} |"
        for e in shown
    )
    return {
        "status": "accepted" if result.accepted else "rejected",
        "rows": result.rows,
        "error_count": len(result.errors),
        "errors_by_column": {f"{col}: {why}": n for (col, why), n in by_kind.most_common(20)},
        "errors": dg.MetadataValue.md(table if shown else "no errors"),
    }


def _cell(text: str | None) -> str:
    return "" if text is None else text.replace("|", "\\|").replace("\n", " ")[:80]


@dg.asset(
    partitions_def=payroll_files,
    group_name="ingest",
    check_specs=[dg.AssetCheckSpec("matches_payroll_schema", asset="payroll_file_lines", blocking=True)],
)
def payroll_file_lines(context: dg.AssetExecutionContext, raw_payroll_files: dict, reference: ReferenceData):
    """Rows of one payroll file, typed, checked against the payroll file format v1 and rated."""
    result = validate_payroll_file(Path(raw_payroll_files["path"]).read_bytes(), reference.policy_book())
    metadata = validation_metadata(result)
    rows = result.rated_rows if result.rated_rows is not None else pl.DataFrame()
    yield dg.Output(rows, metadata={"status": metadata["status"], "rows": result.rows, "sha256": result.file_sha256})
    yield dg.AssetCheckResult(check_name="matches_payroll_schema", passed=result.accepted, metadata=metadata)
