"""Ingest assets: payroll files from the company inboxes, kept as received, then validated.

Files of one sensor tick run in one run (BackfillPolicy.single_run), so each asset handles every
partition of its run and returns a dict keyed by partition. Validation failures are data: a
rejected file is reported red by the `matches_payroll_schema` check and skipped downstream, while
the other files of the batch go on (one bad file never blocks another). The check is therefore
not `blocking`; the money guard is `paygo.ingest`, which re-validates before it bills anything.
"""

from collections import Counter

import dagster as dg

from paygo.ingest import client_feins, store_raw
from paygo.mappings import is_roster_file, validate_for_company
from paygo.payroll.validate import PayrollValidation
from pipelines.partitions import payroll_files
from pipelines.resources import PaygoDatabase, PaygoHome, PayrollInbox, ReceivedFile

MAX_ERRORS_SHOWN = 50
BATCH = dg.BackfillPolicy.single_run()


@dg.asset(partitions_def=payroll_files, backfill_policy=BATCH, group_name="ingest")
def raw_payroll_files(context: dg.AssetExecutionContext, inbox: PayrollInbox, home: PaygoHome):
    """Payroll files exactly as received from the company inboxes, kept under PAYGO_HOME by sha256."""
    received = inbox.fetch(list(context.partition_keys))
    for f in received.values():
        store_raw(home.folder(), f.sha256, f.data)
    return dg.Output(
        received,
        metadata={
            "files": len(received),
            "bytes": sum(len(f.data) for f in received.values()),
            "sha256": dg.MetadataValue.md(
                "| file | sha256 | bytes |\n|---|---|---:|\n"
                + "\n".join(f"| {k} | {f.sha256} | {len(f.data)} |" for k, f in sorted(received.items()))
            ),
        },
    )


def errors_table(validations: dict[str, PayrollValidation]) -> str:
    lines = ["| file | row | column | value | error |", "|---|---|---|---|---|"]
    shown = 0
    for key, v in sorted(validations.items()):
        for e in v.errors:
            if shown == MAX_ERRORS_SHOWN:
                lines.append(f"| … | | | | {sum(len(x.errors) for x in validations.values()) - shown} more |")
                return "\n".join(lines)
            row = "" if e.row is None else e.row
            lines.append(f"| {key} | {row} | {_cell(e.column_text)} | {_cell(e.value)} | {_cell(e.error)} |")
            shown += 1
    return "\n".join(lines)


def _cell(text: str | None) -> str:
    return "" if text is None else text.replace("|", "\\|").replace("\n", " ")[:80]


def validation_metadata(validations: dict[str, PayrollValidation]) -> dict:
    rejected = sorted(k for k, v in validations.items() if not v.accepted)
    by_kind = Counter((e.column or "(file)", e.error) for v in validations.values() for e in v.errors)
    return {
        "files": len(validations),
        "accepted": len(validations) - len(rejected),
        "rejected": len(rejected),
        "rejected_files": ", ".join(rejected) or "none",
        "error_count": sum(by_kind.values()),
        "errors_by_column": {f"{col}: {why}"[:120]: n for (col, why), n in by_kind.most_common(20)},
        "errors": dg.MetadataValue.md(errors_table(validations) if rejected else "no errors"),
        # issue 13: the mapping profile (`id@version`) and roster versions each file was read with
        "read_with": dg.MetadataValue.md(
            "| file | mapping profile | roster |\n|---|---|---|\n"
            + "\n".join(f"| {k} | {v.mapping or 'canonical'} | {v.roster or ''} |" for k, v in sorted(validations.items()))),
    }


@dg.asset(
    partitions_def=payroll_files,
    backfill_policy=BATCH,
    group_name="ingest",
    check_specs=[
        dg.AssetCheckSpec(
            "matches_payroll_schema",
            asset="payroll_file_lines",
            description="Every payroll file of the run follows payroll file format v1 and its row rules.",
        )
    ],
)
def payroll_file_lines(context: dg.AssetExecutionContext, raw_payroll_files: dict, database: PaygoDatabase):
    """Rows of each payroll file, typed, checked against the payroll file format v1 and rated."""
    book = database.policy_book()
    validations: dict[str, PayrollValidation] = {}
    rosters: list[str] = []
    with database.session() as session:
        for key, f in raw_payroll_files.items():
            f: ReceivedFile
            if is_roster_file(f.name):  # a roster, not payroll: the invoices asset loads it (paygo.ingest)
                rosters.append(key)
                continue
            validations[key] = validate_for_company(session, f.data, book, company_id=f.company_id,
                                                    original_name=f.name,
                                                    client_feins=client_feins(session, f.company_id))
    metadata = validation_metadata(validations)
    shown = ("files", "accepted", "rejected", "rejected_files", "read_with")
    yield dg.Output({**validations, **dict.fromkeys(rosters)}, metadata={k: metadata[k] for k in shown})
    yield dg.AssetCheckResult(
        check_name="matches_payroll_schema",
        passed=metadata["rejected"] == 0,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
    )
